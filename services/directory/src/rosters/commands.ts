import { randomUUID } from 'node:crypto';
import type { Principal } from '@samverkan/shared';
import { revokeDevicesOfMember } from '../devices/commands';
import {
  checkShiftPeriod,
  decideMember,
  decideShift,
  grantableRoles,
  memberRemovedEvent,
  shiftDeletedEvent,
} from '../domain/rosters';
import type { DirectoryContext } from '../services/context';
import type { UnitsService } from '../services/units.service';
import { memberView, shiftView } from '../services/views';
import { rosterAccess } from './access';
import type { RostersRepository } from './repository';

/**
 * The writes on rosters, each authorize (access.ts) → load → decide (domain/rosters.ts, pure) →
 * persist (repository.ts), with outbox and audit rows in the same transaction.
 */
export function createRosterCommands(
  ctx: DirectoryContext,
  units: UnitsService,
  repo: RostersRepository,
) {
  async function administeredUnit(principal: Principal, unitId: string, action: string) {
    const unit = await units.find(unitId);
    const target = {
      action,
      objectType: 'unit',
      objectId: unitId,
      objectOrg: unit.organisationId,
    };
    if (!rosterAccess.mayAdminister(principal, unit.organisationId)) {
      await ctx.pipeline.deny(principal, target);
    }
    return { unit, target };
  }

  return {
    /** Adds a member, or replaces the roles of an existing one; `created` tells which. */
    async addMember(
      principal: Principal,
      unitId: string,
      input: { userId: string; roles: string[] },
    ) {
      const { unit, target } = await administeredUnit(principal, unitId, 'unit.member_add');
      const roles = grantableRoles(
        input.roles,
        unit.organisationId,
        ctx.hubOrganisationId,
        principal,
      );
      return ctx.pipeline.transact(
        principal,
        { ...target, detail: { userId: input.userId, roles } },
        async (tx) => {
          const { member, created, event } = decideMember({
            existing: await repo.member(unitId, input.userId, tx),
            unitId,
            userId: input.userId,
            roles,
            actor: principal,
            now: new Date(),
          });
          await repo.saveMember(tx, member);
          return { result: { created, member: memberView(member) }, events: [event] };
        },
      );
    },

    async removeMember(principal: Principal, unitId: string, userId: string) {
      const { target } = await administeredUnit(principal, unitId, 'unit.member_remove');
      const removed = memberRemovedEvent(await repo.member(unitId, userId), unitId, userId);
      await ctx.pipeline.transact(principal, { ...target, detail: { userId } }, async (tx) => {
        await repo.removeMember(tx, unitId, userId, new Date());
        // Someone who left must get no further key boxes, and the unit's keys must rotate.
        const revoked = await revokeDevicesOfMember(tx, unitId, userId, principal);
        return { result: undefined, events: [removed, ...revoked] };
      });
    },

    async createShift(
      principal: Principal,
      unitId: string,
      input: { userId: string; startsAt: string; endsAt: string },
    ) {
      const id = randomUUID();
      const { target } = await administeredUnit(principal, unitId, 'unit.shift_create');
      const startsAt = new Date(input.startsAt);
      const endsAt = new Date(input.endsAt);
      checkShiftPeriod(startsAt, endsAt);
      return ctx.pipeline.transact(
        principal,
        { ...target, detail: { shiftId: id, userId: input.userId } },
        async (tx) => {
          const { shift, event } = decideShift({
            id,
            unitId,
            userId: input.userId,
            startsAt,
            endsAt,
            isMember: (await repo.member(unitId, input.userId, tx)) !== null,
            actor: principal,
            now: new Date(),
          });
          await repo.insertShift(tx, shift);
          return { result: shiftView(shift), events: [event] };
        },
      );
    },

    async deleteShift(principal: Principal, unitId: string, shiftId: string) {
      const { target } = await administeredUnit(principal, unitId, 'unit.shift_delete');
      const event = shiftDeletedEvent(await repo.shift(unitId, shiftId), unitId, shiftId);
      await ctx.pipeline.transact(principal, { ...target, detail: { shiftId } }, async (tx) => {
        await repo.deleteShift(tx, shiftId);
        return { result: undefined, events: [event] };
      });
    },
  };
}
