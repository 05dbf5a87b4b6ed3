import {
  AckPolicy,
  DeliverPolicy,
  jetstream,
  jetstreamManager,
  RetentionPolicy,
  StorageType,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
} from '@nats-io/jetstream';
import { headers as natsHeaders, nanos, type NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import type { FastifyBaseLogger } from 'fastify';
import type { Delivery, EventProcessor, ProcessOutcome } from './consumer';
import type { EventEnvelope } from './event-catalog';
import type { EventPublisher } from './outbox-relay';

/**
 * Canonical event types start with `samverkan.`; on the wire the first token is the configured
 * subject prefix, so that test runs (or two hubs on one cluster) never share subjects.
 */
export interface SubjectNaming {
  subjectPrefix: string;
  streamPrefix: string;
}

export function wireSubject(naming: SubjectNaming, type: string): string {
  return type.replace(/^samverkan\./, `${naming.subjectPrefix}.`);
}

export function canonicalType(naming: SubjectNaming, subject: string): string {
  return subject.startsWith(`${naming.subjectPrefix}.`)
    ? `samverkan.${subject.slice(naming.subjectPrefix.length + 1)}`
    : subject;
}

export function streamName(naming: SubjectNaming, service: string): string {
  return `${naming.streamPrefix}_${service.toUpperCase()}`;
}

export async function connectNats(
  url: string,
  name: string,
  log: FastifyBaseLogger,
): Promise<NatsConnection> {
  const nc = await connect({
    servers: url.split(','),
    name,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 1000,
    // Fail the first connection quickly so start-up reports a clear error.
    timeout: 5000,
    // Every JetStream publish is a request; without this each one builds two errors (stack
    // traces included) up front in case it times out: a third of a publish's CPU.
    noAsyncTraces: true,
  });
  void (async () => {
    for await (const status of nc.status()) {
      if (status.type === 'disconnect' || status.type === 'reconnect' || status.type === 'error') {
        log.warn({ nats: status.type }, 'NATS connection status changed');
      }
    }
  })();
  return nc;
}

/** Creates the service's stream, or updates its subjects if they changed. */
export async function ensureStream(
  jsm: JetStreamManager,
  name: string,
  subjects: string[],
  replicas = 1,
): Promise<void> {
  const config = {
    name,
    subjects,
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    num_replicas: replicas,
    // The window in which a repeated Nats-Msg-Id is dropped; relays republish well within it.
    duplicate_window: nanos(10 * 60_000),
    max_age: nanos(30 * 24 * 3_600_000),
  };
  try {
    const info = await jsm.streams.info(name);
    const same =
      info.config.subjects?.length === subjects.length &&
      subjects.every((s) => info.config.subjects?.includes(s));
    if (!same) {
      await jsm.streams.update(name, { ...info.config, subjects });
    }
  } catch (err) {
    if ((err as { name?: string; message?: string }).message?.includes('stream not found')) {
      await jsm.streams.add(config);
      return;
    }
    throw err;
  }
}

export class NatsPublisher implements EventPublisher {
  readonly kind = 'nats' as const;
  private readonly js: JetStreamClient;

  constructor(
    nc: NatsConnection,
    private readonly naming: SubjectNaming,
  ) {
    this.js = jetstream(nc, { timeout: 5000 });
  }

  async publish(envelope: EventEnvelope, headers: Record<string, string>): Promise<void> {
    const h = natsHeaders();
    for (const [k, v] of Object.entries(headers)) {
      h.set(k, v);
    }
    await this.js.publish(wireSubject(this.naming, envelope.type), JSON.stringify(envelope), {
      msgID: envelope.id,
      headers: h,
    });
  }
}

/** The durable JetStream consumer name of a consumer definition. */
export function durableName(consumer: string): string {
  return consumer.replace(/[^A-Za-z0-9_-]/g, '_');
}

export interface RunningConsumer {
  stop(): Promise<void>;
}

/**
 * Runs an EventProcessor as a durable JetStream pull consumer: explicit ack, `nak` with a delay
 * for transient failures, `term` for what went to the dead letters. Replicas share the durable
 * consumer, so each event goes to one of them at a time.
 */
export async function runJetStreamConsumer(
  nc: NatsConnection,
  naming: SubjectNaming,
  stream: string,
  processor: EventProcessor,
  log: FastifyBaseLogger,
): Promise<RunningConsumer> {
  const jsm = await jetstreamManager(nc);
  const def = processor.definition;
  const durable = durableName(def.name);
  const config = {
    durable_name: durable,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    filter_subject: wireSubject(naming, def.filter),
    ack_wait: nanos(30_000),
    // One more than the processor's own limit, so that the processor, not the server, decides
    // when an event is dead-lettered.
    max_deliver: (def.maxDeliver ?? 8) + 1,
    max_ack_pending: 1000,
  };
  try {
    await jsm.consumers.info(stream, durable);
    await jsm.consumers.update(stream, durable, {
      ack_wait: config.ack_wait,
      max_deliver: config.max_deliver,
      max_ack_pending: config.max_ack_pending,
    });
  } catch {
    await jsm.consumers.add(stream, config);
  }
  const js = jetstream(nc);
  const consumer = await js.consumers.get(stream, durable);
  const maxBatch = Math.max(1, def.maxBatch ?? 1);
  const messages = await consumer.consume({ max_messages: Math.max(64, maxBatch) });
  /** A message as the processor takes it (a payload that is not JSON goes as text, to be dead-lettered). */
  const deliveryOf = (m: JsMsg): Delivery => {
    let raw: unknown;
    try {
      raw = m.json();
    } catch {
      raw = m.string();
    }
    return {
      raw,
      deliveryCount: m.info.deliveryCount,
      subject: canonicalType(naming, m.subject),
      traceparent: m.headers?.get('traceparent') || undefined,
    };
  };
  const settle = (m: JsMsg, outcome: ProcessOutcome) => {
    if (outcome === 'retry') {
      m.nak(processor.retryDelay(m.info.deliveryCount));
    } else if (outcome === 'dead') {
      m.term();
    } else {
      m.ack();
    }
  };
  const ended = (err: unknown) => {
    // The connection was closed under the consumer (not drained): what it had not acknowledged
    // is redelivered by the server after the ack wait. Stopping must still succeed.
    log.error({ err, consumer: def.name }, 'event consumer ended: its connection closed');
  };
  let stopping = false;
  // While one batch is being handled the next deliveries gather, and are handled together (in
  // their order) as soon as it is done. Nothing waits for a batch to fill up, so a lone event goes
  // through at once; under load batches grow, up to maxBatch (1: one event at a time). A delivery
  // whose processing threw (the database failed) comes back as `retry`: the server redelivers it.
  const queue: JsMsg[] = [];
  let signal: (() => void) | undefined;
  let room: (() => void) | undefined;
  let reading = true;
  const poke = () => {
    const s = signal;
    signal = undefined;
    s?.();
  };
  const release = () => {
    const r = room;
    room = undefined;
    r?.();
    poke();
  };
  const reader = (async () => {
    for await (const m of messages) {
      if (stopping) {
        m.nak();
        continue;
      }
      queue.push(m);
      poke();
      while (queue.length >= maxBatch && !stopping) {
        await new Promise<void>((r) => (room = r));
      }
    }
  })()
    .catch(ended)
    .finally(() => {
      reading = false;
      poke();
    });
  const worker = (async () => {
    for (;;) {
      if (queue.length === 0 || stopping) {
        if (!reading || stopping) {
          break;
        }
        await new Promise<void>((r) => (signal = r));
        continue;
      }
      const batch = queue.splice(0, maxBatch);
      const r = room;
      room = undefined;
      r?.();
      const outcomes = await processor.processBatch(batch.map(deliveryOf));
      batch.forEach((m, i) => settle(m, outcomes[i] ?? 'retry'));
    }
    // Stopped: what was received but not handled goes back to the server at once.
    for (const m of queue.splice(0)) {
      m.nak();
    }
  })().catch(ended);
  const done = Promise.all([reader, worker]).then(() => undefined);
  return {
    async stop() {
      stopping = true;
      release();
      await messages.close().catch(() => undefined);
      await done;
    },
  };
}
