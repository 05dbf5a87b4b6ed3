import type { AuditLog, ServiceEvents } from '@samverkan/shared';
import type { DataSource } from 'typeorm';

export { change, deny, type AuditTarget, type PendingEvent } from '@samverkan/shared';

export interface DirectoryContext {
  dataSource: DataSource;
  events: ServiceEvents;
  audit: AuditLog;
  /** the hub operator's organisation: the only one whose members may hold `hub_admin` */
  hubOrganisationId: string;
}
