import {
  DEFAULT_DEADLINES,
  acknowledgeDeadline,
  escalationTargets,
  sameOrganisationCover,
  isAcknowledgementOverdue,
  isTraffickingCategory,
  parseDeadlineConfig,
} from './deadlines';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

describe('acknowledgeDeadline', () => {
  const created = new Date('2025-01-15T10:00:00.000Z');

  it.each([
    ['acute', '2025-01-15T10:15:00.000Z'],
    ['urgent', '2025-01-15T14:00:00.000Z'],
    ['routine', '2025-01-18T10:00:00.000Z'],
  ] as const)('uses the default for %s', (urgency, due) => {
    expect(acknowledgeDeadline(urgency, created).toISOString()).toBe(due);
  });

  it('uses a given config', () => {
    const config = { acute: 5 * MINUTE, urgent: HOUR, routine: DAY };
    expect(acknowledgeDeadline('acute', created, config).toISOString()).toBe(
      '2025-01-15T10:05:00.000Z',
    );
  });

  it('does not change the given date', () => {
    const at = new Date(created);
    acknowledgeDeadline('routine', at);
    expect(at).toEqual(created);
  });

  // Europe/Stockholm moves to summer time at 01:00 UTC on 30 March 2025 and back at 01:00 UTC on
  // 26 October 2025. Deadlines are absolute, so the wall clock jumping changes nothing.
  it.each([
    ['spring forward', '2025-03-29T22:00:00.000Z', '2025-04-01T22:00:00.000Z'],
    ['fall back', '2025-10-25T22:00:00.000Z', '2025-10-28T22:00:00.000Z'],
  ])('is exactly 72 hours for routine across %s', (_when, from, due) => {
    const deadline = acknowledgeDeadline('routine', new Date(from));
    expect(deadline.toISOString()).toBe(due);
    expect(deadline.getTime() - new Date(from).getTime()).toBe(72 * HOUR);
  });

  it('is exactly 15 minutes for acute in the hour that repeats in autumn', () => {
    const from = new Date('2025-10-26T00:55:00.000Z'); // 02:55 CEST, just before the clocks go back
    expect(acknowledgeDeadline('acute', from).toISOString()).toBe('2025-10-26T01:10:00.000Z');
  });
});

describe('isAcknowledgementOverdue', () => {
  const deadline = new Date('2025-01-15T10:15:00.000Z');
  const sent = { status: 'sent', acknowledgedAt: null };

  it('is due at the deadline itself, so a job scheduled for it escalates', () => {
    expect(isAcknowledgementOverdue(sent, deadline, new Date('2025-01-15T10:14:59.999Z'))).toBe(
      false,
    );
    expect(isAcknowledgementOverdue(sent, deadline, deadline)).toBe(true);
    expect(isAcknowledgementOverdue(sent, deadline, new Date('2025-01-16T00:00:00Z'))).toBe(true);
  });

  it('is not overdue once acknowledged, answered or withdrawn', () => {
    const late = new Date('2025-01-16T00:00:00Z');
    for (const status of ['received', 'accepted', 'declined', 'forwarded', 'withdrawn']) {
      expect(isAcknowledgementOverdue({ status, acknowledgedAt: null }, deadline, late)).toBe(
        false,
      );
    }
    expect(
      isAcknowledgementOverdue({ status: 'sent', acknowledgedAt: deadline }, deadline, late),
    ).toBe(false);
  });
});

describe('parseDeadlineConfig', () => {
  it('gives the defaults for nothing', () => {
    expect(parseDeadlineConfig(undefined)).toEqual(DEFAULT_DEADLINES);
    expect(parseDeadlineConfig('')).toEqual(DEFAULT_DEADLINES);
    expect(parseDeadlineConfig('  ')).toEqual(DEFAULT_DEADLINES);
  });

  it('reads the documented form', () => {
    expect(parseDeadlineConfig('acute=15m,urgent=4h,routine=3d')).toEqual(DEFAULT_DEADLINES);
    expect(parseDeadlineConfig(' acute = 10m , urgent=90m, routine=48h ')).toEqual({
      acute: 10 * MINUTE,
      urgent: 90 * MINUTE,
      routine: 48 * HOUR,
    });
    expect(parseDeadlineConfig('acute=300s').acute).toBe(5 * MINUTE);
  });

  it('keeps the defaults for urgencies not given', () => {
    expect(parseDeadlineConfig('acute=5m')).toEqual({ ...DEFAULT_DEADLINES, acute: 5 * MINUTE });
  });

  it('returns a frozen config', () => {
    expect(Object.isFrozen(parseDeadlineConfig('acute=5m'))).toBe(true);
  });

  it.each([
    ['acute=15', 'cannot read'],
    ['acute=15x', 'cannot read'],
    ['acute=-5m', 'cannot read'],
    ['acute=1.5h', 'cannot read'],
    ['acute:15m', 'cannot read'],
    ['acute=15m,,urgent=4h', 'empty'],
    ['acute=15m,', 'empty'],
    ['critical=5m', 'unknown urgency "critical"'],
    ['ACUTE=5m', 'cannot read'],
    ['acute=5m,acute=10m', 'given twice'],
    ['acute=0m', 'longer than zero'],
    ['routine=31d', 'at most 30 days'],
    ['acute=5h', 'acute ≤ urgent ≤ routine'],
    ['urgent=4d', 'acute ≤ urgent ≤ routine'],
    ['acute=9999999m', 'cannot read'],
  ])('refuses %p, naming the variable', (value, why) => {
    expect(() => parseDeadlineConfig(value)).toThrow('REFERRALS_ACKNOWLEDGE_DEADLINES is invalid');
    expect(() => parseDeadlineConfig(value)).toThrow(why);
  });

  it('names another variable when asked', () => {
    expect(() => parseDeadlineConfig('x=1m', 'ACK_DEADLINES')).toThrow(/^ACK_DEADLINES is invalid/);
  });
});

describe('escalationTargets', () => {
  const frideborg = { id: 'unit-frideborg', onCallUnitId: 'unit-socialjour' };
  const coordinators = ['unit-coordinator'];

  it('escalates a trafficking case to the on-call unit, then the coordinator', () => {
    expect(
      escalationTargets({
        category: 'trafficking_sexual',
        objectType: 'referral',
        units: [frideborg],
        coordinatorUnitIds: coordinators,
      }),
    ).toEqual([
      { level: 1, kind: 'unit_on_call', unitId: 'unit-socialjour' },
      { level: 2, kind: 'coordinator', unitId: 'unit-coordinator' },
    ]);
  });

  it.each(['trafficking_sexual', 'trafficking_labour', 'child_sexual_exploitation'])(
    'treats %s as trafficking',
    (category) => {
      expect(isTraffickingCategory(category)).toBe(true);
      expect(
        escalationTargets({
          objectType: 'referral',
          category,
          units: [frideborg],
          coordinatorUnitIds: coordinators,
        }),
      ).toHaveLength(2);
    },
  );

  it('escalates other categories to the on-call unit only', () => {
    expect(isTraffickingCategory('prostitution')).toBe(false);
    expect(
      escalationTargets({
        category: 'prostitution',
        objectType: 'referral',
        units: [frideborg],
        coordinatorUnitIds: coordinators,
      }),
    ).toEqual([{ level: 1, kind: 'unit_on_call', unitId: 'unit-socialjour' }]);
  });

  it("falls back to the recipient unit's own on-duty staff when it names no on-call unit", () => {
    expect(
      escalationTargets({
        category: 'prostitution',
        objectType: 'referral',
        units: [{ id: 'unit-elsa', onCallUnitId: null }],
        coordinatorUnitIds: [],
      }),
    ).toEqual([{ level: 1, kind: 'unit_on_call', unitId: 'unit-elsa' }]);
  });

  it('does not alert a unit twice, nor a coordinator unit about its own deadline', () => {
    expect(
      escalationTargets({
        category: 'trafficking_labour',
        objectType: 'referral',
        units: [{ id: 'unit-coordinator', onCallUnitId: 'unit-socialjour' }],
        coordinatorUnitIds: ['unit-coordinator', 'unit-socialjour', 'unit-coord-2', 'unit-coord-2'],
      }),
    ).toEqual([
      { level: 1, kind: 'unit_on_call', unitId: 'unit-socialjour' },
      { level: 2, kind: 'coordinator', unitId: 'unit-coord-2' },
    ]);
  });

  it('keeps level 1 for a trafficking case when no coordinator is known', () => {
    expect(
      escalationTargets({
        category: 'trafficking_sexual',
        objectType: 'referral',
        units: [frideborg],
        coordinatorUnitIds: [],
      }),
    ).toEqual([{ level: 1, kind: 'unit_on_call', unitId: 'unit-socialjour' }]);
  });
});

describe('sameOrganisationCover (issue 12: escalations routed to another organisation)', () => {
  const elsa = { organisationId: 'org-norrkoping', onCallUnitId: 'unit-jour' };
  it('keeps an active on-call unit of the same organisation', () => {
    expect(
      sameOrganisationCover(elsa, {
        unitId: 'unit-jour',
        organisationId: 'org-norrkoping',
        status: 'active',
      }),
    ).toBe('unit-jour');
  });
  it("drops another organisation's unit, an inactive or unknown one, so the unit's own staff are alerted", () => {
    const police = { unitId: 'unit-jour', organisationId: 'org-police', status: 'active' };
    expect(sameOrganisationCover(elsa, police)).toBeNull();
    expect(
      sameOrganisationCover(elsa, {
        ...police,
        organisationId: 'org-norrkoping',
        status: 'inactive',
      }),
    ).toBeNull();
    expect(sameOrganisationCover(elsa, undefined)).toBeNull();
    const targets = escalationTargets({
      category: 'domestic_violence',
      objectType: 'referral',
      units: [{ id: 'unit-elsa', onCallUnitId: sameOrganisationCover(elsa, police) }],
      coordinatorUnitIds: [],
    });
    expect(targets).toEqual([{ level: 1, kind: 'unit_on_call', unitId: 'unit-elsa' }]);
  });
});
