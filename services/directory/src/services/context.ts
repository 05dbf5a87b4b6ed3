import {
  CommonProblems,
  ProblemError,
  type AuditLog,
  type AuditRecord,
  type Principal,
  type ServiceEvents,
} from '@samverkan/shared';
import type { DataSource, EntityManager } from 'typeorm';

export interface DirectoryContext {
  dataSource: DataSource;
  events: ServiceEvents;
  audit: AuditLog;
  /** the hub operator's organisation: the only one whose members may hold `hub_admin` */
  hubOrganisationId: string;
}

export type AuditTarget = Pick<
  AuditRecord,
  'action' | 'objectType' | 'objectId' | 'objectOrg' | 'detail'
>;

/** Records the refusal in the audit log, then refuses. */
export async function deny(
  ctx: DirectoryContext,
  principal: Principal,
  target: AuditTarget,
  detail?: string,
): Promise<never> {
  await ctx.audit.append({ ...target, actor: principal, outcome: 'denied' });
  throw new ProblemError(CommonProblems.forbidden, detail);
}

export interface PendingEvent {
  type: string;
  data: Record<string, unknown>;
}

/**
 * One change: the work, its audit entry and its events in a single transaction, so that either
 * all of them exist or none does.
 */
export async function change<T>(
  ctx: DirectoryContext,
  principal: Principal,
  target: AuditTarget,
  work: (tx: EntityManager) => Promise<{ result: T; events: PendingEvent[] }>,
): Promise<T> {
  return ctx.events.transaction(async (tx) => {
    const { result, events } = await work(tx);
    for (const event of events) {
      await ctx.events.outbox.append(tx, event.type, event.data);
    }
    await ctx.audit.append({ ...target, actor: principal, outcome: 'allowed' }, tx);
    return result;
  });
}
