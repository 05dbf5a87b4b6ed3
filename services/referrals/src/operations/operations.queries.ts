import { hasRole, ProblemError, type Principal } from '@samverkan/shared';
import { In, IsNull } from 'typeorm';
import {
  EncounterTallyEntity,
  FieldRequestEntity,
  OperationEntity,
  OperationParticipantEntity,
  OperationShiftEntity,
} from '../entities';
import { ReferralProblems as P } from '../domain/errors';
import { operationReport } from '../domain/operation-report';
import { statisticsSecret } from '../services/statistics.service';
import { type OperationStatus } from '../domain/operations';
import { deny, type ReferralsContext } from '../services/context';
import { operationView, shiftView } from './views';
import { type OperationAccessRules } from './access';
import { onShiftNow } from './operations.repository';

/** Operation weeks' reads: one, the list, the reportable ones, shifts, who is on shift, the report. */
export function createOperationQueries(ctx: ReferralsContext, rules: OperationAccessRules) {
  const { verifiedUnits, visibleOperation } = rules;

  return {
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

export type OperationQueries = ReturnType<typeof createOperationQueries>;
