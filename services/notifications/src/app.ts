import path from 'node:path';
import {
  createEventProcessor,
  EventCatalog,
  idempotency,
  issuerReadModelConsumer,
  OpenApiContract,
  openServiceRuntime,
  CommandPipeline,
  readModelIssuerSource,
  type EventConsumerDefinition,
  type EventProcessor,
} from '@samverkan/shared';
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import { loadNotificationsConfig } from './config';
import { NOTIFICATIONS_ENTITIES } from './entities';
import { NOTIFICATIONS_MIGRATIONS } from './migrations';
import {
  createDirectoryReadModel,
  directoryReadModelConsumer,
} from './read-model/directory-read-model';
import { operationsRoutes } from './routes/dead-letters';
import { notificationRoutes } from './routes/notifications';
import { preferenceRoutes } from './routes/preferences';
import { NotificationsPurger } from './records/notifications-purger';
import { recordsConsumer } from './records/records-consumer';
import { loadNotificationsRetention } from './records/retention-config';
import { notificationsAuditParties } from './services/audit-parties';
import type { NotificationsContext } from './services/context';
import { createDeadLettersService } from './dead-letters/dead-letters.service';
import { EscalationWatcher } from './escalations/watcher';
import { createEventHandlers } from './consumers/event-handlers';
import { createInboxService } from './inbox';
import { NotificationFeed } from './services/notification-feed';
import { createPreferencesService } from './services/preferences.service';
import { registerWebhooks } from './webhooks';

export const OPENAPI_DIR = path.resolve(__dirname, '../../../openapi');

export const NOTIFICATIONS_EVENT_DOCUMENTS = [
  path.join(OPENAPI_DIR, 'notifications.events.yaml'),
  path.join(OPENAPI_DIR, 'referrals.events.yaml'),
  path.join(OPENAPI_DIR, 'directory.events.yaml'),
];

export interface NotificationsServices {
  contract: OpenApiContract;
  context: NotificationsContext;
  inbox: ReturnType<typeof createInboxService>;
  preferences: ReturnType<typeof createPreferencesService>;
  deadLetters: ReturnType<typeof createDeadLettersService>;
  escalations: EscalationWatcher;
  /**
   * Starts a durable consumer (`producer`: the service whose stream it reads) whose dead letters
   * can be replayed through `/v1/dead-letters/{id}/replay`.
   */
  consume(definition: EventConsumerDefinition, producer: string): Promise<void>;
  /** deletes notifications past NOTIFICATIONS_RETENTION_DAYS (src/records/) */
  purger: NotificationsPurger;
}

declare module 'fastify' {
  interface FastifyInstance {
    notifications: NotificationsServices;
  }
}

export interface NotificationsOptions {
  onServices?: (services: NotificationsServices) => void;
}

/**
 * The notifications service as an encapsulated plugin: turns directory, referral and operation
 * events into per-user notifications (inbox, live stream, webhooks), escalates critical items
 * nobody acknowledges, and keeps a read model of the directory fed by its events.
 */
export const notificationsService: FastifyPluginAsync<NotificationsOptions> = async (
  app: FastifyInstance,
  options,
) => {
  const own = loadNotificationsConfig();
  const runtime = await openServiceRuntime(app, {
    service: 'notifications',
    entities: NOTIFICATIONS_ENTITIES,
    migrations: NOTIFICATIONS_MIGRATIONS,
    eventDocuments: NOTIFICATIONS_EVENT_DOCUMENTS,
    deferredAuditChain: true,
  });
  const { dataSource, events, audit } = runtime;
  audit.resolvePartiesWith(notificationsAuditParties());
  // On the embedded PGlite (no DATABASE_URL: the hub's one process) streams wake in-process only.
  const embedded = !app.platform.config.DATABASE_URL && !process.env.NOTIFICATIONS_DATABASE_URL;
  const feed = new NotificationFeed(dataSource, app.log, !embedded);
  const context: NotificationsContext = {
    dataSource,
    events,
    audit,
    pipeline: CommandPipeline.forService({ dataSource, events, audit }),
    directory: createDirectoryReadModel(),
    config: own,
    feed,
    metrics: app.metrics,
  };

  // The same processors the consumers run, kept by name for replaying dead letters.
  const catalog = EventCatalog.fromFiles(...NOTIFICATIONS_EVENT_DOCUMENTS);
  const processors = new Map<string, EventProcessor>();
  const consume = async (given: EventConsumerDefinition, producer: string) => {
    const definition = { ...given, maxBatch: given.maxBatch ?? own.consumerBatch };
    processors.set(
      definition.name,
      createEventProcessor(definition, { dataSource, catalog, log: app.log }),
    );
    await events.consume(definition, producer);
  };

  await consume(
    directoryReadModelConsumer({
      memberRemoved: (tx, person) => feed.signal(tx, [person]),
      committed: (people) => feed.wake(people),
    }),
    'directory',
  );
  await consume(issuerReadModelConsumer('notifications'), 'directory');
  app.platform.issuers.addSource(readModelIssuerSource(dataSource));
  const handlers = createEventHandlers(context);
  await consume(handlers.referralsConsumer, 'referrals');
  await consume(handlers.webhookDisabledConsumer, 'notifications');
  await consume(recordsConsumer(context.pipeline), 'referrals');
  const purger = new NotificationsPurger(
    { pipeline: context.pipeline, retention: loadNotificationsRetention() },
    app.log,
  );

  const escalations = new EscalationWatcher(context, app.log);
  app.addHook('onReady', async () => {
    await feed.start();
    escalations.start();
    purger.start();
  });
  app.addHook('onClose', async () => {
    await escalations.stop();
    await purger.stop();
    await feed.stop();
    await runtime.close();
  });

  const services: NotificationsServices = {
    contract: OpenApiContract.load(path.join(OPENAPI_DIR, 'notifications.yaml'), 'notifications'),
    context,
    inbox: createInboxService(context),
    preferences: createPreferencesService(context),
    deadLetters: createDeadLettersService(context, processors),
    escalations,
    purger,
    consume,
  };
  app.decorate('notifications', services);
  options.onServices?.(services);
  services.contract.registerSchemas(app);

  await app.register(idempotency, { dataSource });
  await app.register(notificationRoutes);
  await app.register(preferenceRoutes);
  await app.register(operationsRoutes);
  await registerWebhooks(app, {
    ...runtime,
    pipeline: context.pipeline,
    directory: context.directory,
    contract: services.contract,
    openapiDir: OPENAPI_DIR,
    consume,
  });
};
