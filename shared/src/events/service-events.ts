import type { FastifyInstance } from 'fastify';
import type { DataSource, EntityManager } from 'typeorm';
import { jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { createEventProcessor, type EventConsumerDefinition } from './consumer';
import type { EventCatalog } from './event-catalog';
import type { InProcessBus } from './in-process-bus';
import {
  durableName,
  ensureStream,
  NatsPublisher,
  runJetStreamConsumer,
  streamName,
  type RunningConsumer,
  type SubjectNaming,
} from './nats';
import { createOutboxWriter, type OutboxWriter } from './outbox';
import { OutboxRelay } from './outbox-relay';

/** How events travel in this process: JetStream when NATS_URL is set, otherwise in-process. */
export type EventTransport =
  | { kind: 'nats'; nc: NatsConnection; naming: SubjectNaming; streamReplicas: number }
  | { kind: 'in-process'; bus: InProcessBus };

export interface ServiceEvents {
  outbox: OutboxWriter;
  relay: OutboxRelay;
  /** Runs `fn` in a transaction and wakes the relay once it has committed. */
  transaction<T>(fn: (tx: EntityManager) => Promise<T>): Promise<T>;
  /** Starts a durable, idempotent consumer (on the service's own DataSource). */
  consume(definition: EventConsumerDefinition, producer: string): Promise<void>;
  /** Stops consumers and the relay; call before closing the DataSource. */
  close(): Promise<void>;
}

/**
 * Wires a service's outbox, relay and consumers to the process's event transport, and hooks them
 * into readiness and shutdown.
 */
export async function setupServiceEvents(
  app: FastifyInstance,
  options: {
    service: string;
    dataSource: DataSource;
    catalog: EventCatalog;
    transport: EventTransport;
    pollIntervalMs: number;
    /** false for short-lived tools (seed): events stay in the outbox for the running service */
    startRelay?: boolean;
  },
): Promise<ServiceEvents> {
  const { service, dataSource, catalog, transport } = options;
  const outbox = createOutboxWriter(service, catalog);
  let publisher;
  if (transport.kind === 'nats') {
    const jsm = await jetstreamManager(transport.nc);
    await ensureStream(
      jsm,
      streamName(transport.naming, service),
      [`${transport.naming.subjectPrefix}.${service}.>`],
      transport.streamReplicas,
    );
    publisher = new NatsPublisher(transport.nc, transport.naming);
  } else {
    publisher = transport.bus;
  }
  const relay = new OutboxRelay(dataSource, publisher, {
    pollIntervalMs: options.pollIntervalMs,
    log: app.log,
  });
  const consumers: RunningConsumer[] = [];

  app.platform.readiness.add({
    name: `${service}.outbox`,
    critical: false,
    async run() {
      const stats = await relay.stats();
      // A backlog older than a minute means events are not leaving: the broker is unreachable.
      return stats.oldestPendingAgeMs !== null && stats.oldestPendingAgeMs > 60_000
        ? 'degraded'
        : 'ok';
    },
  });

  if (options.startRelay !== false) {
    app.addHook('onReady', async () => {
      relay.start();
    });
  }

  return {
    outbox,
    relay,
    async transaction(fn) {
      const result = await dataSource.transaction(fn);
      relay.poke();
      return result;
    },
    async close() {
      await Promise.all(consumers.map((c) => c.stop()));
      await relay.stop();
    },
    async consume(definition, producer) {
      const processor = createEventProcessor(definition, {
        dataSource,
        catalog,
        log: app.log,
        observe: (type, outcome, deliveryCount) => {
          app.metrics.eventsConsumed.inc({ service, consumer: definition.name, type, outcome });
          if (deliveryCount > 1) {
            app.metrics.eventRedeliveries.inc({ service, consumer: definition.name, type });
          }
        },
      });
      if (transport.kind === 'in-process') {
        transport.bus.register(processor);
        return;
      }
      const jsm = await jetstreamManager(transport.nc);
      const stream = streamName(transport.naming, producer);
      await ensureStream(
        jsm,
        stream,
        [`${transport.naming.subjectPrefix}.${producer}.>`],
        transport.streamReplicas,
      );
      consumers.push(
        await runJetStreamConsumer(transport.nc, transport.naming, stream, processor, app.log),
      );
      app.metrics.watchConsumer(
        service,
        definition.name,
        async () => (await jsm.consumers.info(stream, durableName(definition.name))).num_pending,
      );
    },
  };
}
