import type { AuditLog, PlatformMetrics, ServiceEvents } from '@samverkan/shared';
import type { DataSource } from 'typeorm';
import type { DeadlineConfig } from '../domain/deadlines';
import type { DirectoryReadModel } from '../read-model/directory-read-model';

export {
  change,
  deny,
  recordRefusal,
  type AuditTarget,
  type PendingEvent,
} from '@samverkan/shared';

export interface ReferralsContext {
  /** Prometheus counters (escalations); absent in tools that run without an app */
  metrics?: PlatformMetrics;
  dataSource: DataSource;
  events: ServiceEvents;
  audit: AuditLog;
  directory: DirectoryReadModel;
  deadlines: DeadlineConfig;
  envelopeMaxBytes: number;
  /** REFERRALS_FIELD_REQUEST_CLAIM_WINDOW; undefined: a field request escalates at needed-by */
  fieldRequestClaimWindowMs?: number;
}
