import { randomUUID } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import { PeriodicPass } from '@samverkan/shared';
import { ReferralEntity, ReferralEventEntity } from '../entities';
import { escalationTargets, sameOrganisationCover } from '../domain/deadlines';
import { ReferralEvents } from '../events/referral-events';
import type { ReferralsContext } from './context';
import { eventData } from '../referrals';

const SYSTEM = { sub: 'system:deadline-watcher', org: null, iss: null };

/**
 * Escalates referrals whose acknowledgement deadline passed while still `sent`. Every replica
 * runs one; each pass claims due referrals with `FOR UPDATE SKIP LOCKED`, re-checks their state
 * in the same transaction, raises the escalation level, and publishes `referral.escalated`
 * through the outbox — so an escalation happens once, and nothing acute expires silently.
 */
export class DeadlineWatcher extends PeriodicPass {
  constructor(
    private readonly ctx: ReferralsContext,
    intervalMs: number,
    log: FastifyBaseLogger,
  ) {
    super(intervalMs, log, 'deadline');
  }

  /** One pass; returns how many referrals it escalated. */
  async tick(now = new Date()): Promise<number> {
    let escalated = 0;
    for (;;) {
      const done = await this.ctx.events.transaction(async (tx) => {
        const due = await tx
          .getRepository(ReferralEntity)
          .createQueryBuilder('r')
          .setLock('pessimistic_write')
          .setOnLocked('skip_locked')
          .where("r.status = 'sent' AND r.escalation_level = 0 AND r.acknowledge_by <= :now", {
            now,
          })
          .orderBy('r.acknowledge_by', 'ASC')
          .take(1)
          .getOne();
        if (!due) {
          return false;
        }
        const units = await this.ctx.directory.units([due.recipientUnitId], tx);
        const recipient = units.get(due.recipientUnitId);
        const coverId = recipient?.onCallUnitId ?? null;
        const cover = coverId
          ? (await this.ctx.directory.units([coverId], tx)).get(coverId)
          : undefined;
        const targets = escalationTargets({
          category: due.category,
          recipientUnit: {
            id: due.recipientUnitId,
            onCallUnitId: sameOrganisationCover(recipient, cover),
          },
          coordinatorUnitIds: await this.ctx.directory.coordinatorUnits(due.municipalityCode, tx),
        });
        due.escalationLevel = Math.max(...targets.map((t) => t.level));
        await tx.save(ReferralEntity, due);
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
          await tx.insert(ReferralEventEntity, {
            id: randomUUID(),
            referralId: due.id,
            at: now,
            event: 'escalated',
            actorUnitId: null,
            detail,
          });
          await this.ctx.events.outbox.append(tx, ReferralEvents.escalated, eventData(due, detail));
          this.ctx.metrics?.escalations.inc({ service: 'referrals', kind: 'referral' });
        }
        await this.ctx.audit.append(
          {
            actor: SYSTEM,
            action: 'referral.escalate',
            objectType: 'referral',
            objectId: due.id,
            outcome: 'allowed',
            detail: { level: due.escalationLevel, units: targets.map((t) => t.unitId) },
          },
          tx,
        );
        return true;
      });
      if (!done) {
        return escalated;
      }
      escalated += 1;
    }
  }
}
