import type { FastifyInstance } from 'fastify';
import type { DataSource, EntitySchema, MixedList } from 'typeorm';
import { AuditLog } from '../audit/audit-log';
import { serviceDatabaseUrl } from '../config/config';
import { openServiceDatabase } from '../db/data-source';
import { EventCatalog } from '../events/event-catalog';
import { setupServiceEvents, type ServiceEvents } from '../events/service-events';

export interface ServiceRuntime {
  dataSource: DataSource;
  events: ServiceEvents;
  audit: AuditLog;
  /** Stops consumers and the relay, then closes the database; call from the service's onClose. */
  close(): Promise<void>;
}

/**
 * What every service starts with: its own schema in Postgres with its migrations applied, a
 * readiness check on it, the event catalog from its AsyncAPI documents, its outbox, relay and
 * consumers on the process's transport, and its audit log.
 */
export async function openServiceRuntime(
  app: FastifyInstance,
  options: {
    service: string;
    // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
    entities: MixedList<Function | string | EntitySchema>;
    // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
    migrations: MixedList<Function | string>;
    /** AsyncAPI documents of the events it publishes and consumes */
    eventDocuments: string[];
    /** false for tools that only write: events stay in the outbox for the running service */
    publishEvents?: boolean;
  },
): Promise<ServiceRuntime> {
  const { config } = app.platform;
  const dataSource = await openServiceDatabase({
    url: serviceDatabaseUrl(config, options.service) ?? app.platform.databaseUrl,
    schema: options.service,
    entities: options.entities,
    migrations: options.migrations,
    poolSize: config.DATABASE_POOL_SIZE,
    applicationName: `samverkan-${options.service}`,
  });
  app.platform.readiness.add({
    name: `${options.service}.postgres`,
    critical: true,
    run: async () => {
      await dataSource.query('SELECT 1');
      return 'ok';
    },
  });
  app.metrics.watchOutbox(options.service, dataSource);
  const events = await setupServiceEvents(app, {
    service: options.service,
    dataSource,
    catalog: EventCatalog.fromFiles(...options.eventDocuments),
    transport: app.platform.events,
    pollIntervalMs: config.OUTBOX_POLL_INTERVAL_MS,
    startRelay: options.publishEvents !== false,
  });
  return {
    dataSource,
    events,
    audit: new AuditLog(dataSource),
    async close() {
      await events.close();
      await dataSource.destroy();
    },
  };
}
