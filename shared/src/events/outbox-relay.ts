import { AsyncResource } from 'node:async_hooks';
import type { FastifyBaseLogger } from 'fastify';
import { Client, type ClientConfig } from 'pg';
import type { DataSource } from 'typeorm';
import { OutboxEventEntity } from '../entities/platform.entities';
import type { EventEnvelope } from './event-catalog';

export interface OutgoingEvent {
  envelope: EventEnvelope;
  headers: Record<string, string>;
  /** how many times it has been handed to the publisher (1 the first time) */
  attempt: number;
}

export interface EventPublisher {
  readonly kind: 'nats' | 'in-process';
  /** Resolves once the event is durably accepted (JetStream ack, or every in-process consumer done). */
  publish(envelope: EventEnvelope, headers: Record<string, string>, attempt: number): Promise<void>;
  /**
   * Several events, in their order: how many of them, from the first, were accepted, and why
   * the next was not (it and those after it are to be published again).
   */
  publishMany?(events: OutgoingEvent[]): Promise<{ published: number; error?: Error }>;
}

export interface OutboxRelayOptions {
  pollIntervalMs: number;
  batchSize?: number;
  /** longest pause between attempts while publishing keeps failing */
  maxBackoffMs?: number;
  log: FastifyBaseLogger;
}

export interface OutboxStats {
  pending: number;
  oldestPendingAgeMs: number | null;
}

interface ClaimedRow {
  position: string;
  id: string;
  payload: EventEnvelope;
  headers: Record<string, string>;
  attempts: number;
}

/** The advisory lock of an outbox row: the table's key and the position (an int4 each). */
const rowLock = (tableKey: string, position: string) =>
  `${tableKey}, (${position} % 2147483647)::int`;

/**
 * Moves committed outbox rows to the publisher. Any number of relays (one per replica) may run.
 *
 * A pass claims a batch of unpublished rows WITHOUT writing them: each row it takes is held by a
 * session-level advisory lock on the relay's own connection (`pg_try_advisory_lock`, the row's
 * table and position), which another relay's claim skips. It publishes outside any transaction,
 * then marks the rows published with one UPDATE that also lets their locks go. So a published
 * event costs one write after its insert (the mark), not two (a lease UPDATE, then the mark), and
 * a claim is a read that commits nothing (issue 15: a send's Postgres work).
 *
 * A relay that dies loses its connection, and with it its locks: the rows it held are claimed
 * again at once by another relay, and published again if they had gone out; a mark lost in a
 * crash (the mark commits without waiting for the WAL flush: it only ever saves a second
 * publication) does the same. The event id (`Nats-Msg-Id`) and idempotent consumers make a second
 * copy harmless. The connection is the relay's own, apart from the pool: it is held across a
 * publish, which in process runs consumers that need the pool's connections.
 */
export class OutboxRelay {
  private timer: NodeJS.Timeout | undefined;
  /**
   * Runs in the context this was made in (start-up), not in that of the request that poked it:
   * passes are not part of a request (its trace, its statement count).
   */
  private readonly detached = AsyncResource.bind((fn: () => void) => fn());
  private running = false;
  private stopped = true;
  private pokeRequested = false;
  private failures = 0;
  private current: Promise<void> | undefined;
  /** passes (a loop's, a drain's) one after another: they share the connection and its locks */
  private exclusive: Promise<unknown> = Promise.resolve();
  /**
   * Positions published but not yet marked (still locked by this relay's session): marked by the
   * next pass's claim (same statement) or, when the relay goes idle, by one statement of their own.
   */
  private unmarked: string[] = [];
  /** the relay's own connection, holding the locks of what it has claimed */
  private session: Client | undefined;
  private readonly table: string;
  /** the table's advisory lock key (an int4 literal) */
  private readonly tableKey: string;
  private readonly batchSize: number;
  private readonly maxBackoffMs: number;
  lastError: string | null = null;

  constructor(
    private readonly dataSource: DataSource,
    private readonly publisher: EventPublisher,
    private readonly options: OutboxRelayOptions,
  ) {
    const tablePath = dataSource.getMetadata(OutboxEventEntity).tablePath;
    this.table = tablePath
      .split('.')
      .map((part) => `"${part}"`)
      .join('.');
    this.tableKey = `hashtext('${tablePath.replace(/'/g, "''")}')`;
    this.batchSize = options.batchSize ?? 100;
    this.maxBackoffMs = options.maxBackoffMs ?? 5_000;
  }

  start(): void {
    if (!this.stopped) {
      return;
    }
    this.stopped = false;
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    await this.current;
    await this.exclusive;
    await this.closeSession();
  }

  /** Asks for a pass soon, e.g. right after a transaction that wrote events committed. */
  poke(): void {
    if (this.stopped) {
      return;
    }
    if (this.running) {
      this.pokeRequested = true;
      return;
    }
    this.schedule(0);
  }

  /** Publishes until nothing is pending (or publishing fails); for shutdown and tests. */
  async drain(): Promise<number> {
    await this.current;
    try {
      return await this.serially(async () => {
        let total = 0;
        for (;;) {
          const n = await this.publishBatch();
          total += n;
          if (n === 0) {
            await this.markPublished();
            return total;
          }
        }
      });
    } finally {
      if (this.stopped) {
        await this.closeSession();
      }
    }
  }

  async stats(): Promise<OutboxStats> {
    const rows = (await this.dataSource.query(
      `SELECT count(*)::int AS pending, extract(epoch FROM (now() - min(created_at))) * 1000 AS age
         FROM ${this.table} WHERE published_at IS NULL`,
    )) as Array<{ pending: number; age: number | string | null }>;
    const row = rows[0];
    return {
      pending: row?.pending ?? 0,
      oldestPendingAgeMs:
        row?.age === null || row?.age === undefined ? null : Math.round(Number(row.age)),
    };
  }

  private schedule(delayMs: number): void {
    if (this.stopped) {
      return;
    }
    if (this.timer) {
      clearTimeout(this.timer);
    }
    this.detached(() => {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.current = this.loop();
      }, delayMs);
      this.timer.unref();
    });
  }

  private async loop(): Promise<void> {
    this.running = true;
    let next = this.options.pollIntervalMs;
    try {
      await this.serially(async () => {
        for (;;) {
          this.pokeRequested = false;
          const n = await this.publishBatch();
          if (n < this.batchSize && !this.pokeRequested) {
            break;
          }
          if (this.stopped) {
            break;
          }
        }
        await this.markPublished();
      });
      this.failures = 0;
    } catch (err) {
      this.failures += 1;
      this.lastError = (err as Error).message;
      next = Math.min(
        this.maxBackoffMs,
        this.options.pollIntervalMs * 2 ** Math.min(this.failures, 10),
      );
      if (this.failures === 1 || this.failures % 20 === 0) {
        this.options.log.warn(
          { err, failures: this.failures },
          'outbox relay could not publish; will retry',
        );
      }
    } finally {
      this.running = false;
    }
    this.schedule(this.pokeRequested ? 0 : next);
  }

  /** Runs `work` after every pass before it: one pass at a time uses the session and its locks. */
  private serially<T>(work: () => Promise<T>): Promise<T> {
    const run = this.exclusive.then(work, work);
    this.exclusive = run.catch(() => undefined);
    return run;
  }

  /**
   * One statement on the relay's own connection, opened on first use with the pool's settings.
   * Any error drops the connection: whatever it had locked is free again for every relay (and
   * what this one published but had not marked is marked on the next connection).
   */
  private async query<T>(sql: string, params: unknown[]): Promise<T[]> {
    if (!this.session) {
      const pool = (this.dataSource.driver as unknown as { master?: { options?: ClientConfig } })
        .master;
      const client = new Client(pool?.options ?? {});
      // An idle connection that breaks (a restart of Postgres) is replaced on the next pass.
      client.on('error', () => {
        if (this.session === client) {
          this.session = undefined;
        }
        client.end().catch(() => undefined);
      });
      this.session = client;
      try {
        await client.connect();
      } catch (err) {
        this.session = undefined;
        await client.end().catch(() => undefined);
        throw err;
      }
    }
    const session = this.session;
    try {
      return (await session.query<T & object>(sql, params)).rows;
    } catch (err) {
      if (this.session === session) {
        this.session = undefined;
      }
      await session.end().catch(() => undefined);
      throw err;
    }
  }

  private async closeSession(): Promise<void> {
    const session = this.session;
    this.session = undefined;
    await session?.end().catch(() => undefined);
  }

  /**
   * The UPDATE that marks `$n` (positions) published and lets their locks go; it commits without
   * waiting for the WAL flush (a mark lost in a crash only means a second, harmless publication).
   */
  private markSql(positions: string): string {
    return `UPDATE ${this.table}
               SET published_at = now(), attempts = attempts + 1, last_error = NULL
             WHERE position = ANY(${positions}::bigint[])
               AND set_config('synchronous_commit', 'off', true) = 'off'
         RETURNING pg_advisory_unlock(${rowLock(this.tableKey, 'position')})`;
  }

  /** Gives claimed rows back for the next pass (here or in a replica), with the error that stopped them. */
  private async release(rows: ClaimedRow[], err: Error): Promise<void> {
    if (rows.length === 0) {
      return;
    }
    await this.query(
      `UPDATE ${this.table} SET attempts = attempts + 1, last_error = $2
        WHERE position = ANY($1::bigint[])
    RETURNING pg_advisory_unlock(${rowLock(this.tableKey, 'position')})`,
      [rows.map((r) => r.position), String(err?.message).slice(0, 1000)],
    );
  }

  /** Marks what was published and not yet marked, in one statement. */
  private async markPublished(): Promise<void> {
    const done = this.unmarked;
    this.unmarked = [];
    if (done.length > 0) {
      try {
        await this.query(this.markSql('$1'), [done]);
      } catch (err) {
        this.unmarked.push(...done);
        throw err;
      }
    }
  }

  private async publishBatch(): Promise<number> {
    // The previous pass's published rows are marked (and their locks let go) by the same
    // statement that claims the next ones (they are excluded from the claim, still locked by
    // this session): a busy relay makes one round trip to Postgres per pass, not two. The claim
    // takes the first unpublished rows, in order, and keeps those it gets the lock of (the
    // LIMIT is applied before the locks are tried: none is taken of a row not returned); a row
    // another relay holds is skipped.
    const toMark = this.unmarked;
    this.unmarked = [];
    const rows = await this.query<ClaimedRow>(
      `WITH marked AS (${this.markSql('$2')})
       SELECT c.position, c.id, c.payload, c.headers, c.attempts
         FROM (SELECT position, id, payload, headers, attempts FROM ${this.table}
                WHERE published_at IS NULL AND position <> ALL($2::bigint[])
                ORDER BY position
                LIMIT $1) c
        WHERE pg_try_advisory_lock(${rowLock(this.tableKey, 'c.position')})
        ORDER BY c.position`,
      [this.batchSize, toMark],
    ).catch((err: unknown) => {
      this.unmarked.push(...toMark);
      throw err;
    });
    // Published rows are marked with the next claim, or at once when a later one fails: a relay
    // that dies before marking publishes them again, which the event id makes harmless.
    const done: string[] = [];
    /** marks what went out and releases the rest for the next pass (here or in a replica) */
    const failedAfter = async (err: Error) => {
      const rest = rows.slice(done.length);
      this.unmarked.push(...done);
      await this.markPublished();
      await this.release(rest, err);
    };
    // The publisher's attempt: the tries before this one, plus this one.
    const attempt = (row: ClaimedRow) => row.attempts + 1;
    if (this.publisher.kind === 'nats') {
      // Over JetStream the batch is pipelined: every publish is sent at once, in order on the
      // one connection (so the stream stores them in order), and the acks are awaited together;
      // a batch costs one round trip to the server, not one per event. What follows a failed
      // publish is released and sent again (its Nats-Msg-Id makes a second copy harmless).
      const outcomes = await Promise.allSettled(
        rows.map((row) => this.publisher.publish(row.payload, row.headers ?? {}, attempt(row))),
      );
      const failed = outcomes.findIndex((o) => o.status === 'rejected');
      for (const row of failed === -1 ? rows : rows.slice(0, failed)) {
        done.push(row.position);
      }
      if (failed !== -1) {
        const reason = (outcomes[failed] as PromiseRejectedResult).reason as Error;
        await failedAfter(reason);
        throw reason;
      }
      this.unmarked.push(...done);
      return done.length;
    }
    if (this.publisher.publishMany) {
      // In process, the whole batch at once: each consumer takes its events in their order.
      let result: { published: number; error?: Error };
      try {
        result = await this.publisher.publishMany(
          rows.map((row) => ({
            envelope: row.payload,
            headers: row.headers ?? {},
            attempt: attempt(row),
          })),
        );
      } catch (err) {
        result = { published: 0, error: err as Error };
      }
      done.push(...rows.slice(0, result.published).map((row) => row.position));
      if (result.error) {
        await failedAfter(result.error);
        throw result.error;
      }
      this.unmarked.push(...done);
      return done.length;
    }
    // One event after another: a consumer sees a referral's events in their order.
    for (const row of rows) {
      try {
        await this.publisher.publish(row.payload, row.headers ?? {}, attempt(row));
      } catch (err) {
        await failedAfter(err as Error);
        throw err;
      }
      done.push(row.position);
    }
    this.unmarked.push(...done);
    return done.length;
  }
}
