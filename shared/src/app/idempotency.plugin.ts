import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { DataSource } from 'typeorm';
import { IdempotencyRecordEntity } from '../entities/platform.entities';
import { CommonProblems, ProblemError } from '../errors/problem';
import { canonicalJson } from '../audit/hash-chain';

declare module 'fastify' {
  interface FastifyRequest {
    idempotency?: { principal: string; key: string };
  }
  interface FastifyContextConfig {
    /** refuse writes without an Idempotency-Key header */
    requireIdempotencyKey?: boolean;
  }
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
  const repo = options.dataSource.getRepository(IdempotencyRecordEntity);

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
    const now = new Date();
    const claimed = (await repo
      .createQueryBuilder()
      .insert()
      .values({
        principal,
        key: header,
        requestHash: hash,
        state: 'pending',
        lockedUntil: new Date(now.getTime() + LOCK_MS),
      })
      .orIgnore()
      .returning(['key'])
      .execute()) as { raw: unknown[] };
    if (claimed.raw.length === 0) {
      const existing = await repo.findOneBy({ principal, key: header });
      if (!existing) {
        throw new ProblemError(CommonProblems.idempotencyInProgress);
      }
      if (existing.requestHash !== hash) {
        throw new ProblemError(CommonProblems.idempotencyKeyReused);
      }
      if (existing.state === 'done' && existing.responseStatus !== null) {
        void reply.header('idempotent-replayed', 'true');
        void reply.code(existing.responseStatus);
        if (existing.responseType) {
          void reply.type(existing.responseType);
        }
        return reply.serializer((p: unknown) => p as string).send(existing.responseBody ?? '');
      }
      // A pending record whose owner is gone (crash, timeout) may be taken over.
      const takeover = await repo
        .createQueryBuilder()
        .update()
        .set({ lockedUntil: new Date(now.getTime() + LOCK_MS) })
        .where('principal = :principal AND key = :key AND state = :state AND locked_until < :now', {
          principal,
          key: header,
          state: 'pending',
          now,
        })
        .execute();
      if (!takeover.affected) {
        throw new ProblemError(CommonProblems.idempotencyInProgress);
      }
    }
    request.idempotency = { principal, key: header };
    return undefined;
  });

  app.addHook('onSend', async (request, reply, payload) => {
    const idem = request.idempotency;
    if (!idem) {
      return payload;
    }
    request.idempotency = undefined;
    if (reply.statusCode >= 500 || reply.statusCode === 409 || reply.statusCode === 429) {
      // Not a final answer: let the client retry with the same key.
      await repo.delete({ principal: idem.principal, key: idem.key });
      return payload;
    }
    await repo.update(
      { principal: idem.principal, key: idem.key },
      {
        state: 'done',
        responseStatus: reply.statusCode,
        responseBody:
          typeof payload === 'string'
            ? payload
            : payload === null || payload === undefined
              ? ''
              : String(payload),
        responseType: String(reply.getHeader('content-type') ?? 'application/json'),
        lockedUntil: null,
      },
    );
    return payload;
  });
}

export const idempotency = fp(idempotencyPlugin, { name: 'samverkan-idempotency', fastify: '5.x' });
