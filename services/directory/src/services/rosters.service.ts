import { randomUUID } from 'node:crypto';
import { canAdministerOrganisation, ProblemError, type Principal } from '@samverkan/shared';
import { LessThan, MoreThan } from 'typeorm';
import { MemberEntity, ShiftEntity } from '../entities';
import { DirectoryProblems as P } from '../domain/errors';
import { isOpenAt } from '../domain/opening-hours';
import { revokeDevicesOfMember } from '../devices/devices.service';
import { DirectoryEvents as E } from '../events/directory-events';
import type { DirectoryContext } from './context';
import type { UnitsService } from './units.service';
import { memberView, shiftView } from './views';

const MAX_SHIFT_MS = 7 * 24 * 3_600_000;
const DAY_MS = 24 * 3_600_000;

/** Members of units with their roles, on-call shifts, and who is on duty at a given moment. */
export function createRostersService(ctx: DirectoryContext, units: UnitsService) {
  const members = ctx.dataSource.getRepository(MemberEntity);
  const shifts = ctx.dataSource.getRepository(ShiftEntity);

  async function administeredUnit(
    principal: Principal,
    unitId: string,
    action: string,
    objectId: string,
  ) {
    const unit = await units.find(unitId);
    const target = { action, objectType: 'unit', objectId, objectOrg: unit.organisationId };
    if (!canAdministerOrganisation(principal, unit.organisationId)) {
      await ctx.pipeline.deny(principal, target);
    }
    return { unit, target };
  }

  /**
   * Need-to-know for rosters: who works at a unit (and when) is told to the unit's own
   * organisation and the hub's administrators only. Staff of protected housing can be threatened;
   * everyone else learns whether someone is on duty and how to reach the unit (on-duty, contacts).
   * Joint operations show their own staffing to their participants (referrals service).
   */
  function seesRosterNames(principal: Principal, organisationId: string): boolean {
    return principal.org === organisationId || principal.hubAdmin;
  }

  async function rosterUnit(principal: Principal, unitId: string, action: string) {
    const unit = await units.find(unitId);
    if (!seesRosterNames(principal, unit.organisationId)) {
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
      const rows = await members.find({ where: { unitId }, order: { userId: 'ASC' }, take: 1000 });
      return { items: rows.map(memberView) };
    },

    /** Adds a member, or replaces the roles of an existing one; `created` tells which. */
    async addMember(
      principal: Principal,
      unitId: string,
      input: { userId: string; roles: string[] },
    ) {
      const { unit, target } = await administeredUnit(principal, unitId, 'unit.member_add', unitId);
      const roles = [...new Set(input.roles)].sort();
      // hub_admin is honoured only for the hub operator's own users; anywhere else it would
      // only mislead whoever reads the roster.
      if (
        roles.includes('hub_admin') &&
        (unit.organisationId !== ctx.hubOrganisationId || !principal.hubAdmin)
      ) {
        throw new ProblemError(
          P.memberRoleNotGrantable,
          'hub_admin is given only by a hub administrator, to members of the hub organisation',
        );
      }
      return ctx.pipeline.transact(
        principal,
        { ...target, detail: { userId: input.userId, roles } },
        async (tx) => {
          const existing = await tx.findOneBy(MemberEntity, { unitId, userId: input.userId });
          const member =
            existing ??
            tx.create(MemberEntity, {
              unitId,
              userId: input.userId,
              addedAt: new Date(),
              addedBy: principal.sub,
              addedByIssuer: principal.iss,
            });
          member.roles = roles;
          await tx.save(MemberEntity, member);
          return {
            result: { created: !existing, member: memberView(member) },
            events: [{ type: E.memberAdded, data: { unitId, userId: input.userId, roles } }],
          };
        },
      );
    },

    async removeMember(principal: Principal, unitId: string, userId: string) {
      const { target } = await administeredUnit(principal, unitId, 'unit.member_remove', unitId);
      const member = await members.findOneBy({ unitId, userId });
      if (!member) {
        throw new ProblemError(P.memberNotFound, `${userId} is not a member of unit ${unitId}`);
      }
      await ctx.pipeline.transact(principal, { ...target, detail: { userId } }, async (tx) => {
        await tx.delete(MemberEntity, { unitId, userId });
        // Future shifts of someone who left would put nobody on duty while looking staffed.
        await tx.delete(ShiftEntity, { unitId, userId, startsAt: MoreThan(new Date()) });
        // Someone who left must get no further key boxes, and the unit's keys must rotate.
        const revoked = await revokeDevicesOfMember(tx, unitId, userId, principal);
        return {
          result: undefined,
          events: [
            { type: E.memberRemoved, data: { unitId, userId, roles: member.roles } },
            ...revoked,
          ],
        };
      });
    },

    /** Shifts overlapping [from, to); by default from a day ago to two weeks ahead. */
    async listShifts(principal: Principal, unitId: string, range: { from?: string; to?: string }) {
      await rosterUnit(principal, unitId, 'unit.shifts_read');
      const from = range.from ? new Date(range.from) : new Date(Date.now() - DAY_MS);
      const to = range.to ? new Date(range.to) : new Date(Date.now() + 14 * DAY_MS);
      const rows = await shifts.find({
        where: { unitId, startsAt: LessThan(to), endsAt: MoreThan(from) },
        order: { startsAt: 'ASC' },
        take: 1000,
      });
      return { items: rows.map(shiftView) };
    },

    async createShift(
      principal: Principal,
      unitId: string,
      input: { userId: string; startsAt: string; endsAt: string },
    ) {
      const id = randomUUID();
      const { target } = await administeredUnit(principal, unitId, 'unit.shift_create', unitId);
      const startsAt = new Date(input.startsAt);
      const endsAt = new Date(input.endsAt);
      if (!(endsAt > startsAt) || endsAt.getTime() - startsAt.getTime() > MAX_SHIFT_MS) {
        throw new ProblemError(P.shiftPeriodInvalid);
      }
      return ctx.pipeline.transact(
        principal,
        { ...target, detail: { shiftId: id, userId: input.userId } },
        async (tx) => {
          if (!(await tx.findOneBy(MemberEntity, { unitId, userId: input.userId }))) {
            throw new ProblemError(
              P.shiftMemberNotInUnit,
              `${input.userId} is not a member of unit ${unitId}`,
            );
          }
          const shift = tx.create(ShiftEntity, {
            id,
            unitId,
            userId: input.userId,
            startsAt,
            endsAt,
            createdAt: new Date(),
            createdBy: principal.sub,
            createdByIssuer: principal.iss,
          });
          await tx.insert(ShiftEntity, shift);
          return {
            result: shiftView(shift),
            events: [
              {
                type: E.shiftCreated,
                data: {
                  unitId,
                  shiftId: id,
                  userId: input.userId,
                  startsAt: startsAt.toISOString(),
                  endsAt: endsAt.toISOString(),
                },
              },
            ],
          };
        },
      );
    },

    async deleteShift(principal: Principal, unitId: string, shiftId: string) {
      const { target } = await administeredUnit(principal, unitId, 'unit.shift_delete', unitId);
      const shift = await shifts.findOneBy({ id: shiftId, unitId });
      if (!shift) {
        throw new ProblemError(P.shiftNotFound, `No shift ${shiftId} at unit ${unitId}`);
      }
      await ctx.pipeline.transact(principal, { ...target, detail: { shiftId } }, async (tx) => {
        await tx.delete(ShiftEntity, { id: shiftId });
        return {
          result: undefined,
          events: [
            {
              type: E.shiftDeleted,
              data: {
                unitId,
                shiftId,
                userId: shift.userId,
                startsAt: shift.startsAt.toISOString(),
                endsAt: shift.endsAt.toISOString(),
              },
            },
          ],
        };
      });
    },

    /** Who is on duty at the unit at `at` (default now): members with a shift covering it. */
    async onDuty(principal: Principal, unitId: string, atText?: string) {
      const unit = await units.find(unitId);
      const namesShown = seesRosterNames(principal, unit.organisationId);
      const at = atText ? new Date(atText) : new Date();
      const rows = (await ctx.dataSource
        .getRepository(ShiftEntity)
        .createQueryBuilder('s')
        .innerJoin(MemberEntity, 'm', 'm.unit_id = s.unit_id AND m.user_id = s.user_id')
        .select([
          's.id AS "shiftId"',
          's.user_id AS "userId"',
          's.ends_at AS "until"',
          'm.roles AS "roles"',
        ])
        .where('s.unit_id = :unitId AND s.starts_at <= :at AND s.ends_at > :at', { unitId, at })
        .orderBy('s.ends_at', 'DESC')
        .getRawMany()) as Array<{ shiftId: string; userId: string; until: Date; roles: string[] }>;
      const byUser = new Map<string, (typeof rows)[number]>();
      for (const row of rows) {
        if (!byUser.has(row.userId)) {
          byUser.set(row.userId, row);
        }
      }
      return {
        unitId,
        at: at.toISOString(),
        open247: unit.open247,
        openNow: isOpenAt(unit, at),
        onCallUnitId: unit.onCallUnitId,
        staffed: byUser.size > 0,
        namesShown,
        contacts: unit.contacts,
        members: [...byUser.values()]
          .filter(() => namesShown)
          .sort((a, b) => a.userId.localeCompare(b.userId))
          .map((r) => ({
            userId: r.userId,
            roles: r.roles,
            shiftId: r.shiftId,
            until: new Date(r.until).toISOString(),
          })),
      };
    },
  };
}

export type RostersService = ReturnType<typeof createRostersService>;
