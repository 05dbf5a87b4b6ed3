import type { Principal, Role } from '@samverkan/shared';
import { isClaimer, mayActOnFieldRequest, operationAccess } from './operation-access';

const ORG = 'org-police';
const op = {
  organiserUnitId: 'organiser',
  organiserOrganisationId: ORG,
  coordinatorUnitId: 'coordinator',
};
const participants = [{ unitId: 'social', organisationId: 'org-social' }];

const who = (roles: Role[], org = 'elsewhere', sub = 'someone'): Principal => ({
  sub,
  iss: 'https://issuer.example',
  org,
  units: [],
  roles,
  hubAdmin: false,
});

describe('operationAccess', () => {
  it.each([
    ['the organiser unit', ['organiser']],
    ['the coordinator unit', ['coordinator']],
    ['an invited unit', ['social']],
  ])('lets members of %s see it', (_, units) => {
    expect(operationAccess(who(['caseworker']), units, op, participants).canSee).toBe(true);
  });

  it('runs it only as an officer or coordinator of the organiser unit', () => {
    expect(operationAccess(who(['officer']), ['organiser'], op, participants).organiser).toBe(true);
    expect(operationAccess(who(['coordinator']), ['organiser'], op, participants).organiser).toBe(
      true,
    );
    expect(operationAccess(who(['caseworker']), ['organiser'], op, participants).organiser).toBe(
      false,
    );
    expect(operationAccess(who(['officer']), ['social'], op, participants).organiser).toBe(false);
  });

  it("lets officers of the organiser's organisation see it, when they act for a unit", () => {
    expect(operationAccess(who(['officer'], ORG), ['other'], op, participants).canSee).toBe(true);
    expect(operationAccess(who(['officer'], ORG), [], op, participants).canSee).toBe(false);
  });

  it("lets the organiser's and participants' organisation administrators see it", () => {
    expect(operationAccess(who(['org_admin'], ORG), [], op, participants).canSee).toBe(true);
    expect(operationAccess(who(['org_admin'], 'org-social'), [], op, participants).canSee).toBe(
      true,
    );
    expect(operationAccess(who(['org_admin']), [], op, participants).canSee).toBe(false);
  });

  it('hides it from everyone else', () => {
    expect(operationAccess(who(['caseworker']), ['other'], op, participants).canSee).toBe(false);
    expect(operationAccess(who(['officer']), ['other'], op, participants).canSee).toBe(false);
  });
});

describe('field request actions', () => {
  const request = { requesterUnitId: 'requester', claimedBy: 'claimer', claimedByUnitId: 'social' };

  it('lets the claimer, acting for the claiming unit, move it on', () => {
    const claimer = who(['caseworker'], 'org-social', 'claimer');
    for (const action of ['en_route', 'on_site', 'complete'] as const) {
      expect(mayActOnFieldRequest(claimer, ['social'], request, action)).toBe(true);
      expect(mayActOnFieldRequest(claimer, ['other'], request, action)).toBe(false);
      expect(mayActOnFieldRequest(who(['caseworker']), ['social'], request, action)).toBe(false);
    }
    expect(isClaimer(claimer, ['social'], { claimedBy: null, claimedByUnitId: null })).toBe(false);
  });

  it("lets only an officer of the requester's unit cancel", () => {
    expect(mayActOnFieldRequest(who(['officer']), ['requester'], request, 'cancel')).toBe(true);
    expect(mayActOnFieldRequest(who(['caseworker']), ['requester'], request, 'cancel')).toBe(false);
    expect(mayActOnFieldRequest(who(['officer']), ['other'], request, 'cancel')).toBe(false);
    const claimer = who(['caseworker'], 'org-social', 'claimer');
    expect(mayActOnFieldRequest(claimer, ['social'], request, 'cancel')).toBe(false);
  });
});
