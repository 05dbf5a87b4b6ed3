import { actingUnitsOf, type ClaimedUnit } from './acting-units';

const ORG = '10000000-0000-4000-8000-000000000001';
const OTHER = '20000000-0000-4000-8000-000000000002';
const A = '11000000-0000-4000-8000-000000000001';
const B = '11000000-0000-4000-8000-000000000002';
const C = '11000000-0000-4000-8000-000000000003';

const unit = (unitId: string, organisationId: string | undefined, memberRoles: string[] | null) =>
  ({ unitId, organisationId, memberRoles }) satisfies ClaimedUnit;

describe('actingUnitsOf: the one rule for acting for a unit', () => {
  it('keeps a claimed unit of the token’s organisation where the person is a case-handling member', () => {
    expect(actingUnitsOf({ org: ORG, units: [A] }, [unit(A, ORG, ['caseworker'])])).toEqual([A]);
  });

  it('drops a unit the directory no longer lists the person in (removed member)', () => {
    expect(
      actingUnitsOf({ org: ORG, units: [A, B] }, [unit(A, ORG, null), unit(B, ORG, ['officer'])]),
    ).toEqual([B]);
  });

  it('drops a unit of another organisation, even where a member of that name exists', () => {
    expect(actingUnitsOf({ org: ORG, units: [A] }, [unit(A, OTHER, ['caseworker'])])).toEqual([]);
  });

  it('drops a unit the directory does not know, and one the token does not claim', () => {
    expect(
      actingUnitsOf({ org: ORG, units: [A] }, [
        unit(A, undefined, ['caseworker']),
        unit(C, ORG, ['caseworker']),
      ]),
    ).toEqual([]);
  });

  it('needs a case-handling role as a member, unless other roles are asked for', () => {
    const claimed = [unit(A, ORG, ['org_admin'])];
    expect(actingUnitsOf({ org: ORG, units: [A] }, claimed)).toEqual([]);
    expect(actingUnitsOf({ org: ORG, units: [A] }, claimed, ['org_admin'])).toEqual([A]);
  });
});
