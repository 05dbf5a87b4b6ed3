import type { AuditLog, CommandPipeline, PlatformMetrics, ServiceEvents } from '@samverkan/shared';
import type { DataSource } from 'typeorm';
import type { NotificationsConfig } from '../config';
import type { DirectoryReadModel } from '../read-model/directory-read-model';
import type { NotificationFeed } from './notification-feed';

export type { AuditTarget } from '@samverkan/shared';

export interface NotificationsContext {
  /** Prometheus counters (escalations); absent in tools that run without an app */
  metrics?: PlatformMetrics;
  dataSource: DataSource;
  events: ServiceEvents;
  audit: AuditLog;
  /**
   * Every write goes through it (docs/architecture.md, "The write pipeline"): `deny` audits a
   * refusal before anything is read or locked; `transact` runs the change with its outbox rows and
   * its unchained audit entry in one transaction, and audits a refusal the change ends in.
   */
  pipeline: CommandPipeline;
  directory: DirectoryReadModel;
  config: NotificationsConfig;
  /** wakes the live streams of users whose notifications or counts changed */
  feed: NotificationFeed;
}
