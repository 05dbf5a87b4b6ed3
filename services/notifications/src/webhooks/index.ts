import path from 'node:path';
import {
  EventCatalog,
  type AuditLog,
  type CommandPipeline,
  type EventConsumerDefinition,
  type OpenApiContract,
  type ServiceEvents,
} from '@samverkan/shared';
import type { FastifyInstance } from 'fastify';
import type { DataSource } from 'typeorm';
import type { DirectoryReadModel } from '../read-model/directory-read-model';
import { WebhookDeliveryWorker } from './delivery-worker';
import { loadWebhookConfig, type WebhookConfig } from './webhook-config';
import { notificationWebhooksConsumer, referralWebhooksConsumer } from './webhook-consumers';
import { webhookEventType } from './webhook-payload';
import { webhookRoutes } from './webhook.routes';
import { createWebhooksService, type WebhooksService } from './webhooks.service';

export { WEBHOOK_ENTITIES } from './webhook.entities';
export { ENDPOINT_DISABLED_EVENT } from './delivery-worker';

export interface Webhooks {
  config: WebhookConfig;
  service: WebhooksService;
  worker: WebhookDeliveryWorker;
  /** the event types endpoints may subscribe to */
  eventTypes: ReadonlySet<string>;
}

/**
 * The event types agency systems may subscribe to: every referral, operation and field-request
 * event, and `notification.created`.
 */
export function subscribableEventTypes(openapiDir: string): Set<string> {
  const catalog = EventCatalog.fromFiles(
    path.join(openapiDir, 'referrals.events.yaml'),
    path.join(openapiDir, 'notifications.events.yaml'),
  );
  const types = new Set<string>();
  for (const type of catalog.types()) {
    if (type.startsWith('samverkan.referrals.')) {
      types.add(webhookEventType(type)!);
    }
  }
  if (catalog.has('samverkan.notifications.notification.created')) {
    types.add('notification.created');
  }
  return types;
}

/**
 * Signed webhooks to agency systems, inside the notifications service: the endpoint routes, the
 * consumers that queue deliveries, and the worker that sends them. Call after the service's
 * runtime is open and its contract schemas are registered, with the idempotency plugin in place.
 */
export async function registerWebhooks(
  app: FastifyInstance,
  options: {
    dataSource: DataSource;
    events: ServiceEvents;
    audit: AuditLog;
    pipeline: CommandPipeline;
    directory: DirectoryReadModel;
    contract: OpenApiContract;
    openapiDir: string;
    /** the service's way of starting a consumer (its dead letters can be replayed) */
    consume(definition: EventConsumerDefinition, producer: string): Promise<void>;
    env?: Record<string, string | undefined>;
  },
): Promise<Webhooks> {
  const config = loadWebhookConfig(options.env);
  if (config.secretKeySource === 'data-dir' && app.platform.config.NATS_URL !== undefined) {
    // Replicas that do not share the data folder could not open each other's secrets.
    app.log.warn(
      'webhook secrets are sealed with a key file in the data folder; set NOTIFICATIONS_WEBHOOK_SECRET_KEY (the same on every replica)',
    );
  }
  const eventTypes = subscribableEventTypes(options.openapiDir);
  const worker = new WebhookDeliveryWorker({
    dataSource: options.dataSource,
    pipeline: options.pipeline,
    config,
    log: app.log,
    metrics: app.metrics,
  });
  const poke = () => worker.poke();
  await options.consume(referralWebhooksConsumer(poke), 'referrals');
  await options.consume(notificationWebhooksConsumer(poke), 'notifications');
  const service = createWebhooksService({
    dataSource: options.dataSource,
    events: options.events,
    audit: options.audit,
    pipeline: options.pipeline,
    directory: options.directory,
    config,
    eventTypes,
    poke,
  });
  await app.register(webhookRoutes, {
    contract: options.contract,
    webhooks: service,
    secretBox: config.secretBox,
  });
  app.addHook('onReady', async () => worker.start());
  // Before onClose, where the service closes its database.
  app.addHook('preClose', async () => worker.stop());
  return { config, service, worker, eventTypes };
}
