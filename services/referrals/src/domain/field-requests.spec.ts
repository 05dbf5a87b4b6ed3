import fc from 'fast-check';
import { ProblemError } from '@samverkan/shared';
import {
  checkNeededBy,
  checkTally,
  claimDeadline,
  claimRefusal,
  fieldRequestEscalationTargets,
  fieldRequestTransition,
  tallyMayLink,
  type FieldRequestAction,
  type FieldRequestStatus,
  type TallyInput,
} from './field-requests';

const MINUTE = 60_000;
const now = new Date('2026-11-23T22:00:00Z');

function problemOf(fn: () => unknown): ProblemError | undefined {
  try {
    fn();
  } catch (err) {
    if (err instanceof ProblemError) {
      return err;
    }
    throw err;
  }
  return undefined;
}

describe('fieldRequestTransition', () => {
  const table: Array<[FieldRequestStatus, FieldRequestAction, FieldRequestStatus | null]> = [
    ['claimed', 'en_route', 'en_route'],
    ['en_route', 'on_site', 'on_site'],
    ['on_site', 'complete', 'completed'],
    ['open', 'cancel', 'cancelled'],
    ['on_site', 'cancel', 'cancelled'],
    ['open', 'en_route', null],
    ['claimed', 'on_site', null],
    ['en_route', 'complete', null],
    ['completed', 'cancel', null],
    ['cancelled', 'cancel', null],
  ];
  it.each(table)('%s --%s--> %s', (from, action, to) => {
    if (to) {
      expect(fieldRequestTransition(from, action)).toBe(to);
    } else {
      expect(problemOf(() => fieldRequestTransition(from, action))?.definition.slug).toBe(
        'field-request-transition-not-allowed',
      );
    }
  });
});

describe('claimRefusal', () => {
  it('tells a late claimer that someone else has it, with its own problem type', () => {
    for (const status of ['claimed', 'en_route', 'on_site'] as const) {
      expect(claimRefusal(status).definition).toMatchObject({
        slug: 'field-request-already-claimed',
        status: 409,
      });
    }
    expect(claimRefusal('cancelled').definition.slug).toBe('field-request-transition-not-allowed');
  });
});

describe('checkNeededBy and claimDeadline', () => {
  it('wants a needed-by time in the next 24 hours', () => {
    expect(() => checkNeededBy(new Date(now.getTime() + 20 * MINUTE), now)).not.toThrow();
    expect(problemOf(() => checkNeededBy(new Date(now.getTime() - MINUTE), now))?.errors).toEqual([
      { field: 'body.neededBy', message: 'is in the past' },
    ]);
    expect(problemOf(() => checkNeededBy(now, now))?.definition.slug).toBe('needed-by-invalid');
    expect(
      problemOf(() => checkNeededBy(new Date(now.getTime() + 25 * 60 * MINUTE), now))?.definition
        .slug,
    ).toBe('needed-by-invalid');
  });

  it('escalates at needed-by, or when the claim window runs out first', () => {
    const neededBy = new Date(now.getTime() + 30 * MINUTE);
    expect(claimDeadline(neededBy, now)).toEqual(neededBy);
    expect(claimDeadline(neededBy, now, 10 * MINUTE)).toEqual(
      new Date(now.getTime() + 10 * MINUTE),
    );
    expect(claimDeadline(neededBy, now, 60 * MINUTE)).toEqual(neededBy);
  });
});

describe('fieldRequestEscalationTargets', () => {
  it("alerts each unit's on-call unit (or the unit itself) and the coordinator, once each", () => {
    expect(
      fieldRequestEscalationTargets({
        participants: [
          { unitId: 'frideborg', onCallUnitId: 'socialjour' },
          { unitId: 'socialjour', onCallUnitId: null },
          { unitId: 'elsa', onCallUnitId: 'socialjour' },
        ],
        coordinatorUnitId: 'coordinator',
      }),
    ).toEqual(['socialjour', 'coordinator']);
    expect(
      fieldRequestEscalationTargets({
        participants: [{ unitId: 'umea', onCallUnitId: null }],
        coordinatorUnitId: null,
      }),
    ).toEqual(['umea']);
  });
});

describe('checkTally', () => {
  const base: TallyInput = {
    peopleMet: [
      { gender: 'female', ageBand: 'adult', citizenshipGroup: 'eu', count: 3 },
      { gender: 'male', ageBand: 'child', citizenshipGroup: 'unknown', count: 1 },
    ],
    supportOffered: 4,
    supportAccepted: 2,
    protectedHousingArranged: 1,
    buyersMet: 2,
    buyersOfferedClinic: 2,
    referralIds: [],
  };
  const fields = (t: Partial<TallyInput>) =>
    problemOf(() => checkTally({ ...base, ...t }))?.errors?.map((e) => e.field) ?? [];

  it('accepts a tally that adds up, and an empty one', () => {
    expect(fields({})).toEqual([]);
    expect(
      fields({
        peopleMet: [],
        supportOffered: 0,
        supportAccepted: 0,
        protectedHousingArranged: 0,
        buyersMet: 0,
        buyersOfferedClinic: 0,
      }),
    ).toEqual([]);
  });

  it('names every number that does not add up', () => {
    expect(fields({ supportOffered: 5, supportAccepted: 5 })).toEqual(['body.supportOffered']);
    expect(fields({ supportAccepted: 5 })).toEqual(['body.supportAccepted']);
    expect(fields({ protectedHousingArranged: 3 })).toEqual(['body.protectedHousingArranged']);
    expect(fields({ buyersOfferedClinic: 3 })).toEqual(['body.buyersOfferedClinic']);
    expect(fields({ peopleMet: [...base.peopleMet, base.peopleMet[0]!] })).toContain(
      'body.peopleMet.2',
    );
    expect(fields({ supportAccepted: -1 })).toContain('body.supportAccepted');
    expect(fields({ referralIds: ['a', 'a'] })).toEqual(['body.referralIds']);
  });

  it('holds accepted ≤ offered ≤ met for whatever numbers it lets through', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 20 }), { maxLength: 4 }),
        fc.nat(50),
        fc.nat(50),
        (counts, offered, accepted) => {
          const tally: TallyInput = {
            ...base,
            peopleMet: counts.map((count, i) => ({
              gender: 'female',
              ageBand: 'adult',
              citizenshipGroup: String(i),
              count,
            })),
            supportOffered: offered,
            supportAccepted: accepted,
            protectedHousingArranged: 0,
          };
          const met = counts.reduce((a, b) => a + b, 0);
          const refused = problemOf(() => checkTally(tally)) !== undefined;
          expect(refused).toBe(!(accepted <= offered && offered <= met));
        },
      ),
    );
  });
});

describe('tallyMayLink', () => {
  const referral = {
    senderUnitId: 'sender',
    recipientUnitId: 'recipient',
    copyUnitIds: ['copy'],
    fieldRequestId: null as string | null,
  };

  it.each(['sender', 'recipient', 'copy'])(
    'links a referral the claiming unit is %s of',
    (unit) => {
      expect(tallyMayLink(referral, unit, 'fr')).toBe(true);
    },
  );

  it('refuses a referral the claiming unit is no party to', () => {
    expect(tallyMayLink(referral, 'elsewhere', 'fr')).toBe(false);
  });

  it('refuses a referral linked to another field request, allows its own', () => {
    expect(tallyMayLink({ ...referral, fieldRequestId: 'other' }, 'sender', 'fr')).toBe(false);
    expect(tallyMayLink({ ...referral, fieldRequestId: 'fr' }, 'sender', 'fr')).toBe(true);
  });
});
