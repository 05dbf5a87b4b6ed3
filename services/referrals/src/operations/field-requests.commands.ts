import { CommonProblems, hasRole, ProblemError, type Principal } from '@samverkan/shared';
import { ReferralProblems as P } from '../domain/errors';
import {
  checkNeededBy,
  claimDeadline,
  claimRefusal,
  fieldRequestTransition,
  type FieldRequestAction,
} from '../domain/field-requests';
import { mayActOnFieldRequest } from '../domain/operation-access';
import { FieldRequestEvents } from '../events/operation-events';
import { deny, pipelineOf, type ReferralsContext } from '../services/context';
import { fieldRequestEventData, fieldRequestView } from './views';
import type { ReferralsService } from '../referrals';
import { createFieldRequestAccess, fieldRequestTarget, type OperationAccessRules } from './access';
import {
  claimIfOpen,
  fieldRequestExists,
  fieldRequestOf,
  insertFieldRequest,
  lockFieldRequest,
  saveFieldRequest,
} from './field-requests.repository';
import { acceptedParticipants, onShiftNow, operationOf } from './operations.repository';
import type { FieldRequestCreate } from './field-requests.model';

/**
 * Field requests (docs/architecture.md#operation-weeks): an officer of the organiser's organisation asks, during an active
 * operation, for a social worker on site; everyone on shift at the participating social services
 * units is alerted; the first to claim gets it (one conditional UPDATE, so exactly one claim wins
 * however many arrive at once, on Postgres and on the embedded PGlite alike); then en route, on
 * site, completed, and the encounter tally.
 */
export function createFieldRequestCommands(
  ctx: ReferralsContext,
  rules: OperationAccessRules,
  envelopes: ReferralsService['rules'],
) {
  const target = fieldRequestTarget;
  const { visible } = createFieldRequestAccess(ctx, rules);
  const lock = lockFieldRequest;

  return {
    async create(principal: Principal, operationId: string, input: FieldRequestCreate) {
      const { op, access } = await rules.visibleOperation(
        principal,
        operationId,
        'field_request.create',
      );
      const t = target('field_request.create', input.id, principal, { operationId });
      if (
        !hasRole(principal, 'officer') ||
        principal.org !== op.organiserOrganisationId ||
        !access.units.includes(input.requesterUnitId)
      ) {
        await deny(ctx, principal, t, new ProblemError(P.notOrganiserOfficer));
      }
      return pipelineOf(ctx).transact(principal, t, async (tx) => {
        const operation = await operationOf(tx, operationId);
        if (operation.status !== 'active') {
          throw new ProblemError(P.operationNotActive, `The operation is ${operation.status}`, {
            extensions: { currentStatus: operation.status },
          });
        }
        const now = new Date();
        const neededBy = new Date(input.neededBy);
        checkNeededBy(neededBy, now);
        const participants = (await acceptedParticipants(tx, operationId))
          .filter((p) => p.organisationKind === 'social_services')
          .map((p) => p.unitId)
          .sort();
        if (participants.length === 0) {
          throw new ProblemError(P.noSocialServicesParticipant);
        }
        const info = await envelopes.checkEnvelope(
          input.envelope,
          {
            rid: input.id,
            from: input.requesterUnitId,
            to: participants,
            kind: 'field_request',
            record: {
              ...input,
              fieldRequestId: input.id,
              operationId,
              participantUnitIds: participants,
            },
          },
          tx,
        );
        if (await fieldRequestExists(tx, input.id)) {
          throw new ProblemError({
            ...CommonProblems.conflict,
            slug: 'field-request-exists',
            code: 'REFERRALS_FIELD_REQUEST_EXISTS',
          });
        }
        const saved = await insertFieldRequest(tx, {
          id: input.id,
          operationId,
          requesterUnitId: input.requesterUnitId,
          participantUnitIds: participants,
          urgency: input.urgency,
          neededBy,
          claimBy: claimDeadline(neededBy, now, ctx.fieldRequestClaimWindowMs),
          estimatedPersons: input.estimatedPersons,
          languages: input.languages,
          flags: input.flags,
          envelope: input.envelope,
          envelopeSize: info.sizeBytes,
        });
        const onShift = await onShiftNow(tx, operationId, now, participants);
        const alerted = [...new Map(onShift.map((s) => [`${s.unitId}/${s.userId}`, s])).values()];
        return {
          result: fieldRequestView(saved),
          events: [
            {
              type: FieldRequestEvents.created,
              data: fieldRequestEventData(saved, operation, {
                onShift: alerted.map((s) => ({ unitId: s.unitId, userId: s.userId })),
              }),
            },
          ],
        };
      });
    },

    /**
     * The first member on shift to claim gets it. The conditional UPDATE (`… AND status =
     * 'open'`) is the whole decision: concurrent claimers queue on the row lock, and once the
     * winner commits every other UPDATE matches nothing and answers 409.
     */
    async claim(principal: Principal, id: string, unitId?: string) {
      const { request, access } = await visible(principal, id, 'field_request.claim');
      const t = target('field_request.claim', id, principal);
      const candidates = request.participantUnitIds.filter(
        (u) => access.units.includes(u) && (unitId === undefined || u === unitId),
      );
      const now = new Date();
      const shifts = candidates.length
        ? (await onShiftNow(ctx.dataSource.manager, request.operationId, now, candidates)).filter(
            (s) => s.userId === principal.sub,
          )
        : [];
      const shift = shifts[0];
      if (!shift) {
        return deny(ctx, principal, t, new ProblemError(P.notOnShift));
      }
      return pipelineOf(ctx).transact(
        principal,
        { ...t, detail: { unitId: shift.unitId } },
        async (tx) => {
          const operation = await operationOf(tx, request.operationId);
          if (operation.status !== 'active') {
            throw new ProblemError(P.operationNotActive, `The operation is ${operation.status}`, {
              extensions: { currentStatus: operation.status },
            });
          }
          const claimed = await claimIfOpen(tx, id, {
            claimedBy: principal.sub,
            claimedByUnitId: shift.unitId,
            claimedAt: new Date(),
          });
          const current = await fieldRequestOf(tx, id);
          if (!claimed) {
            throw claimRefusal(current.status);
          }
          return {
            result: fieldRequestView(current),
            events: [
              {
                type: FieldRequestEvents.claimed,
                data: fieldRequestEventData(current, operation, {
                  claimedBy: current.claimedBy,
                  claimedByUnitId: current.claimedByUnitId,
                }),
              },
            ],
          };
        },
      );
    },

    /** en route / on site / complete by the claimer; cancel by the requester's officers. */
    async act(principal: Principal, id: string, action: FieldRequestAction) {
      const { request, access } = await visible(principal, id, `field_request.${action}`);
      const t = target(`field_request.${action}`, id, principal);
      if (!mayActOnFieldRequest(principal, access.units, request, action)) {
        const problem = action === 'cancel' ? P.notTheRequester : P.notTheClaimer;
        await deny(ctx, principal, t, new ProblemError(problem));
      }
      return pipelineOf(ctx).transact(principal, t, async (tx) => {
        const row = await lock(tx, id);
        const operation = await operationOf(tx, row.operationId);
        row.status = fieldRequestTransition(row.status, action);
        const now = new Date();
        if (action === 'en_route') {
          row.enRouteAt = now;
        } else if (action === 'on_site') {
          row.onSiteAt = now;
        } else if (action === 'complete') {
          row.completedAt = now;
        } else {
          row.cancelledAt = now;
        }
        row.version += 1;
        await saveFieldRequest(tx, row);
        const type =
          action === 'en_route'
            ? FieldRequestEvents.en_route
            : action === 'on_site'
              ? FieldRequestEvents.on_site
              : action === 'complete'
                ? FieldRequestEvents.completed
                : FieldRequestEvents.cancelled;
        return {
          result: fieldRequestView(row),
          events: [
            {
              type,
              data: fieldRequestEventData(row, operation, {
                claimedBy: row.claimedBy,
                claimedByUnitId: row.claimedByUnitId,
              }),
            },
          ],
        };
      });
    },
  };
}

export type FieldRequestCommands = ReturnType<typeof createFieldRequestCommands>;
