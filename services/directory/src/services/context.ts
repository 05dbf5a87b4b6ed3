import type { AuditLog, CommandPipeline, ServiceEvents } from '@samverkan/shared';
import type { DataSource } from 'typeorm';

export type { AuditTarget, PendingEvent } from '@samverkan/shared';

export interface DirectoryContext {
  dataSource: DataSource;
  events: ServiceEvents;
  audit: AuditLog;
  /**
   * Every write goes through it (docs/architecture.md, "The write pipeline"): `deny` audits a
   * refusal before anything is read or locked; `transact` runs the change with its outbox rows and
   * its unchained audit entry in one transaction, and audits a refusal the change ends in.
   */
  pipeline: CommandPipeline;
  /** the hub operator's organisation: the only one whose members may hold `hub_admin` */
  hubOrganisationId: string;
}
