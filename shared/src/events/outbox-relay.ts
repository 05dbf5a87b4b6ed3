import { AsyncResource } from 'node:async_hooks';
import type { FastifyBaseLogger } from 'fastify';
import type { DataSource } from 'typeorm';
import { OutboxEventEntity } from '../entities/platform.entities';
import type { EventEnvelope } from './event-catalog';

export interface OutgoingEvent {
  envelope: EventEnvelope;
  headers: Record<string, string>;
  /** how many times it has been claimed for publishing (1 the first time) */
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
  /** how long a claimed batch stays reserved for this relay before another may take it over */
  leaseMs?: number;
  /** longest pause between attempts while publishing keeps failing */
  maxBackoffMs?: number;
  log: FastifyBaseLogger;
}

export interface OutboxStats {
  pending: number;
  oldestPendingAgeMs: number | null;
}

/**
 * Moves committed outbox rows to the publisher. Any number of relays (one per replica) may run:
 * each claims a batch with `FOR UPDATE SKIP LOCKED` and a lease, publishes outside the
 * transaction, then marks the rows published. A relay that dies mid-batch leaves its lease to
 * expire, and the events are published again; the event id (`Nats-Msg-Id`) and idempotent
 * consumers make that harmless.
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
  /**
   * Positions published but not yet marked: marked by the next pass's claim (same statement) or,
   * when the relay goes idle, by one statement of their own.
   */
  private unmarked: string[] = [];
  private readonly table: string;
  private readonly batchSize: number;
  private readonly leaseMs: number;
  private readonly maxBackoffMs: number;
  lastError: string | null = null;

  constructor(
    private readonly dataSource: DataSource,
    private readonly publisher: EventPublisher,
    private readonly options: OutboxRelayOptions,
  ) {
    this.table = dataSource
      .getMetadata(OutboxEventEntity)
      .tablePath.split('.')
      .map((part) => `"${part}"`)
      .join('.');
    this.batchSize = options.batchSize ?? 100;
    this.leaseMs = options.leaseMs ?? 30_000;
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
    let total = 0;
    await this.current;
    for (;;) {
      const n = await this.publishBatch();
      total += n;
      if (n === 0) {
        await this.markPublished();
        return total;
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

  /** Gives claimed rows back for the next pass, with the error that stopped them. */
  private async release(rows: Array<{ position: string }>, err: Error): Promise<void> {
    await this.dataSource.query(
      `UPDATE ${this.table} SET locked_until = NULL, last_error = $2 WHERE position = ANY($1::bigint[])`,
      [rows.map((r) => r.position), String(err?.message).slice(0, 1000)],
    );
  }

  /** Marks what was published and not yet marked, in one statement. */
  private async markPublished(): Promise<void> {
    const done = this.unmarked;
    this.unmarked = [];
    if (done.length > 0) {
      try {
        await this.dataSource.query(
          `UPDATE ${this.table} SET published_at = now(), locked_until = NULL, last_error = NULL WHERE position = ANY($1::bigint[])`,
          [done],
        );
      } catch (err) {
        this.unmarked.push(...done);
        throw err;
      }
    }
  }

  private async publishBatch(): Promise<number> {
    // The previous pass's published rows are marked by the same statement that claims the next
    // ones (they are still under this relay's lease, so the claim cannot take them again): a
    // busy relay makes one round trip to Postgres per pass, not two.
    const toMark = this.unmarked;
    this.unmarked = [];
    const claimed = (await this.dataSource
      .query(
        `WITH marked AS (
           UPDATE ${this.table} SET published_at = now(), locked_until = NULL, last_error = NULL
            WHERE position = ANY($3::bigint[]))
         UPDATE ${this.table} o
            SET locked_until = now() + ($2 || ' milliseconds')::interval, attempts = o.attempts + 1
          WHERE o.position IN (
                SELECT position FROM ${this.table}
                 WHERE published_at IS NULL AND (locked_until IS NULL OR locked_until < now())
                   AND position <> ALL($3::bigint[])
                 ORDER BY position
                 LIMIT $1
                 FOR UPDATE SKIP LOCKED)
        RETURNING o.position, o.id, o.payload, o.headers, o.attempts`,
        [this.batchSize, String(this.leaseMs), toMark],
      )
      .catch((err: unknown) => {
        this.unmarked.push(...toMark);
        throw err;
      })) as
      | [
          Array<{
            position: string;
            id: string;
            payload: EventEnvelope;
            headers: Record<string, string>;
            attempts: number;
          }>,
          number,
        ]
      | Array<{
          position: string;
          id: string;
          payload: EventEnvelope;
          headers: Record<string, string>;
          attempts: number;
        }>;
    // TypeORM returns [rows, count] for UPDATE … RETURNING on Postgres.
    const rows = (Array.isArray(claimed[0]) ? claimed[0] : claimed) as Array<{
      position: string;
      id: string;
      payload: EventEnvelope;
      headers: Record<string, string>;
      attempts: number;
    }>;
    rows.sort((a, b) => Number(a.position) - Number(b.position));
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
    if (this.publisher.kind === 'nats') {
      // Over JetStream the batch is pipelined: every publish is sent at once, in order on the
      // one connection (so the stream stores them in order), and the acks are awaited together;
      // a batch costs one round trip to the server, not one per event. What follows a failed
      // publish is released and sent again (its Nats-Msg-Id makes a second copy harmless).
      const outcomes = await Promise.allSettled(
        rows.map((row) => this.publisher.publish(row.payload, row.headers ?? {}, row.attempts)),
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
            attempt: row.attempts,
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
        await this.publisher.publish(row.payload, row.headers ?? {}, row.attempts);
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
