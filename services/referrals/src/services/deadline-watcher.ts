import type { FastifyBaseLogger } from 'fastify';
import { escalationTargets, PeriodicPass } from '@samverkan/shared';
import { sameOrganisationCover } from '../domain/deadlines';
import { ReferralEvents } from '../events/referral-events';
import { createReferralsRepository, eventData } from '../referrals';
import { pipelineOf, type PendingEvent, type ReferralsContext } from './context';

const SYSTEM = { sub: 'system:deadline-watcher', org: null, iss: null };

/**
 * Escalates referrals whose acknowledgement deadline passed while still `sent`. Every replica
 * runs one; each pass goes through the write pipeline's `drain`: one transaction per referral,
 * claimed with `FOR UPDATE SKIP LOCKED` and re-checked in it, the escalation level raised, and
 * `referral.escalated` in the outbox with the audit entry — so an escalation happens once, and
 * nothing acute expires silently. Who is alerted is the platform's one escalation rule
 * (`escalationTargets`, shared/src/domain/escalation.ts), the same the notifications service's
 * timers take.
 */
export class DeadlineWatcher extends PeriodicPass {
  private readonly repository: ReturnType<typeof createReferralsRepository>;

  constructor(
    private readonly ctx: ReferralsContext,
    intervalMs: number,
    log: FastifyBaseLogger,
  ) {
    super(intervalMs, log, 'deadline');
    this.repository = createReferralsRepository(ctx);
  }

  /** One pass; returns how many referrals it escalated. */
  async tick(now = new Date()): Promise<number> {
    const { ctx, repository } = this;
    return pipelineOf(ctx).drain(SYSTEM, async (tx) => {
      const due = await repository.claimOverdue(tx, now);
      if (!due) {
        return null;
      }
      const units = await ctx.directory.units([due.recipientUnitId], tx);
      const recipient = units.get(due.recipientUnitId);
      const coverId = recipient?.onCallUnitId ?? null;
      const cover = coverId ? (await ctx.directory.units([coverId], tx)).get(coverId) : undefined;
      const targets = escalationTargets({
        objectType: 'referral',
        category: due.category,
        units: [{ id: due.recipientUnitId, onCallUnitId: sameOrganisationCover(recipient, cover) }],
        coordinatorUnitIds: await ctx.directory.coordinatorUnits(due.municipalityCode, tx),
      });
      due.escalationLevel = Math.max(...targets.map((t) => t.level));
      await repository.save(tx, due);
      const events: PendingEvent[] = [];
      for (const level of [1, 2] as const) {
        const at = targets.filter((t) => t.level === level);
        if (at.length === 0) {
          continue;
        }
        const detail = {
          level: level === 1 ? 'unit_on_call' : 'coordinator',
          deadline: due.acknowledgeBy.toISOString(),
          escalatedToUnitIds: at.map((t) => t.unitId),
        };
        await repository.appendTimeline(tx, due.id, 'escalated', null, detail, now);
        events.push({ type: ReferralEvents.escalated, data: eventData(due, detail) });
        ctx.metrics?.escalations.inc({ service: 'referrals', kind: 'referral' });
      }
      return {
        target: {
          action: 'referral.escalate',
          objectType: 'referral',
          objectId: due.id,
          detail: { level: due.escalationLevel, units: targets.map((t) => t.unitId) },
        },
        events,
      };
    });
  }
}
