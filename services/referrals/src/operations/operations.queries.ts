import { hasRole, ProblemError, type Principal } from '@samverkan/shared';
import { ReferralProblems as P } from '../domain/errors';
import { operationReport } from '../domain/operation-report';
import { statisticsSecret } from '../services/statistics.service';
import { type OperationStatus } from '../domain/operations';
import { deny, pipelineOf, type ReferralsContext } from '../services/context';
import { operationView, shiftView } from './views';
import { type OperationAccessRules } from './access';
import { fieldRequestsOf } from './field-requests.repository';
import {
  currentShiftsOf,
  findOperation,
  latestOperations,
  onShiftNow,
  operationsByIds,
  participantsOf,
  participantsOfOperations,
  shiftsOf,
  visibleOperationIds,
} from './operations.repository';
import { talliesOf } from './tallies.repository';

/** Operation weeks' reads: one, the list, the reportable ones, shifts, who is on shift, the report. */
export function createOperationQueries(ctx: ReferralsContext, rules: OperationAccessRules) {
  const { verifiedUnits, visibleOperation } = rules;
  const db = ctx.dataSource.manager;

  return {
    async get(principal: Principal, id: string) {
      const { op, participants } = await visibleOperation(principal, id, 'operation.read');
      return operationView(op, participants);
    },

    async list(principal: Principal, status?: OperationStatus) {
      const units = await verifiedUnits(principal);
      const ids = await visibleOperationIds(db, {
        units,
        organisationId: principal.org,
        officer: hasRole(principal, 'officer'),
        orgAdmin: hasRole(principal, 'org_admin'),
        status: status ?? null,
      });
      if (ids.length === 0) {
        return { items: [] };
      }
      const ops = await operationsByIds(db, ids);
      const participants = await participantsOfOperations(db, ids);
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
        ? await latestOperations(db, 500)
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
      const rows = await shiftsOf(db, id);
      return { items: rows.map(shiftView) };
    },

    async onShift(principal: Principal, id: string) {
      await visibleOperation(principal, id, 'operation.on_shift_read');
      const at = new Date();
      const rows = await onShiftNow(db, id, at);
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
      const op = await findOperation(db, id);
      const participants = op ? await participantsOf(db, id) : [];
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
        currentShiftsOf(db, id),
        fieldRequestsOf(db, id),
        talliesOf(db, id),
      ]);
      await pipelineOf(ctx).recordRead(principal, {
        action,
        objectType: 'operation',
        objectId: id,
        objectOrg: principal.org,
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
