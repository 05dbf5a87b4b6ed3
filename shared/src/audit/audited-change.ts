import type { EntityManager } from 'typeorm';
import { CommonProblems, ProblemError } from '../errors/problem';
import type { ServiceEvents } from '../events/service-events';
import type { AuditLog, AuditRecord } from './audit-log';

export interface ChangeContext {
  events: ServiceEvents;
  audit: AuditLog;
}

export type AuditActor = AuditRecord['actor'];
export type AuditTarget = Pick<
  AuditRecord,
  'action' | 'objectType' | 'objectId' | 'objectOrg' | 'detail'
>;

export interface PendingEvent {
  type: string;
  data: Record<string, unknown>;
}

/** Records the refusal in the audit log, then refuses (403 unless another problem is given). */
export async function deny(
  ctx: Pick<ChangeContext, 'audit'>,
  actor: AuditActor,
  target: AuditTarget,
  refusal: string | ProblemError = new ProblemError(CommonProblems.forbidden),
): Promise<never> {
  const problem =
    typeof refusal === 'string' ? new ProblemError(CommonProblems.forbidden, refusal) : refusal;
  await ctx.audit.append({
    ...target,
    actor,
    outcome: 'denied',
    detail: { ...target.detail, refused: problem.definition.code },
  });
  throw problem;
}

/**
 * One change: the work, its audit entry and its events in a single transaction, so that either
 * all of them exist or none does; the relay is woken once it has committed.
 */
export async function change<T>(
  ctx: ChangeContext,
  actor: AuditActor,
  target: AuditTarget,
  work: (tx: EntityManager) => Promise<{ result: T; events: PendingEvent[] }>,
): Promise<T> {
  const result = await ctx.events.transaction(async (tx) => {
    const { result, events } = await work(tx);
    for (const event of events) {
      await ctx.events.outbox.append(tx, event.type, event.data);
    }
    await ctx.audit.append({ ...target, actor, outcome: 'allowed' }, tx);
    return result;
  });
  ctx.audit.poke();
  return result;
}

/**
 * Records a refusal a piece of work ended in (a 4xx problem: a broken rule, a wrong state, no
 * right) as a denied attempt, after the work's own transaction has rolled back. Other errors are
 * not refusals and are left to the error handler.
 */
export async function recordRefusal(
  ctx: Pick<ChangeContext, 'audit'>,
  actor: AuditActor,
  target: AuditTarget,
  err: unknown,
): Promise<void> {
  if (err instanceof ProblemError && err.statusCode >= 400 && err.statusCode < 500) {
    await ctx.audit.append({
      ...target,
      actor,
      outcome: 'denied',
      detail: { ...target.detail, refused: err.definition.code },
    });
  }
}
