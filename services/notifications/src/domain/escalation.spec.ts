import {
  decideFiring,
  escalatesToCoordinator,
  onCallTargets,
  sameOrganisationCover,
  type EscalationUnit,
} from './escalation';

describe('escalation rules', () => {
  it('go on to the coordinator for trafficking categories and every field request', () => {
    expect(escalatesToCoordinator({ objectType: 'referral', category: 'trafficking_sexual' })).toBe(
      true,
    );
    expect(escalatesToCoordinator({ objectType: 'referral', category: 'buyer_support' })).toBe(
      false,
    );
    expect(escalatesToCoordinator({ objectType: 'field_request', category: null })).toBe(true);
  });

  it("alert each unit's on-call unit, or the unit itself when it has none", () => {
    const onCall: Record<string, string | null> = { a: 'jour', b: null, c: 'jour' };
    expect(onCallTargets(['a', 'b', 'c'], (id) => onCall[id])).toEqual(['jour', 'b']);
  });
});

describe('sameOrganisationCover (issue 12)', () => {
  it("covers only with an active unit of the same organisation, else the unit's own staff", () => {
    const elsa = { organisationId: 'norrkoping', onCallUnitId: 'x' };
    const units = { elsa };
    const cover = (organisationId: string, status = 'active') => ({
      unitId: 'x',
      organisationId,
      status,
    });
    expect(sameOrganisationCover(elsa, cover('norrkoping'))).toBe('x');
    expect(sameOrganisationCover(elsa, cover('police-nord'))).toBeNull();
    expect(sameOrganisationCover(elsa, cover('norrkoping', 'inactive'))).toBeNull();
    expect(
      onCallTargets(['elsa'], (id) =>
        sameOrganisationCover(units[id as 'elsa'], cover('police-nord')),
      ),
    ).toEqual(['elsa']);
  });
});

describe('decideFiring', () => {
  const unit = (unitId: string, onCallUnitId: string | null = null, organisationId = 'nkpg') => ({
    unitId,
    organisationId,
    status: 'active',
    onCallUnitId,
  });
  const units = new Map<string, EscalationUnit>([
    ['elsa', unit('elsa', 'jour')],
    ['jour', unit('jour')],
    ['nova', unit('nova', 'jour', 'ngo')],
  ]);
  const timer = (over: Partial<Parameters<typeof decideFiring>[0]['timer']> = {}) => ({
    objectType: 'referral',
    level: 1,
    unitIds: ['elsa'],
    category: 'trafficking_sexual',
    ...over,
  });

  it('settles an acknowledged item without alerting anyone', () => {
    expect(
      decideFiring({ timer: timer(), acknowledged: true, units, coordinatorUnitIds: ['coord'] }),
    ).toEqual({ status: 'cancelled' });
  });

  it("level 1 alerts each unit's same-organisation cover and schedules the coordinators", () => {
    expect(
      decideFiring({
        timer: timer({ unitIds: ['elsa', 'nova'] }),
        acknowledged: false,
        units,
        coordinatorUnitIds: ['coord'],
      }),
    ).toEqual({ status: 'fired', targetUnits: ['jour', 'nova'], nextLevelUnits: ['coord'] });
  });

  it('no next level where the rule does not go on to the coordinator', () => {
    expect(
      decideFiring({
        timer: timer({ category: 'buyer_support' }),
        acknowledged: false,
        units,
        coordinatorUnitIds: [],
      }),
    ).toEqual({ status: 'fired', targetUnits: ['jour'], nextLevelUnits: [] });
  });

  it("level 2 alerts the timer's coordinator units", () => {
    expect(
      decideFiring({
        timer: timer({ level: 2, unitIds: ['coord'] }),
        acknowledged: false,
        units: new Map(),
        coordinatorUnitIds: [],
      }),
    ).toEqual({ status: 'fired', targetUnits: ['coord'], nextLevelUnits: [] });
  });
});
