import { randomUUID } from 'node:crypto';
import { CommandPipeline, hasRole, ProblemError, type Principal } from '@samverkan/shared';
import { type EntityManager, In, IsNull } from 'typeorm';
import {
  EncounterTallyEntity,
  FieldRequestEntity,
  OperationEntity,
  OperationParticipantEntity,
  OperationShiftEntity,
} from '../entities';
import { ReferralProblems as P } from '../domain/errors';
import { operationReport } from '../domain/operation-report';
import { statisticsSecret } from './statistics.service';
import {
  answerParticipation,
  checkOperationPeriod,
  checkOperationUnits,
  checkShiftPeriod,
  operationTransition,
  type OperationAction,
  type OperationStatus,
} from '../domain/operations';
import { ACTING_ROLES } from '../domain/referral-lifecycle';
import { OperationEvents } from '../events/operation-events';
import { deny, type AuditTarget, type PendingEvent, type ReferralsContext } from './context';
import { operationEventBase, operationView, shiftView } from './operation-views';

export interface OperationCreate {
  name: string;
  municipalityCodes: string[];
  startsAt: string;
  endsAt: string;
  organiserUnitId: string;
  coordinatorUnitId?: string | null;
  invitedUnitIds: string[];
}

export interface ShiftCreate {
  unitId: string;
  userId: string;
  startsAt: string;
  endsAt: string;
}

/** How the caller relates to one operation. */
export interface OperationAccess {
  /** the caller's units the directory places in the caller's organisation (case-handling roles) */
  units: string[];
  /** an officer or coordinator of the organiser unit: runs the operation */
  organiser: boolean;
  /** may see the operation at all */
  canSee: boolean;
}

/**
 * Access to operations, shared with the field-request service so that the two cannot drift
 * apart. Seeing an operation: members of its organiser, coordinator and invited units, officers
 * of the organiser's organisation (they make field requests), and the organisation
 * administrators of those units. Anyone else gets 404, so operation ids cannot be probed.
 */
export function createOperationAccess(ctx: ReferralsContext) {
  async function verifiedUnits(principal: Principal, manager?: EntityManager): Promise<string[]> {
    if (!principal.roles.some((role) => ACTING_ROLES.includes(role))) {
      return [];
    }
    // The platform's one rule (claimed, same organisation, a member with a case-handling role).
    return ctx.directory.actingUnits(principal, manager);
  }

  function accessTo(
    principal: Principal,
    units: string[],
    op: OperationEntity,
    participants: OperationParticipantEntity[],
  ): OperationAccess {
    const mine = new Set(units);
    const organiser = mine.has(op.organiserUnitId) && hasRole(principal, 'officer', 'coordinator');
    const orgAdmin = hasRole(principal, 'org_admin');
    const canSee =
      mine.has(op.organiserUnitId) ||
      (op.coordinatorUnitId !== null && mine.has(op.coordinatorUnitId)) ||
      participants.some((p) => mine.has(p.unitId)) ||
      (hasRole(principal, 'officer') &&
        units.length > 0 &&
        principal.org === op.organiserOrganisationId) ||
      (orgAdmin &&
        (principal.org === op.organiserOrganisationId ||
          participants.some((p) => p.organisationId === principal.org)));
    return { units, organiser, canSee };
  }

  /** Loads an operation the caller may see, or answers 404 (and audits the refusal). */
  async function visibleOperation(principal: Principal, id: string, action: string) {
    const units = await verifiedUnits(principal);
    const op = await ctx.dataSource.getRepository(OperationEntity).findOneBy({ id });
    const participants = op
      ? await ctx.dataSource.getRepository(OperationParticipantEntity).findBy({ operationId: id })
      : [];
    const access = op ? accessTo(principal, units, op, participants) : undefined;
    if (!op || !access?.canSee) {
      await deny(
        ctx,
        principal,
        { action, objectType: 'operation', objectId: id },
        new ProblemError(P.operationNotFound),
      );
    }
    return { op: op!, participants, access: access! };
  }

  return { verifiedUnits, accessTo, visibleOperation };
}

export type OperationAccessRules = ReturnType<typeof createOperationAccess>;

/** A change and its audit entry; a refusal inside it (wrong state, broken rule) is audited too. */
export async function auditedChange<T>(
  ctx: ReferralsContext,
  principal: Principal,
  target: AuditTarget,
  work: (tx: EntityManager) => Promise<{ result: T; events: PendingEvent[] }>,
): Promise<T> {
  return pipelineOf(ctx).transact(principal, target, work);
}

const pipelines = new WeakMap<ReferralsContext, CommandPipeline>();

/** The service's write pipeline (shared/src/pipeline), one per context. */
export function pipelineOf(ctx: ReferralsContext): CommandPipeline {
  let pipeline = pipelines.get(ctx);
  if (!pipeline) {
    pipeline = new CommandPipeline(ctx, (event) =>
      ctx.events.outbox.envelope(event.type, event.data),
    );
    pipelines.set(ctx, pipeline);
  }
  return pipeline;
}

export function createOperationsService(ctx: ReferralsContext, rules: OperationAccessRules) {
  const { verifiedUnits, visibleOperation } = rules;
  const participantsOf = (tx: EntityManager, operationId: string) =>
    tx.findBy(OperationParticipantEntity, { operationId });
  const lockOperation = (tx: EntityManager, id: string) =>
    tx.findOneOrFail(OperationEntity, { where: { id }, lock: { mode: 'pessimistic_write' } });
  const target = (
    action: string,
    id: string,
    principal: Principal,
    detail?: Record<string, unknown>,
  ) => ({
    action,
    objectType: 'operation',
    objectId: id,
    objectOrg: principal.org,
    ...(detail ? { detail } : {}),
  });

  async function requireOrganiser(principal: Principal, id: string, action: string) {
    const seen = await visibleOperation(principal, id, action);
    if (!seen.access.organiser) {
      await deny(
        ctx,
        principal,
        target(action, id, principal),
        new ProblemError(P.notOperationOrganiser),
      );
    }
    return seen;
  }

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
      return auditedChange(ctx, principal, t, async (tx) => {
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
        const op = tx.create(OperationEntity, {
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
        await tx.insert(OperationEntity, op as never);
        for (const unitId of input.invitedUnitIds) {
          const u = known.get(unitId)!;
          await tx.insert(OperationParticipantEntity, {
            operationId: id,
            unitId,
            organisationId: u.organisationId,
            organisationKind: u.organisationKind,
            status: 'invited',
            invitedAt: now,
            answeredAt: null,
          });
        }
        const saved = await tx.findOneByOrFail(OperationEntity, { id });
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

    async get(principal: Principal, id: string) {
      const { op, participants } = await visibleOperation(principal, id, 'operation.read');
      return operationView(op, participants);
    },

    async list(principal: Principal, status?: OperationStatus) {
      const units = await verifiedUnits(principal);
      const table = ctx.dataSource.getRepository(OperationEntity).metadata.tablePath;
      const parts = ctx.dataSource.getRepository(OperationParticipantEntity).metadata.tablePath;
      // The same rule as accessTo(), as SQL.
      const rows = (await ctx.dataSource.query(
        `SELECT o.id FROM ${table} o
          WHERE ($5::text IS NULL OR o.status = $5)
            AND (o.organiser_unit_id = ANY($1::uuid[]) OR o.coordinator_unit_id = ANY($1::uuid[])
              OR ($3 AND cardinality($1::uuid[]) > 0 AND o.organiser_organisation_id::text = $2)
              OR ($4 AND o.organiser_organisation_id::text = $2)
              OR EXISTS (SELECT 1 FROM ${parts} p WHERE p.operation_id = o.id
                           AND (p.unit_id = ANY($1::uuid[]) OR ($4 AND p.organisation_id::text = $2))))
          ORDER BY o.starts_at DESC, o.id LIMIT 500`,
        [
          units,
          principal.org,
          hasRole(principal, 'officer'),
          hasRole(principal, 'org_admin'),
          status ?? null,
        ],
      )) as Array<{ id: string }>;
      const ids = rows.map((r) => r.id);
      if (ids.length === 0) {
        return { items: [] };
      }
      const ops = await ctx.dataSource.getRepository(OperationEntity).findBy({ id: In(ids) });
      const participants = await ctx.dataSource
        .getRepository(OperationParticipantEntity)
        .findBy({ operationId: In(ids) });
      const byId = new Map(ops.map((o) => [o.id, o]));
      return {
        items: ids.map((id) =>
          operationView(
            byId.get(id)!,
            participants.filter((p) => p.operationId === id),
          ),
        ),
      };
    },

    /**
     * The operations whose report the caller may read: every one for analysts and coordinators
     * (as `report` allows), otherwise those the caller takes part in. Name, area, period and
     * status only.
     */
    async reportable(principal: Principal) {
      const ops = hasRole(principal, 'analyst', 'coordinator')
        ? await ctx.dataSource
            .getRepository(OperationEntity)
            .find({ order: { startsAt: 'DESC', id: 'ASC' }, take: 500 })
        : (await this.list(principal)).items;
      return {
        items: ops.map((o) => ({
          id: o.id,
          name: o.name,
          municipalityCodes: o.municipalityCodes,
          startsAt: new Date(o.startsAt).toISOString(),
          endsAt: new Date(o.endsAt).toISOString(),
          status: o.status,
        })),
      };
    },

    /** activate / complete / cancel, by the organiser. */
    async act(principal: Principal, id: string, action: OperationAction) {
      await requireOrganiser(principal, id, `operation.${action}`);
      return auditedChange(
        ctx,
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
          await tx.save(OperationEntity, op);
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
      return auditedChange(ctx, principal, t, async (tx) => {
        const op = await lockOperation(tx, id);
        if (op.status !== 'planned' && op.status !== 'active') {
          throw new ProblemError(P.operationTransitionNotAllowed, `The operation is ${op.status}`, {
            extensions: { currentStatus: op.status },
          });
        }
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
        const now = new Date();
        for (const unitId of fresh) {
          const u = known.get(unitId)!;
          await tx.insert(OperationParticipantEntity, {
            operationId: id,
            unitId,
            organisationId: u.organisationId,
            organisationKind: u.organisationKind,
            status: 'invited',
            invitedAt: now,
            answeredAt: null,
          });
        }
        op.version += 1;
        await tx.save(OperationEntity, op);
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
      return auditedChange(ctx, principal, t, async (tx) => {
        const op = await lockOperation(tx, id);
        const row = await tx.findOneByOrFail(OperationParticipantEntity, {
          operationId: id,
          unitId,
        });
        row.status = answerParticipation(row.status, answer, op.status);
        row.answeredAt = new Date();
        await tx.save(OperationParticipantEntity, row);
        op.version += 1;
        await tx.save(OperationEntity, op);
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
      return auditedChange(ctx, principal, t, async (tx) => {
        const op = await lockOperation(tx, id);
        if (op.status !== 'planned' && op.status !== 'active') {
          throw new ProblemError(P.operationTransitionNotAllowed, `The operation is ${op.status}`, {
            extensions: { currentStatus: op.status },
          });
        }
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
        const row = tx.create(OperationShiftEntity, {
          id: randomUUID(),
          operationId: id,
          unitId: input.unitId,
          userId: input.userId,
          startsAt: shift.startsAt,
          endsAt: shift.endsAt,
          removedAt: null,
        });
        await tx.insert(OperationShiftEntity, row as never);
        const saved = await tx.findOneByOrFail(OperationShiftEntity, { id: row.id });
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
      const shift = await ctx.dataSource
        .getRepository(OperationShiftEntity)
        .findOneBy({ id: shiftId, operationId: id });
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
      return auditedChange(ctx, principal, t, async (tx) => {
        const row = await tx.findOneOrFail(OperationShiftEntity, {
          where: { id: shiftId },
          lock: { mode: 'pessimistic_write' },
        });
        if (row.removedAt) {
          return { result: shiftView(row), events: [] };
        }
        row.removedAt = new Date();
        await tx.save(OperationShiftEntity, row);
        return {
          result: shiftView(row),
          events: [{ type: OperationEvents.shiftRemoved, data: shiftEventData(row) }],
        };
      });
    },

    async shifts(principal: Principal, id: string) {
      await visibleOperation(principal, id, 'operation.shifts_read');
      const rows = await ctx.dataSource
        .getRepository(OperationShiftEntity)
        .find({ where: { operationId: id }, order: { startsAt: 'ASC', id: 'ASC' } });
      return { items: rows.map(shiftView) };
    },

    async onShift(principal: Principal, id: string) {
      await visibleOperation(principal, id, 'operation.on_shift_read');
      const at = new Date();
      const rows = await onShiftNow(ctx.dataSource.manager, id, at);
      return {
        operationId: id,
        at: at.toISOString(),
        members: rows.map((s) => ({
          unitId: s.unitId,
          userId: s.userId,
          shiftId: s.id,
          startsAt: s.startsAt.toISOString(),
          endsAt: s.endsAt.toISOString(),
        })),
      };
    },

    /**
     * The report (participants, analysts, coordinators); people counts protected by the cell key
     * method in the pure `operationReport`. Others get 404 as for the operation itself. Audited.
     */
    async report(principal: Principal, id: string) {
      const action = 'operation.report_read';
      const units = await verifiedUnits(principal);
      const op = await ctx.dataSource.getRepository(OperationEntity).findOneBy({ id });
      const participants = op
        ? await ctx.dataSource.getRepository(OperationParticipantEntity).findBy({ operationId: id })
        : [];
      const allowed =
        op &&
        (hasRole(principal, 'analyst', 'coordinator') ||
          rules.accessTo(principal, units, op, participants).canSee);
      if (!allowed) {
        await deny(
          ctx,
          principal,
          { action, objectType: 'operation', objectId: id },
          new ProblemError(P.operationNotFound),
        );
      }
      const [shifts, requests, tallies] = await Promise.all([
        ctx.dataSource
          .getRepository(OperationShiftEntity)
          .findBy({ operationId: id, removedAt: IsNull() }),
        ctx.dataSource.getRepository(FieldRequestEntity).findBy({ operationId: id }),
        ctx.dataSource.getRepository(EncounterTallyEntity).findBy({ operationId: id }),
      ]);
      await ctx.audit.append({
        actor: principal,
        action,
        objectType: 'operation',
        objectId: id,
        objectOrg: principal.org,
        outcome: 'allowed',
      });
      return operationReport(
        {
          operation: op!,
          participants,
          shifts,
          fieldRequests: requests,
          tallies,
        },
        new Date(),
        statisticsSecret(ctx),
      );
    },
  };
}

/** Members on an operation shift at `at` (optionally only at some units). */
export async function onShiftNow(
  manager: EntityManager,
  operationId: string,
  at: Date,
  unitIds?: string[],
): Promise<OperationShiftEntity[]> {
  if (unitIds?.length === 0) {
    return [];
  }
  const qb = manager
    .getRepository(OperationShiftEntity)
    .createQueryBuilder('s')
    .where('s.operation_id = :operationId AND s.removed_at IS NULL', { operationId })
    .andWhere('s.starts_at <= :at AND s.ends_at > :at', { at })
    .orderBy('s.unit_id')
    .addOrderBy('s.user_id');
  if (unitIds) {
    qb.andWhere('s.unit_id IN (:...unitIds)', { unitIds });
  }
  return qb.getMany();
}

function shiftEventData(s: OperationShiftEntity) {
  return {
    operationId: s.operationId,
    shiftId: s.id,
    unitId: s.unitId,
    userId: s.userId,
    startsAt: s.startsAt.toISOString(),
    endsAt: s.endsAt.toISOString(),
  };
}

export type OperationsService = ReturnType<typeof createOperationsService>;
