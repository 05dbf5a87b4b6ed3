import { ProblemError } from '@samverkan/shared';
import type { MemberEntity } from '../entities/member.entity';
import type { ShiftEntity } from '../entities/shift.entity';
import type { UnitEntity } from '../entities/unit.entity';
import { DirectoryEvents as E } from '../events/directory-events';
import type { PendingEvent } from '../services/context';
import { DirectoryProblems as P } from './errors';
import { isOpenAt } from './opening-hours';

/** The rules of rosters (members and their roles, on-call shifts), as pure decisions. */

export const MAX_SHIFT_MS = 7 * 24 * 3_600_000;
const DAY_MS = 24 * 3_600_000;

type Actor = { iss: string; sub: string; hubAdmin: boolean };

/**
 * The roles to give, each once and sorted. hub_admin is honoured only for the hub operator's own
 * users; anywhere else it would only mislead whoever reads the roster.
 */
export function grantableRoles(
  roles: string[],
  unitOrganisationId: string,
  hubOrganisationId: string,
  actor: Actor,
): string[] {
  const unique = [...new Set(roles)].sort();
  if (
    unique.includes('hub_admin') &&
    (unitOrganisationId !== hubOrganisationId || !actor.hubAdmin)
  ) {
    throw new ProblemError(
      P.memberRoleNotGrantable,
      'hub_admin is given only by a hub administrator, to members of the hub organisation',
    );
  }
  return unique;
}

/** Adds a member, or replaces the roles of an existing one (read under the change's transaction). */
export function decideMember(input: {
  existing: MemberEntity | null;
  unitId: string;
  userId: string;
  roles: string[];
  actor: Actor;
  now: Date;
}): { member: MemberEntity; created: boolean; event: PendingEvent } {
  const { existing, unitId, userId, roles, actor } = input;
  const member: MemberEntity = existing
    ? { ...existing, roles }
    : {
        unitId,
        userId,
        roles,
        addedAt: input.now,
        addedBy: actor.sub,
        addedByIssuer: actor.iss,
      };
  return {
    member,
    created: !existing,
    event: { type: E.memberAdded, data: { unitId, userId, roles } },
  };
}

export function memberRemovedEvent(member: MemberEntity | null, unitId: string, userId: string) {
  if (!member) {
    throw new ProblemError(P.memberNotFound, `${userId} is not a member of unit ${unitId}`);
  }
  return { type: E.memberRemoved, data: { unitId, userId, roles: member.roles } };
}

/** A shift is a positive period of at most a week. */
export function checkShiftPeriod(startsAt: Date, endsAt: Date): void {
  if (!(endsAt > startsAt) || endsAt.getTime() - startsAt.getTime() > MAX_SHIFT_MS) {
    throw new ProblemError(P.shiftPeriodInvalid);
  }
}

/** A shift, for a member of the unit only. */
export function decideShift(input: {
  id: string;
  unitId: string;
  userId: string;
  startsAt: Date;
  endsAt: Date;
  isMember: boolean;
  actor: Actor;
  now: Date;
}): { shift: ShiftEntity; event: PendingEvent } {
  const { id, unitId, userId, startsAt, endsAt, actor } = input;
  if (!input.isMember) {
    throw new ProblemError(P.shiftMemberNotInUnit, `${userId} is not a member of unit ${unitId}`);
  }
  return {
    shift: {
      id,
      unitId,
      userId,
      startsAt,
      endsAt,
      createdAt: input.now,
      createdBy: actor.sub,
      createdByIssuer: actor.iss,
    },
    event: { type: E.shiftCreated, data: shiftData(id, unitId, userId, startsAt, endsAt) },
  };
}

export function shiftDeletedEvent(
  shift: ShiftEntity | null,
  unitId: string,
  shiftId: string,
): PendingEvent {
  if (!shift) {
    throw new ProblemError(P.shiftNotFound, `No shift ${shiftId} at unit ${unitId}`);
  }
  return {
    type: E.shiftDeleted,
    data: shiftData(shiftId, unitId, shift.userId, shift.startsAt, shift.endsAt),
  };
}

function shiftData(id: string, unitId: string, userId: string, startsAt: Date, endsAt: Date) {
  return {
    unitId,
    shiftId: id,
    userId,
    startsAt: startsAt.toISOString(),
    endsAt: endsAt.toISOString(),
  };
}

/** Shifts overlapping [from, to); by default from a day ago to two weeks ahead. */
export function shiftRange(range: { from?: string; to?: string }, now: Date) {
  return {
    from: range.from ? new Date(range.from) : new Date(now.getTime() - DAY_MS),
    to: range.to ? new Date(range.to) : new Date(now.getTime() + 14 * DAY_MS),
  };
}

export interface OnDutyRow {
  shiftId: string;
  userId: string;
  until: Date | string;
  roles: string[];
}

/**
 * Who is on duty at the unit at `at`: each member once (their shift that lasts longest), names
 * only for those who may see them (`namesShown`).
 */
export function onDutyView(
  unit: Pick<
    UnitEntity,
    'id' | 'open247' | 'onCallUnitId' | 'contacts' | 'timeZone' | 'weeklyHours'
  >,
  at: Date,
  rowsByEndDesc: OnDutyRow[],
  namesShown: boolean,
) {
  const byUser = new Map<string, OnDutyRow>();
  for (const row of rowsByEndDesc) {
    if (!byUser.has(row.userId)) {
      byUser.set(row.userId, row);
    }
  }
  return {
    unitId: unit.id,
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
}
