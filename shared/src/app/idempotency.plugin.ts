import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { DataSource } from 'typeorm';
import { poolQuery } from '../db/data-source';
import {
  completeAnswerRecordSql,
  StatementBuilder,
  type AnswerRecord,
} from '../pipeline/command-pipeline';
import { IdempotencyRecordEntity } from '../entities/platform.entities';
import { CommonProblems, ProblemError } from '../errors/problem';
import { IdempotentReplay } from '../errors/idempotent-replay';
import { canonicalJson } from '../audit/hash-chain';

declare module 'fastify' {
  interface FastifyRequest {
    idempotency?: {
      principal: string;
      key: string;
      /** the record's table (schema-qualified) */
      table: string;
      /** the request's hash (method, URL, canonical body) */
      hash: string;
      /**
       * a pending record holds the key for this request (the claim); false where the route's
       * change writes the record once, finished (`idempotencyRecordedByChange`)
       */
      claimed: boolean;
      /** the answer's body, when the change's own statement recorded it with the change */
      written?: { status: number; body: string };
      /**
       * A key never looked up (`claimed` false): throws what a record of it answers — the
       * recorded answer again (`IdempotentReplay`), 422 for another request, 409 while one runs
       * — and returns when there is none.
       */
      held?(): Promise<void>;
    };
  }
  interface FastifyContextConfig {
    /** refuse writes without an Idempotency-Key header */
    requireIdempotencyKey?: boolean;
    /**
     * The route's change commits in one statement that records the key's answer with it
     * (`idempotentAnswer`): the key is neither claimed nor looked up before the handler, so its
     * record is written once — finished — instead of inserted pending and updated (a round trip,
     * a second commit, a dead row and their WAL on every write). The record's insert fails the
     * whole statement when the key is recorded already; a request that wrote nothing then looks
     * the key up (`idempotentKeyHeld`) and answers as its record says. Two requests racing with
     * one key both run: the change's own conflict rule (an id taken) or the record's insert
     * decides between them, and nothing of the loser's is written.
     */
    idempotencyRecordedByChange?: boolean;
  }
}

/** A key's record as the claim or the lookup reads it. */
interface RecordRow {
  claimed: number;
  request_hash: string | null;
  state: string | null;
  response_status: number | null;
  response_body: string | null;
  response_type: string | null;
  /** a pending record's lock ran out (the lookup's) */
  expired?: boolean | null;
}

const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const KEY_PATTERN = /^[A-Za-z0-9_.:-]{8,200}$/;
/** how long a request may hold its key before a retry may take it over (crash recovery) */
const LOCK_MS = 60_000;

function requestHash(request: FastifyRequest): string {
  return createHash('sha256')
    .update(`${request.method} ${request.url}\n`)
    .update(request.body === undefined ? '' : canonicalJson(request.body))
    .digest('hex');
}

/**
 * `Idempotency-Key` for writes (the IETF httpapi draft's semantics): the first request with a key
 * runs and its response is stored; a retry with the same key and the same request gets the stored
 * response (marked `Idempotent-Replayed: true`); the same key with a different request is a 422;
 * a retry while the first is still running is a 409.
 */
async function idempotencyPlugin(
  app: FastifyInstance,
  options: { dataSource: DataSource },
): Promise<void> {
  // Hand-written SQL: this runs on every write, and TypeORM's query builder cost more CPU than
  // the statements themselves.
  const table = options.dataSource.getMetadata(IdempotencyRecordEntity).tablePath;

  app.addHook('preHandler', async (request: FastifyRequest, reply: FastifyReply) => {
    if (!WRITE_METHODS.has(request.method)) {
      return;
    }
    const header = request.headers['idempotency-key'];
    if (header === undefined) {
      if (request.routeOptions.config?.requireIdempotencyKey) {
        throw new ProblemError(
          CommonProblems.validation,
          'This write needs an Idempotency-Key header',
          {
            errors: [{ field: 'headers.idempotency-key', message: 'is required' }],
          },
        );
      }
      return;
    }
    if (typeof header !== 'string' || !KEY_PATTERN.test(header)) {
      throw new ProblemError(
        CommonProblems.validation,
        'Idempotency-Key must be 8 to 200 characters of A-Z a-z 0-9 _ . : -',
        {
          errors: [{ field: 'headers.idempotency-key', message: 'is malformed' }],
        },
      );
    }
    const principal = request.principal
      ? `${request.principal.iss} ${request.principal.sub}`
      : `ip ${request.ip}`;
    const hash = requestHash(request);
    if (request.routeOptions.config?.idempotencyRecordedByChange) {
      // No round trip: the change's statement inserts the record, finished, and fails whole when
      // the key is recorded already; only a write that wrote nothing (refused, its change not
      // applied, its key taken) looks the key up, to answer as the record says (`held`).
      const key = header;
      request.idempotency = {
        principal,
        key,
        table,
        hash,
        claimed: false,
        held: async () => {
          const [row] = await poolQuery<RecordRow>(
            options.dataSource,
            `SELECT 0 AS claimed, request_hash, state, response_status, response_body,
                    response_type, locked_until < now() AS expired
               FROM ${table} WHERE principal = $1 AND key = $2`,
            [principal, key],
            { prepare: true },
          );
          if (!row) {
            return;
          }
          // Answered from the record: nothing of this request's to write after it.
          request.idempotency = undefined;
          if (row.request_hash !== hash) {
            throw new ProblemError(CommonProblems.idempotencyKeyReused);
          }
          if (row.state === 'done' && row.response_status !== null) {
            throw new IdempotentReplay(
              row.response_status,
              row.response_body ?? '',
              row.response_type,
            );
          }
          if (row.expired) {
            // A pending claim whose owner is gone (one made before the route recorded keys
            // with its change): removed, so that the retry this 409 asks for runs.
            await poolQuery(
              options.dataSource,
              `DELETE FROM ${table}
                WHERE principal = $1 AND key = $2 AND state = 'pending' AND locked_until < now()`,
              [principal, key],
            );
          }
          throw new ProblemError(CommonProblems.idempotencyInProgress);
        },
      };
      return undefined;
    }
    // One round trip: claim the key, or read the record that holds it.
    const [row] = await poolQuery<RecordRow>(
      options.dataSource,
      `WITH claim AS (
         INSERT INTO ${table} (principal, key, request_hash, state, locked_until)
         VALUES ($1, $2, $3, 'pending', now() + ($4 || ' milliseconds')::interval)
         ON CONFLICT DO NOTHING
         RETURNING key)
       SELECT (SELECT count(*) FROM claim)::int AS claimed, e.request_hash, e.state,
              e.response_status, e.response_body, e.response_type
         FROM (SELECT 1) AS one
         LEFT JOIN ${table} e ON e.principal = $1 AND e.key = $2`,
      [principal, header, hash, String(LOCK_MS)],
      { prepare: true },
    );
    if (!row || row.claimed === 0) {
      return heldKey(request, reply, row, principal, header, hash);
    }
    request.idempotency = { principal, key: header, table, hash, claimed: true };
    return undefined;
  });

  /**
   * The key is held by a record already: the same request gets its answer again, another request
   * a 422; one still running a 409, unless its owner is gone (crash, timeout) and it is taken over.
   */
  async function heldKey(
    request: FastifyRequest,
    reply: FastifyReply,
    row: RecordRow | undefined,
    principal: string,
    key: string,
    hash: string,
  ): Promise<FastifyReply | undefined> {
    if (!row || row.request_hash === null) {
      throw new ProblemError(CommonProblems.idempotencyInProgress);
    }
    if (row.request_hash !== hash) {
      throw new ProblemError(CommonProblems.idempotencyKeyReused);
    }
    if (row.state === 'done' && row.response_status !== null) {
      void reply.header('idempotent-replayed', 'true');
      void reply.code(row.response_status);
      if (row.response_type) {
        void reply.type(row.response_type);
      }
      return reply.serializer((p: unknown) => p as string).send(row.response_body ?? '');
    }
    const taken = (await options.dataSource.query(
      `UPDATE ${table} SET locked_until = now() + ($3 || ' milliseconds')::interval
        WHERE principal = $1 AND key = $2 AND state = 'pending' AND locked_until < now()`,
      [principal, key, String(LOCK_MS)],
    )) as [unknown, number];
    if (!taken[1]) {
      throw new ProblemError(CommonProblems.idempotencyInProgress);
    }
    request.idempotency = { principal, key, table, hash, claimed: true };
    return undefined;
  }

  app.addHook('onSend', async (request, reply, payload) => {
    const idem = request.idempotency;
    if (!idem) {
      return payload;
    }
    request.idempotency = undefined;
    if (idem.written && idem.written.status === reply.statusCode && idem.written.body === payload) {
      // Completed by the change's own statement (`idempotentAnswer`), with this very answer.
      return payload;
    }
    if (reply.statusCode >= 500 || reply.statusCode === 409 || reply.statusCode === 429) {
      // Not a final answer: let the client retry with the same key (a key never claimed has no
      // record of this request's to delete — one there is another request's).
      if (idem.claimed) {
        await options.dataSource.query(`DELETE FROM ${table} WHERE principal = $1 AND key = $2`, [
          idem.principal,
          idem.key,
        ]);
      }
      return payload;
    }
    const sql = new StatementBuilder();
    const text = completeAnswerRecordSql(
      sql,
      {
        table,
        principal: idem.principal,
        key: idem.key,
        hash: idem.hash,
        claimed: idem.claimed,
        status: reply.statusCode,
        body:
          typeof payload === 'string'
            ? payload
            : payload === null || payload === undefined
              ? ''
              : String(payload),
        type: String(reply.getHeader('content-type') ?? 'application/json'),
      },
      undefined,
      true,
    );
    await poolQuery(options.dataSource, text, sql.params, { prepare: true });
    return payload;
  });
}

const JSON_TYPE = 'application/json; charset=utf-8';

/**
 * For a write that commits in one statement (the command pipeline's `answerRecord`): the
 * Idempotency-Key's record completed by that statement with the answer, serialised as the route's
 * response schema serialises it for `status` — the change and its answer commit together, and the
 * key costs no round trip after the change. Undefined when the request holds no key. Answer with
 * `sendAnswer`, which sends the very body recorded.
 */
export function idempotentAnswer(
  request: FastifyRequest,
  reply: FastifyReply,
  status: number,
): ((answer: unknown) => AnswerRecord) | undefined {
  const idem = request.idempotency;
  if (!idem) {
    return undefined;
  }
  return (answer) => {
    void reply.code(status);
    const serialized = reply.serialize(answer);
    const body =
      typeof serialized === 'string'
        ? serialized
        : Buffer.from(serialized as ArrayBuffer).toString();
    return {
      table: idem.table,
      principal: idem.principal,
      key: idem.key,
      hash: idem.hash,
      claimed: idem.claimed,
      status,
      type: JSON_TYPE,
      body,
      written: () => {
        idem.written = { status, body };
      },
    };
  };
}

/**
 * For a route whose change records its key (`idempotencyRecordedByChange`): what the command
 * pipeline calls when the request wrote nothing, to answer as the key's record says
 * (`keyHeld`). Undefined when the request holds no key or claimed it up front.
 */
export function idempotentKeyHeld(request: FastifyRequest): (() => Promise<void>) | undefined {
  return request.idempotency?.held;
}

/**
 * Sends `answer` with `status`: the body the change's statement recorded for the key when it did
 * (`idempotentAnswer`), serialised once; otherwise the answer, serialised by the route as usual.
 */
export function sendAnswer(
  request: FastifyRequest,
  reply: FastifyReply,
  status: number,
  answer: unknown,
): FastifyReply {
  const written = request.idempotency?.written;
  if (written && written.status === status) {
    return reply.code(status).type(JSON_TYPE).send(written.body);
  }
  return reply.code(status).send(answer);
}

export const idempotency = fp(idempotencyPlugin, { name: 'samverkan-idempotency', fastify: '5.x' });
