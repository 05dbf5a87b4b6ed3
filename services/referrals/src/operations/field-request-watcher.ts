import type { FastifyBaseLogger } from 'fastify';
import { PeriodicPass, sameOrganisationCover } from '@samverkan/shared';
import { fieldRequestEscalationTargets } from '../domain/field-requests';
import { FieldRequestEvents } from '../events/operation-events';
import { pipelineOf, type ReferralsContext } from '../services/context';
import { claimUnclaimedFieldRequest, saveFieldRequest } from './field-requests.repository';
import { operationOf } from './operations.repository';
import { fieldRequestEventData } from './views';

const SYSTEM = { sub: 'system:field-request-watcher', org: null, iss: null };

/**
 * Escalates field requests nobody claimed by their claim deadline (needed-by, or the configured
 * claim window): to the participating units' 24/7 on-call units (Socialjour) and the operation's
 * coordinator, by the platform's one escalation rule (shared/src/domain/escalation.ts). Every
 * replica runs one; each pass goes through the write pipeline's `drain`: one transaction per
 * request, claimed with `FOR UPDATE SKIP LOCKED` and re-checked in it, so a request escalates
 * once. The request stays open: it can still be claimed.
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
    const { ctx } = this;
    return pipelineOf(ctx).drain(SYSTEM, async (tx) => {
      const due = await claimUnclaimedFieldRequest(tx, now);
      if (!due) {
        return null;
      }
      const operation = await operationOf(tx, due.operationId);
      const units = await ctx.directory.units(due.participantUnitIds, tx);
      const covers = await ctx.directory.units(
        [...units.values()].flatMap((u) => (u.onCallUnitId ? [u.onCallUnitId] : [])),
        tx,
      );
      const targets = fieldRequestEscalationTargets({
        participants: due.participantUnitIds.map((unitId) => {
          const unit = units.get(unitId);
          const cover = unit?.onCallUnitId ? covers.get(unit.onCallUnitId) : undefined;
          // Only an on-call unit of the same organisation covers (issue 12), as for referrals.
          return { unitId, onCallUnitId: sameOrganisationCover(unit, cover) };
        }),
        coordinatorUnitId: operation.coordinatorUnitId,
      });
      due.escalatedAt = now;
      await saveFieldRequest(tx, due);
      ctx.metrics?.escalations.inc({ service: 'referrals', kind: 'field_request' });
      return {
        target: {
          action: 'field_request.escalate',
          objectType: 'field_request',
          objectId: due.id,
          detail: { units: targets, claimBy: due.claimBy.toISOString() },
        },
        events: [
          {
            type: FieldRequestEvents.escalated,
            data: fieldRequestEventData(due, operation, {
              escalatedToUnitIds: targets,
              reason: 'unclaimed',
            }),
          },
        ],
      };
    });
  }
}
