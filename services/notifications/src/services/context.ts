import type { AuditLog, PlatformMetrics, ServiceEvents } from '@samverkan/shared';
import type { DataSource } from 'typeorm';
import type { NotificationsConfig } from '../config';
import type { DirectoryReadModel } from '../read-model/directory-read-model';
import type { NotificationFeed } from './notification-feed';

export { change, deny, recordRefusal, type AuditTarget } from '@samverkan/shared';

export interface NotificationsContext {
  /** Prometheus counters (escalations); absent in tools that run without an app */
  metrics?: PlatformMetrics;
  dataSource: DataSource;
  events: ServiceEvents;
  audit: AuditLog;
  directory: DirectoryReadModel;
  config: NotificationsConfig;
  /** wakes the live streams of users whose notifications or counts changed */
  feed: NotificationFeed;
}
