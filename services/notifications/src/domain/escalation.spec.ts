import { escalatesToCoordinator, onCallTargets, sameOrganisationCover } from './escalation';

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
