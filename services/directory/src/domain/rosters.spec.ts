import { ProblemError } from '@samverkan/shared';
import { DirectoryProblems as P } from './errors';
import {
  checkShiftPeriod,
  decideMember,
  decideShift,
  grantableRoles,
  MAX_SHIFT_MS,
  memberRemovedEvent,
  onDutyView,
} from './rosters';

const HUB = '00000000-0000-4000-8000-000000000000';
const ORG = '10000000-0000-4000-8000-000000000581';
const UNIT = '11000000-0000-4000-8000-000000000001';
const NOW = new Date('2026-03-02T08:00:00Z');
const admin = { iss: 'https://idp.example', sub: 'admin', hubAdmin: false };
const hubAdmin = { ...admin, hubAdmin: true };

function refusal(fn: () => unknown): ProblemError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ProblemError);
    return err as ProblemError;
  }
  throw new Error('expected a refusal');
}

describe('roster rules', () => {
  it('gives each role once, sorted; hub_admin only to the hub’s members by a hub admin', () => {
    expect(grantableRoles(['officer', 'caseworker', 'officer'], ORG, HUB, admin)).toEqual([
      'caseworker',
      'officer',
    ]);
    expect(grantableRoles(['hub_admin'], HUB, HUB, hubAdmin)).toEqual(['hub_admin']);
    for (const [org, actor] of [
      [ORG, hubAdmin],
      [HUB, admin],
    ] as const) {
      expect(refusal(() => grantableRoles(['hub_admin'], org, HUB, actor)).definition).toBe(
        P.memberRoleNotGrantable,
      );
    }
  });

  it('adds a member or replaces the roles of one, keeping when and by whom they were added', () => {
    const input = { unitId: UNIT, userId: 'anna', roles: ['officer'], actor: admin, now: NOW };
    const added = decideMember({ ...input, existing: null });
    expect(added).toMatchObject({ created: true, member: { addedAt: NOW, addedBy: 'admin' } });
    const later = new Date(NOW.getTime() + 1000);
    const changed = decideMember({
      ...input,
      roles: ['caseworker'],
      existing: added.member,
      now: later,
    });
    expect(changed).toMatchObject({
      created: false,
      member: { roles: ['caseworker'], addedAt: NOW },
    });
    expect(refusal(() => memberRemovedEvent(null, UNIT, 'anna')).definition).toBe(P.memberNotFound);
  });

  it('takes a shift of at most a week, for a member only', () => {
    expect(() => checkShiftPeriod(NOW, new Date(NOW.getTime() + MAX_SHIFT_MS))).not.toThrow();
    for (const end of [NOW, new Date(NOW.getTime() + MAX_SHIFT_MS + 1)]) {
      expect(refusal(() => checkShiftPeriod(NOW, end)).definition).toBe(P.shiftPeriodInvalid);
    }
    const shift = {
      id: '33000000-0000-4000-8000-000000000001',
      unitId: UNIT,
      userId: 'anna',
      startsAt: NOW,
      endsAt: new Date(NOW.getTime() + 3_600_000),
      actor: admin,
      now: NOW,
    };
    expect(decideShift({ ...shift, isMember: true }).event.data).toMatchObject({ userId: 'anna' });
    expect(refusal(() => decideShift({ ...shift, isMember: false })).definition).toBe(
      P.shiftMemberNotInUnit,
    );
  });

  it('shows each member on duty once, and names only to those who may see them', () => {
    const unit = {
      id: UNIT,
      open247: true,
      onCallUnitId: null,
      contacts: [],
      timeZone: 'Europe/Stockholm',
      weeklyHours: [],
    };
    const rows = [
      {
        shiftId: 's2',
        userId: 'anna',
        until: new Date('2026-03-02T20:00:00Z'),
        roles: ['officer'],
      },
      {
        shiftId: 's1',
        userId: 'anna',
        until: new Date('2026-03-02T12:00:00Z'),
        roles: ['officer'],
      },
    ];
    const shown = onDutyView(unit, NOW, rows, true);
    expect(shown).toMatchObject({ staffed: true, openNow: true, namesShown: true });
    expect(shown.members).toEqual([
      { userId: 'anna', roles: ['officer'], shiftId: 's2', until: '2026-03-02T20:00:00.000Z' },
    ]);
    expect(onDutyView(unit, NOW, rows, false)).toMatchObject({ staffed: true, members: [] });
  });
});
