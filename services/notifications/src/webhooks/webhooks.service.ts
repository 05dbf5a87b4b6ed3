import type { AuditLog, CommandPipeline, ServiceEvents } from '@samverkan/shared';
import type { DataSource } from 'typeorm';
import type { DirectoryReadModel } from '../read-model/directory-read-model';
import { createWebhookAccess } from './access';
import { createWebhookCommands } from './commands';
import { createWebhookQueries } from './queries';
import { createWebhooksRepository } from './repository';
import type { WebhookConfig } from './webhook-config';

export type { EndpointCreate, EndpointUpdate } from './endpoint-rules';

export interface WebhooksContext {
  dataSource: DataSource;
  events: ServiceEvents;
  audit: AuditLog;
  /** every write goes through it (see NotificationsContext.pipeline) */
  pipeline: CommandPipeline;
  directory: DirectoryReadModel;
  config: WebhookConfig;
  /** the event types endpoints may subscribe to (`referral.sent`, …) */
  eventTypes: ReadonlySet<string>;
  /** wakes the delivery worker after a commit that queued something */
  poke(): void;
}

/**
 * Webhook endpoints and their delivery log: who may manage them in access.ts, every statement in
 * repository.ts, the writes in commands.ts (their rules in endpoint-rules.ts), the reads in
 * queries.ts. Every change and refusal is audited; a change, its audit entry and its events
 * commit together.
 */
export function createWebhooksService(ctx: WebhooksContext) {
  const repo = createWebhooksRepository(ctx.dataSource);
  const access = createWebhookAccess(ctx, repo);
  const { withAttempts, ...queries } = createWebhookQueries(repo, access);
  return { ...queries, ...createWebhookCommands(ctx, repo, access, withAttempts) };
}

export type WebhooksService = ReturnType<typeof createWebhooksService>;
