import { randomUUID } from 'node:crypto';
import { hasRole, ProblemError, type Principal } from '@samverkan/shared';
import type { OperationParticipantEntity } from '../entities';
import { ReferralProblems as P } from '../domain/errors';
import {
  answerParticipation,
  checkOperationPeriod,
  checkOperationOpen,
  checkOperationUnits,
  checkShiftPeriod,
  operationTransition,
  type OperationAction,
} from '../domain/operations';
import { OperationEvents } from '../events/operation-events';
import { deny, pipelineOf, type PendingEvent, type ReferralsContext } from '../services/context';
import { operationEventBase, operationView, shiftView } from './views';
import {
  operationTarget,
  requireOrganiser as requireOrganiserOf,
  type OperationAccessRules,
} from './access';
import {
  findShift,
  insertOperation,
  insertParticipants,
  insertShift,
  lockOperation,
  lockShift,
  participantOf,
  participantsOf,
  saveOperation,
  saveParticipant,
  saveShift,
} from './operations.repository';
import type { OperationCreate, ShiftCreate } from './operations.model';
import { shiftEventData } from './views';

/** The invitations of units to an operation (known: the directory's units by id). */
function invitations(
  operationId: string,
  unitIds: string[],
  known: Map<string, { organisationId: string; organisationKind: string }>,
  now: Date,
): OperationParticipantEntity[] {
  return unitIds.map((unitId) => ({
    operationId,
    unitId,
    organisationId: known.get(unitId)!.organisationId,
    organisationKind: known.get(unitId)!.organisationKind,
    status: 'invited',
    invitedAt: now,
    answeredAt: null,
  }));
}

/** Operation weeks' writes: create, start/end/cancel, invitations and answers, shifts. */
export function createOperationCommands(ctx: ReferralsContext, rules: OperationAccessRules) {
  const { verifiedUnits, visibleOperation } = rules;
  const target = operationTarget;
  const requireOrganiser = (principal: Principal, id: string, action: string) =>
    requireOrganiserOf(ctx, rules, principal, id, action);

  return {
    async create(principal: Principal, input: OperationCreate) {
      const id = randomUUID();
      const t = target('operation.create', id, principal, {
        organiserUnitId: input.organiserUnitId,
      });
      const units = await verifiedUnits(principal);
      const known = await ctx.directory.units([
        input.organiserUnitId,
        ...(input.coordinatorUnitId ? [input.coordinatorUnitId] : []),
        ...input.invitedUnitIds,
      ]);
      const organiser = known.get(input.organiserUnitId);
      const mayOrganise =
        units.includes(input.organiserUnitId) &&
        ((organiser?.organisationKind === 'police' && hasRole(principal, 'officer')) ||
          (organiser?.organisationKind === 'regional_coordinator' &&
            hasRole(principal, 'coordinator')));
      if (!mayOrganise) {
        await deny(ctx, principal, t, new ProblemError(P.cannotOrganise));
      }
      const coordinatorUnitId =
        input.coordinatorUnitId ??
        (organiser!.organisationKind === 'regional_coordinator' ? input.organiserUnitId : null);
      return pipelineOf(ctx).transact(principal, t, async (tx) => {
        const now = new Date();
        const period = { startsAt: new Date(input.startsAt), endsAt: new Date(input.endsAt) };
        checkOperationPeriod(period, now);
        const facts = (unitId: string) => {
          const u = known.get(unitId);
          return u ? { unitId, organisationKind: u.organisationKind, status: u.status } : undefined;
        };
        checkOperationUnits({
          organiser: facts(input.organiserUnitId),
          coordinator: coordinatorUnitId ? facts(coordinatorUnitId) : null,
          invited: input.invitedUnitIds.map((unitId) => ({ unitId, unit: facts(unitId) })),
        });
        if (coordinatorUnitId && input.invitedUnitIds.includes(coordinatorUnitId)) {
          throw new ProblemError(
            P.operationUnitsInvalid,
            'The coordinator unit takes part already',
          );
        }
        const saved = await insertOperation(tx, {
          id,
          name: input.name.trim(),
          municipalityCodes: input.municipalityCodes,
          startsAt: period.startsAt,
          endsAt: period.endsAt,
          organiserUnitId: input.organiserUnitId,
          organiserOrganisationId: organiser!.organisationId,
          coordinatorUnitId,
          status: 'planned',
          activatedAt: null,
          completedAt: null,
          cancelledAt: null,
          version: 1,
        });
        await insertParticipants(tx, invitations(id, input.invitedUnitIds, known, now));
        return {
          result: operationView(saved, await participantsOf(tx, id)),
          events: [
            {
              type: OperationEvents.created,
              data: {
                ...operationEventBase(saved),
                invitedUnitIds: input.invitedUnitIds,
                municipalityCodes: saved.municipalityCodes,
                startsAt: saved.startsAt.toISOString(),
                endsAt: saved.endsAt.toISOString(),
                status: 'planned',
              },
            },
          ],
        };
      });
    },

    /** activate / complete / cancel, by the organiser. */
    async act(principal: Principal, id: string, action: OperationAction) {
      await requireOrganiser(principal, id, `operation.${action}`);
      return pipelineOf(ctx).transact(
        principal,
        target(`operation.${action}`, id, principal),
        async (tx) => {
          const op = await lockOperation(tx, id);
          const now = new Date();
          op.status = operationTransition(op.status, action, op, now);
          if (action === 'activate') {
            op.activatedAt = now;
          } else if (action === 'complete') {
            op.completedAt = now;
          } else {
            op.cancelledAt = now;
          }
          op.version += 1;
          await saveOperation(tx, op);
          const participants = await participantsOf(tx, id);
          const type =
            action === 'activate'
              ? OperationEvents.activated
              : action === 'complete'
                ? OperationEvents.completed
                : OperationEvents.cancelled;
          return {
            result: operationView(op, participants),
            events: [
              {
                type,
                data: {
                  ...operationEventBase(op),
                  participantUnitIds: participants
                    .filter((p) => p.status === 'accepted')
                    .map((p) => p.unitId),
                  status: op.status,
                },
              },
            ],
          };
        },
      );
    },

    async invite(principal: Principal, id: string, unitIds: string[]) {
      await requireOrganiser(principal, id, 'operation.invite');
      const known = await ctx.directory.units(unitIds);
      const t = target('operation.invite', id, principal, { unitIds });
      return pipelineOf(ctx).transact(principal, t, async (tx) => {
        const op = await lockOperation(tx, id);
        checkOperationOpen(op.status);
        const existing = await participantsOf(tx, id);
        const fresh = unitIds.filter(
          (u) => !existing.some((p) => p.unitId === u) && u !== op.coordinatorUnitId,
        );
        checkOperationUnits({
          organiser: { unitId: op.organiserUnitId, organisationKind: 'police', status: 'active' },
          coordinator: null,
          invited: fresh.map((unitId) => {
            const u = known.get(unitId);
            return {
              unitId,
              unit: u
                ? { unitId, organisationKind: u.organisationKind, status: u.status }
                : undefined,
            };
          }),
        });
        await insertParticipants(tx, invitations(id, fresh, known, new Date()));
        op.version += 1;
        await saveOperation(tx, op);
        const events: PendingEvent[] =
          fresh.length > 0
            ? [
                {
                  type: OperationEvents.participantsInvited,
                  data: { ...operationEventBase(op), invitedUnitIds: fresh, status: op.status },
                },
              ]
            : [];
        return { result: operationView(op, await participantsOf(tx, id)), events };
      });
    },

    /** The invited unit's org_admin, or a coordinator of the unit, accepts or declines. */
    async answer(principal: Principal, id: string, unitId: string, answer: 'accept' | 'decline') {
      const action = `operation.participation_${answer}`;
      const { participants, access } = await visibleOperation(principal, id, action);
      const participant = participants.find((p) => p.unitId === unitId);
      const t = target(action, id, principal, { unitId });
      if (!participant) {
        await deny(
          ctx,
          principal,
          t,
          new ProblemError(P.operationUnitsInvalid, 'This unit is not invited'),
        );
      }
      const mayAnswer =
        (hasRole(principal, 'org_admin') && principal.org === participant!.organisationId) ||
        (hasRole(principal, 'coordinator') && access.units.includes(unitId));
      if (!mayAnswer) {
        await deny(ctx, principal, t, new ProblemError(P.notParticipantAdmin));
      }
      return pipelineOf(ctx).transact(principal, t, async (tx) => {
        const op = await lockOperation(tx, id);
        const row = await participantOf(tx, id, unitId);
        row.status = answerParticipation(row.status, answer, op.status);
        row.answeredAt = new Date();
        await saveParticipant(tx, row);
        op.version += 1;
        await saveOperation(tx, op);
        return {
          result: operationView(op, await participantsOf(tx, id)),
          events: [
            {
              type:
                answer === 'accept'
                  ? OperationEvents.participationAccepted
                  : OperationEvents.participationDeclined,
              data: { ...operationEventBase(op), unitId, status: op.status },
            },
          ],
        };
      });
    },

    async addShift(principal: Principal, id: string, input: ShiftCreate) {
      const { participants, access } = await visibleOperation(principal, id, 'operation.shift_add');
      const participant = participants.find((p) => p.unitId === input.unitId);
      const t = target('operation.shift_add', id, principal, { unitId: input.unitId });
      const mayStaff =
        participant &&
        ((hasRole(principal, 'org_admin') && principal.org === participant.organisationId) ||
          access.units.includes(input.unitId));
      if (!mayStaff) {
        await deny(ctx, principal, t, new ProblemError(P.cannotStaffUnit));
      }
      return pipelineOf(ctx).transact(principal, t, async (tx) => {
        const op = await lockOperation(tx, id);
        checkOperationOpen(op.status);
        if (
          participant!.status !== 'accepted' ||
          participant!.organisationKind !== 'social_services'
        ) {
          throw new ProblemError(
            P.operationUnitsInvalid,
            'Only a social services unit that accepted taking part is staffed',
          );
        }
        const shift = { startsAt: new Date(input.startsAt), endsAt: new Date(input.endsAt) };
        checkShiftPeriod(shift, op);
        if (!(await ctx.directory.isMember(input.unitId, input.userId, tx))) {
          throw new ProblemError(P.shiftNotAMember, undefined, {
            errors: [{ field: 'body.userId', message: 'is not a member of the unit' }],
          });
        }
        const saved = await insertShift(tx, {
          id: randomUUID(),
          operationId: id,
          unitId: input.unitId,
          userId: input.userId,
          startsAt: shift.startsAt,
          endsAt: shift.endsAt,
          removedAt: null,
        });
        return {
          result: shiftView(saved),
          events: [{ type: OperationEvents.shiftAdded, data: shiftEventData(saved) }],
        };
      });
    },

    async removeShift(principal: Principal, id: string, shiftId: string) {
      const { participants, access } = await visibleOperation(
        principal,
        id,
        'operation.shift_remove',
      );
      const shift = await findShift(ctx.dataSource.manager, id, shiftId);
      const t = target('operation.shift_remove', id, principal, { shiftId });
      if (!shift) {
        await deny(ctx, principal, t, new ProblemError(P.shiftNotFound));
      }
      const participant = participants.find((p) => p.unitId === shift!.unitId);
      const mayStaff =
        (hasRole(principal, 'org_admin') && principal.org === participant?.organisationId) ||
        access.units.includes(shift!.unitId);
      if (!mayStaff) {
        await deny(ctx, principal, t, new ProblemError(P.cannotStaffUnit));
      }
      return pipelineOf(ctx).transact(principal, t, async (tx) => {
        const row = await lockShift(tx, shiftId);
        if (row.removedAt) {
          return { result: shiftView(row), events: [] };
        }
        row.removedAt = new Date();
        await saveShift(tx, row);
        return {
          result: shiftView(row),
          events: [{ type: OperationEvents.shiftRemoved, data: shiftEventData(row) }],
        };
      });
    },
  };
}

export type OperationCommands = ReturnType<typeof createOperationCommands>;
