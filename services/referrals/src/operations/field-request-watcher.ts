import type { FastifyBaseLogger } from 'fastify';
import { PeriodicPass } from '@samverkan/shared';
import { FieldRequestEntity, OperationEntity } from '../entities';
import { fieldRequestEscalationTargets } from '../domain/field-requests';
import { FieldRequestEvents } from '../events/operation-events';
import type { ReferralsContext } from '../services/context';
import { fieldRequestEventData } from './views';

const SYSTEM = { sub: 'system:field-request-watcher', org: null, iss: null };

/**
 * Escalates field requests nobody claimed by their claim deadline (needed-by, or the configured
 * claim window): to the participating units' 24/7 on-call units (Socialjour) and the operation's
 * coordinator. Every replica runs one; each pass claims due rows with `FOR UPDATE SKIP LOCKED`
 * and re-checks them in the same transaction, so a request escalates once. The request stays
 * open: it can still be claimed.
 */
export class FieldRequestWatcher extends PeriodicPass {
  constructor(
    private readonly ctx: ReferralsContext,
    intervalMs: number,
    log: FastifyBaseLogger,
  ) {
    super(intervalMs, log, 'field request');
  }

  /** One pass; returns how many field requests it escalated. */
  async tick(now = new Date()): Promise<number> {
    let escalated = 0;
    for (;;) {
      const done = await this.ctx.events.transaction(async (tx) => {
        const due = await tx
          .getRepository(FieldRequestEntity)
          .createQueryBuilder('f')
          .setLock('pessimistic_write')
          .setOnLocked('skip_locked')
          .where("f.status = 'open' AND f.escalated_at IS NULL AND f.claim_by <= :now", { now })
          .orderBy('f.claim_by', 'ASC')
          .take(1)
          .getOne();
        if (!due) {
          return false;
        }
        const operation = await tx.findOneByOrFail(OperationEntity, { id: due.operationId });
        const units = await this.ctx.directory.units(due.participantUnitIds, tx);
        const targets = fieldRequestEscalationTargets({
          participants: due.participantUnitIds.map((unitId) => ({
            unitId,
            onCallUnitId: units.get(unitId)?.onCallUnitId ?? null,
          })),
          coordinatorUnitId: operation.coordinatorUnitId,
        });
        due.escalatedAt = now;
        await tx.save(FieldRequestEntity, due);
        await this.ctx.events.outbox.append(
          tx,
          FieldRequestEvents.escalated,
          fieldRequestEventData(due, operation, {
            escalatedToUnitIds: targets,
            reason: 'unclaimed',
          }),
        );
        this.ctx.metrics?.escalations.inc({ service: 'referrals', kind: 'field_request' });
        await this.ctx.audit.append(
          {
            actor: SYSTEM,
            action: 'field_request.escalate',
            objectType: 'field_request',
            objectId: due.id,
            outcome: 'allowed',
            detail: { units: targets, claimBy: due.claimBy.toISOString() },
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
