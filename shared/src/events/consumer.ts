import type { FastifyBaseLogger } from 'fastify';
import type { DataSource, EntityManager } from 'typeorm';
import { DeadLetterEntity, ProcessedEventEntity } from '../entities/platform.entities';
import type { EventCatalog, EventEnvelope } from './event-catalog';
import { runInTrace } from '../app/trace-context';

export interface EventConsumerDefinition {
  /** durable name; also the key of what this consumer has processed */
  name: string;
  /** canonical subject filter, NATS wildcards allowed (`samverkan.directory.unit.>`) */
  filter: string;
  /**
   * does the work in the given transaction; throw to have the event delivered again
   * (`delivery.deliveryCount` is 1 on the first delivery)
   */
  handle(
    event: EventEnvelope,
    tx: EntityManager,
    delivery?: { deliveryCount: number; maxDeliver: number },
  ): Promise<void>;
  /**
   * Which of these (valid) events the handler would act on, judged before any transaction is
   * opened (`db`: the data source's manager, outside a transaction); one answer each, in their
   * order. An event it turns down is settled as `done` at once: no transaction, no
   * `processed_events` row, no `onCommitted`. Only for events the handler would write nothing
   * for: a redelivery of one is judged again, which is as harmless as handling nothing twice.
   * Without it every event is handled. If it throws, the events are handled (the transaction's
   * own errors then decide what is retried).
   */
  wants?(events: EventEnvelope[], db: EntityManager): boolean[] | Promise<boolean[]>;
  /**
   * The whole effect of these (valid, wanted) events as one statement, when it can be one; the
   * processor runs it with the events' `processed_events` rows as one statement, outside a
   * transaction: one round trip and one commit where BEGIN, the `processed_events` insert, the
   * handler's statements and COMMIT were four or more. `undefined`: the events are handled in a
   * transaction as usual (say so for any event whose handling reads, locks, audits or must be
   * retried). `sql` is a data-modifying statement (a common table expression of the processor's
   * one) that may read `fresh(event_id)`: the ids of the events not processed before (a
   * redelivered event's is not there; restrict the effect to them unless it is idempotent). Its
   * parameters are numbered from $3 (`$1` and `$2` are the processor's). Neither `handle` nor
   * `beforeCommit` runs for these events; `onCommitted` does, for those done. If the statement
   * fails, nothing of it was written and the events are handled in a transaction as usual (whose
   * errors decide what is retried or dead-lettered).
   */
  asStatement?(
    events: EventEnvelope[],
    db: EntityManager,
  ): { sql: string; params: unknown[] } | undefined;
  /** deliveries before the event goes to the dead letters (default 8) */
  maxDeliver?: number;
  /** delay before redelivery after a failure (default: exponential from 500 ms, at most 60 s) */
  retryDelayMs?: (deliveryCount: number) => number;
  /**
   * Called once the transaction of a handled event has committed (not for duplicates), e.g. to
   * wake local listeners for what the handler wrote; an error here is logged and ignored.
   */
  onCommitted?: (event: EventEnvelope) => void;
  /**
   * Called once in each transaction, after the handlers of its events (one, or a batch) and
   * before it commits: writes what the handlers left to the end of the transaction (one
   * statement per table for a whole batch rather than one per event). Throwing rolls the
   * transaction back, as a handler's error does.
   */
  beforeCommit?: (tx: EntityManager) => Promise<void>;
  /**
   * How many events, delivered together, one transaction may handle (default 1: one transaction
   * per event). Above 1 a batch is recorded in `processed_events` with one statement and its
   * events are handled one after another, in their order, in one transaction; if one of them
   * fails, the batch is rolled back, the events before it are handled again together, it on its
   * own (so that only it is retried or dead-lettered), then those after it. A handler that keeps state per event must key it by event id.
   */
  maxBatch?: number;
}

/** One delivery, for `processBatch`. */
export interface Delivery {
  raw: unknown;
  deliveryCount: number;
  subject: string;
  traceparent?: string;
}

export type ProcessOutcome = 'done' | 'duplicate' | 'retry' | 'dead';

export interface EventProcessor {
  readonly definition: EventConsumerDefinition;
  /** `traceparent`: the W3C trace context the event was published with, continued here */
  process(
    raw: unknown,
    deliveryCount: number,
    subject: string,
    traceparent?: string,
  ): Promise<ProcessOutcome>;
  /**
   * Several deliveries, in their order (see `EventConsumerDefinition.maxBatch`); one outcome
   * each, in the same order. A delivery whose processing threw (the database failed) is `retry`.
   * `inOrder`: nothing after the first delivery to be retried is processed (each is `retry`),
   * so that a consumer never gets ahead of an event it has yet to handle.
   */
  processBatch(deliveries: Delivery[], options?: { inOrder?: boolean }): Promise<ProcessOutcome[]>;
  retryDelay(deliveryCount: number): number;
}

export function defaultRetryDelay(deliveryCount: number): number {
  return Math.min(60_000, 500 * 2 ** Math.max(0, deliveryCount - 1));
}

/** NATS-style subject matching: `*` one token, `>` the rest. */
export function subjectMatches(filter: string, subject: string): boolean {
  const f = filter.split('.');
  const s = subject.split('.');
  for (let i = 0; i < f.length; i += 1) {
    if (f[i] === '>') {
      return s.length > i;
    }
    if (i >= s.length || (f[i] !== '*' && f[i] !== s[i])) {
      return false;
    }
  }
  return f.length === s.length;
}

/**
 * Wraps a consumer definition with what makes it safe: schema validation on receipt, exactly-once
 * effect (the event id is recorded in the same transaction as the handler's work, so a redelivery
 * is a no-op), bounded retries and a dead-letter row for what cannot be handled.
 */
export function createEventProcessor(
  definition: EventConsumerDefinition,
  deps: {
    dataSource: DataSource;
    catalog: EventCatalog;
    log: FastifyBaseLogger;
    /** told every outcome, for the metrics */
    observe?: (type: string, outcome: ProcessOutcome, deliveryCount: number) => void;
  },
): EventProcessor {
  const maxDeliver = definition.maxDeliver ?? 8;
  const retryDelay = definition.retryDelayMs ?? defaultRetryDelay;

  async function deadLetter(
    raw: unknown,
    subject: string,
    reason: string,
    deliveries: number,
  ): Promise<void> {
    const eventId = (raw as { id?: unknown })?.id;
    await deps.dataSource.getRepository(DeadLetterEntity).insert({
      consumer: definition.name,
      eventId: typeof eventId === 'string' ? eventId.slice(0, 100) : null,
      subject: subject.slice(0, 300),
      payload: typeof raw === 'string' ? raw : JSON.stringify(raw),
      reason: reason.slice(0, 2000),
      deliveries,
    });
    deps.log.error(
      { consumer: definition.name, eventId, subject, deliveries, reason },
      'event dead-lettered',
    );
  }

  /**
   * What follows every outcome, of one event or of a batch: `onCommitted` for what was handled
   * and committed, the log line and the metric.
   */
  function settled(
    raw: unknown,
    type: string,
    outcome: ProcessOutcome,
    deliveryCount: number,
    committed = outcome === 'done',
  ): void {
    const eventId = (raw as { id?: unknown } | null)?.id;
    if (committed && definition.onCommitted) {
      try {
        definition.onCommitted(raw as EventEnvelope);
      } catch (err) {
        deps.log.warn({ err, consumer: definition.name, eventId }, 'onCommitted failed');
      }
    }
    deps.log.debug(
      { consumer: definition.name, eventId, type, outcome, deliveryCount },
      'event handled',
    );
    deps.observe?.(type, outcome, deliveryCount);
  }

  /**
   * Which of the events the handler wants (`definition.wants`); all of them when it does not say
   * or cannot tell.
   */
  async function wanted(events: EventEnvelope[]): Promise<boolean[]> {
    if (!definition.wants || events.length === 0) {
      return events.map(() => true);
    }
    try {
      const answers = await definition.wants(events, deps.dataSource.manager);
      return events.map((_e, i) => answers[i] !== false);
    } catch (err) {
      deps.log.warn(
        { err, consumer: definition.name, events: events.length },
        'could not judge which events to handle; handling them all',
      );
      return events.map(() => true);
    }
  }

  /**
   * The events' effect and `processed_events` rows as one statement (`definition.asStatement`):
   * the ids (lower case) of those it handled, each once; `undefined` when they are to be handled
   * in a transaction (no such statement, or it failed: then it wrote nothing).
   */
  async function asOneStatement(events: EventEnvelope[]): Promise<Set<string> | undefined> {
    if (!definition.asStatement) {
      return undefined;
    }
    try {
      const statement = definition.asStatement(events, deps.dataSource.manager);
      if (!statement) {
        return undefined;
      }
      const table = deps.dataSource.getRepository(ProcessedEventEntity).metadata.tablePath;
      const rows = (await deps.dataSource.query(
        `WITH fresh AS (
           INSERT INTO ${table} (consumer, event_id) SELECT $1, unnest($2::uuid[])
           ON CONFLICT DO NOTHING RETURNING event_id),
         effect AS (${statement.sql})
         SELECT event_id::text AS id FROM fresh`,
        [definition.name, [...new Set(events.map((e) => e.id))], ...statement.params],
      )) as Array<{ id: string }>;
      return new Set(rows.map((r) => r.id.toLowerCase()));
    } catch (err) {
      deps.log.warn(
        { err, consumer: definition.name, events: events.length },
        'could not handle events in one statement; handling them in a transaction',
      );
      return undefined;
    }
  }

  /** One delivery; `judged`: `wants` was asked already (and said yes). */
  async function processOne(
    raw: unknown,
    deliveryCount: number,
    subject: string,
    traceparent: string | undefined,
    judged: boolean,
  ): Promise<ProcessOutcome> {
    return runInTrace(traceparent, async () => {
      const result = await handleOne(raw, deliveryCount, subject, judged);
      const outcome = result === 'skipped' ? 'done' : result;
      settled(raw, subject, outcome, deliveryCount, result === 'done');
      return outcome;
    });
  }

  const processor: EventProcessor = {
    definition,
    retryDelay,
    process(raw, deliveryCount, subject, traceparent) {
      return processOne(raw, deliveryCount, subject, traceparent, false);
    },
    async processBatch(deliveries, options) {
      const inOrder = options?.inOrder === true;
      /** set, with `inOrder`, once a delivery is to be retried: the rest wait for it */
      let stopped = false;
      const one = async (d: Delivery, judged = false): Promise<ProcessOutcome> => {
        try {
          return await processOne(d.raw, d.deliveryCount, d.subject, d.traceparent, judged);
        } catch (err) {
          deps.log.warn(
            { err, consumer: definition.name, eventId: (d.raw as { id?: unknown } | null)?.id },
            'event could not be processed; redelivering',
          );
          return 'retry';
        }
      };
      if (deliveries.length <= 1) {
        return Promise.all(deliveries.map((d) => one(d)));
      }
      const outcomes: Array<ProcessOutcome | undefined> = deliveries.map(() => undefined);
      /** one delivery on its own */
      const alone = async (at: number, judged = false): Promise<void> => {
        const outcome = await one(deliveries[at]!, judged);
        outcomes[at] = outcome;
        stopped = inOrder && outcome === 'retry';
      };
      // What breaks its schema goes to the dead letters at once, as on its own (with `inOrder`,
      // once the events before it are done).
      const valid: Array<{ at: number; event: EventEnvelope; deliveryCount: number }> = [];
      for (const [at, d] of deliveries.entries()) {
        let ok = false;
        try {
          deps.catalog.validate(d.raw);
          ok = (d.raw as EventEnvelope).type === d.subject;
        } catch {
          ok = false;
        }
        if (ok) {
          valid.push({ at, event: d.raw as EventEnvelope, deliveryCount: d.deliveryCount });
          continue;
        }
        if (inOrder) {
          await inOne(valid.splice(0));
        }
        if (stopped) {
          break;
        }
        await alone(at);
      }
      // One transaction for the lot. If an event fails, the batch is rolled back, and the events
      // before it go again in one transaction, it on its own (so that only it is retried), and
      // those after it in another: their order is kept.
      async function inOne(given: typeof valid, judged = false): Promise<void> {
        if (given.length === 0 || stopped) {
          return;
        }
        let items = given;
        if (!judged) {
          // What the handler would do nothing with needs no transaction.
          const wants = await wanted(items.map((v) => v.event));
          for (const [i, v] of items.entries()) {
            if (!wants[i]) {
              outcomes[v.at] = 'done';
              settled(v.event, v.event.type, 'done', v.deliveryCount, false);
            }
          }
          items = items.filter((_v, i) => wants[i]);
          if (items.length === 0) {
            return;
          }
        }
        if (items.length === 1) {
          await alone(items[0]!.at, true);
          return;
        }
        // Their whole effect in one statement, when the consumer can say it so.
        const fresh = await runInTrace(deliveries[items[0]!.at]!.traceparent, () =>
          asOneStatement(items.map((v) => v.event)),
        );
        if (fresh) {
          for (const v of items) {
            // (the same event twice in one batch: the first copy is the one handled)
            const outcome = fresh.delete(v.event.id.toLowerCase()) ? 'done' : 'duplicate';
            outcomes[v.at] = outcome;
            settled(v.event, v.event.type, outcome, v.deliveryCount);
          }
          return;
        }
        let failedAt = -1;
        let handled: Set<number>;
        try {
          handled = await runInTrace(deliveries[items[0]!.at]!.traceparent, () =>
            deps.dataSource.transaction(async (tx) => {
              const ids = [...new Set(items.map((v) => v.event.id))];
              const table = tx.getRepository(ProcessedEventEntity).metadata.tablePath;
              const inserted = (await tx.query(
                `INSERT INTO ${table} (consumer, event_id) SELECT $1, unnest($2::uuid[])
                 ON CONFLICT DO NOTHING RETURNING event_id::text AS id`,
                [definition.name, ids],
              )) as Array<{ id: string }>;
              const fresh = new Set(inserted.map((r) => r.id.toLowerCase()));
              const done = new Set<number>();
              for (const [i, v] of items.entries()) {
                // the same event twice in one batch: the first copy is the one handled
                if (fresh.delete(v.event.id.toLowerCase())) {
                  failedAt = i;
                  await definition.handle(v.event, tx, {
                    deliveryCount: v.deliveryCount,
                    maxDeliver,
                  });
                  done.add(v.at);
                }
              }
              // (a failure here is the batch's, not one event's: it is split as from its first)
              failedAt = -1;
              await definition.beforeCommit?.(tx);
              return done;
            }),
          );
        } catch (err) {
          deps.log.debug(
            { err, consumer: definition.name, events: items.length, failedAt },
            'event batch rolled back; the failing event goes on its own',
          );
          const at = Math.max(0, failedAt);
          await inOne(items.slice(0, at), true);
          if (!stopped) {
            await alone(items[at]!.at, true);
          }
          await inOne(items.slice(at + 1), true);
          return;
        }
        for (const v of items) {
          const outcome = handled.has(v.at) ? 'done' : 'duplicate';
          outcomes[v.at] = outcome;
          settled(v.event, v.event.type, outcome, v.deliveryCount);
        }
      }
      await inOne(valid);
      return outcomes.map((o) => o ?? 'retry');
    },
  };
  return processor;

  async function handleOne(
    raw: unknown,
    deliveryCount: number,
    subject: string,
    judged: boolean,
  ): Promise<ProcessOutcome | 'skipped'> {
    try {
      deps.catalog.validate(raw);
    } catch (err) {
      await deadLetter(raw, subject, (err as Error).message, deliveryCount);
      return 'dead';
    }
    const event = raw;
    if (event.type !== subject) {
      await deadLetter(
        raw,
        subject,
        `event of type ${event.type} arrived on subject ${subject}`,
        deliveryCount,
      );
      return 'dead';
    }
    if (!judged && !(await wanted([event]))[0]) {
      return 'skipped';
    }
    const fresh = await asOneStatement([event]);
    if (fresh) {
      return fresh.has(event.id.toLowerCase()) ? 'done' : 'duplicate';
    }
    try {
      return await deps.dataSource.transaction(async (tx) => {
        const inserted = (await tx.query(
          `INSERT INTO ${tx.getRepository(ProcessedEventEntity).metadata.tablePath} (consumer, event_id)
           VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING event_id`,
          [definition.name, event.id],
        )) as unknown[];
        if (inserted.length === 0) {
          return 'duplicate' as const;
        }
        await definition.handle(event, tx, { deliveryCount, maxDeliver });
        await definition.beforeCommit?.(tx);
        return 'done' as const;
      });
    } catch (err) {
      if (deliveryCount >= maxDeliver) {
        await deadLetter(
          raw,
          subject,
          `failed ${deliveryCount} times: ${(err as Error).message}`,
          deliveryCount,
        );
        return 'dead';
      }
      deps.log.warn(
        { err, consumer: definition.name, eventId: event.id, deliveryCount },
        'event handling failed; will retry',
      );
      return 'retry';
    }
  }
}
