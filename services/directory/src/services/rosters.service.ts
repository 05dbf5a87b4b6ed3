import type { Principal } from '@samverkan/shared';
import { onDutyView, shiftRange } from '../domain/rosters';
import { rosterAccess } from '../rosters/access';
import { createRosterCommands } from '../rosters/commands';
import { createRostersRepository } from '../rosters/repository';
import type { DirectoryContext } from './context';
import type { UnitsService } from './units.service';
import { memberView, shiftView } from './views';

/**
 * Members of units with their roles, on-call shifts, and who is on duty at a given moment: the
 * reads here, the writes in rosters/commands.ts, who may see and change them in
 * rosters/access.ts, every statement in rosters/repository.ts, the rules in domain/rosters.ts.
 */
export function createRostersService(ctx: DirectoryContext, units: UnitsService) {
  const repo = createRostersRepository(ctx.dataSource);

  async function rosterUnit(principal: Principal, unitId: string, action: string) {
    const unit = await units.find(unitId);
    if (!rosterAccess.seesNames(principal, unit.organisationId)) {
      await ctx.pipeline.deny(
        principal,
        { action, objectType: 'unit', objectId: unitId, objectOrg: unit.organisationId },
        "Only the unit's own organisation sees who works there; GET /v1/units/{id}/on-duty tells whether someone is on duty and how to reach the unit",
      );
    }
    return unit;
  }

  return {
    async listMembers(principal: Principal, unitId: string) {
      await rosterUnit(principal, unitId, 'unit.members_read');
      return { items: (await repo.members(unitId)).map(memberView) };
    },

    async listShifts(principal: Principal, unitId: string, range: { from?: string; to?: string }) {
      await rosterUnit(principal, unitId, 'unit.shifts_read');
      const { from, to } = shiftRange(range, new Date());
      return { items: (await repo.shiftsOverlapping(unitId, from, to)).map(shiftView) };
    },

    /** Who is on duty at the unit at `at` (default now): members with a shift covering it. */
    async onDuty(principal: Principal, unitId: string, atText?: string) {
      const unit = await units.find(unitId);
      const at = atText ? new Date(atText) : new Date();
      return onDutyView(
        unit,
        at,
        await repo.onDuty(unitId, at),
        rosterAccess.seesNames(principal, unit.organisationId),
      );
    },

    ...createRosterCommands(ctx, units, repo),
  };
}

export type RostersService = ReturnType<typeof createRostersService>;
