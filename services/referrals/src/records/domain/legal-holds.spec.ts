import { ProblemError, type Principal } from '@samverkan/shared';
import {
  decideLift,
  decidePlace,
  holdsAfter,
  legalHoldStanding,
  legalHoldView,
  type HeldReferral,
  type LegalHold,
} from './legal-holds';

const ORG = '00000000-0000-4000-8000-000000000001';
const OTHER = '00000000-0000-4000-8000-000000000002';
const SENDER = '10000000-0000-4000-8000-000000000001';

const principal = (roles: Principal['roles'], org = ORG): Principal => ({
  sub: 'person',
  iss: 'https://issuer.example',
  org,
  units: [],
  roles,
  hubAdmin: false,
});

const hold = (organisationId: string, placedAt: string): LegalHold => ({
  organisationId,
  reason: 'complaint',
  reference: null,
  placedBy: 'someone',
  placedByIssuer: null,
  placedAt: new Date(placedAt),
});

const referral = (over: Partial<HeldReferral> = {}): HeldReferral => ({
  id: '20000000-0000-4000-8000-000000000001',
  senderUnitId: SENDER,
  recipientUnitId: '10000000-0000-4000-8000-000000000002',
  copyUnitIds: [],
  status: 'closed',
  closedAt: new Date('2026-01-01T00:00:00Z'),
  declinedAt: null,
  updatedAt: new Date('2026-01-02T00:00:00Z'),
  partyOrgs: [ORG],
  holds: [],
  purge: null,
  ...over,
});

const code = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return (err as ProblemError).definition.code;
  }
  return 'none';
};

describe('legal hold standing', () => {
  it('is a member acting for a unit of the referral, or oversight of a party organisation', () => {
    expect(legalHoldStanding(principal(['caseworker']), [SENDER], referral())).toEqual({
      isOversight: false,
    });
    expect(legalHoldStanding(principal(['auditor']), [], referral())).toEqual({
      isOversight: true,
    });
    expect(legalHoldStanding(principal(['org_admin']), [], referral())).toEqual({
      isOversight: true,
    });
  });

  it('answers anyone else, and a referral that is not there, as not found', () => {
    expect(code(() => legalHoldStanding(principal(['caseworker']), [], referral()))).toBe(
      'REFERRALS_REFERRAL_NOT_FOUND',
    );
    expect(code(() => legalHoldStanding(principal(['auditor'], OTHER), [], referral()))).toBe(
      'REFERRALS_REFERRAL_NOT_FOUND',
    );
    expect(code(() => legalHoldStanding(principal(['auditor']), [], null))).toBe(
      'REFERRALS_REFERRAL_NOT_FOUND',
    );
  });
});

describe('placing and lifting', () => {
  const now = new Date('2026-06-01T00:00:00Z');

  it('places a hold for the caller’s organisation, unless the content is purged', () => {
    expect(
      decidePlace(
        principal(['auditor']),
        referral(),
        { reason: 'complaint', reference: 'D-1' },
        now,
      ),
    ).toEqual({
      organisationId: ORG,
      reason: 'complaint',
      reference: 'D-1',
      placedBy: 'person',
      placedByIssuer: 'https://issuer.example',
      placedAt: now,
    });
    const purged = referral({ purge: { purgedAt: now, timelinePurgedAt: null } });
    expect(
      code(() => decidePlace(principal(['auditor']), purged, { reason: 'complaint' }, now)),
    ).toBe('REFERRALS_LEGAL_HOLD_TOO_LATE');
  });

  it('lifts only the own organisation’s hold, and only with oversight', () => {
    const held = referral({ holds: [hold(ORG, '2026-02-01T00:00:00Z')] });
    expect(decideLift(principal(['auditor']), held, { isOversight: true })).toBe(held.holds[0]);
    expect(code(() => decideLift(principal(['caseworker']), held, { isOversight: false }))).toBe(
      'FORBIDDEN',
    );
    expect(code(() => decideLift(principal(['auditor'], OTHER), held, { isOversight: true }))).toBe(
      'REFERRALS_LEGAL_HOLD_NOT_FOUND',
    );
  });

  it('keeps the holds oldest first when one is replaced, and drops a lifted one', () => {
    const a = hold(ORG, '2026-02-01T00:00:00Z');
    const b = hold(OTHER, '2026-03-01T00:00:00Z');
    const again = hold(ORG, '2026-04-01T00:00:00Z');
    expect(holdsAfter([a, b], ORG, again)).toEqual([b, again]);
    expect(holdsAfter([a, b], ORG, null)).toEqual([b]);
  });
});

describe('the legal hold view', () => {
  const days = { contentDays: 180, timelineDays: 1825 };

  it('says when the content is due, counted from the final state', () => {
    const view = legalHoldView(referral(), [], days);
    expect(view.held).toBe(false);
    expect(view.retention).toMatchObject({
      finalSince: '2026-01-01T00:00:00.000Z',
      contentPurgeDueAt: '2026-06-30T00:00:00.000Z',
      contentPurgedAt: null,
    });
  });

  it('has no due date while held, purged or not final', () => {
    expect(
      legalHoldView(referral(), [hold(ORG, '2026-02-01T00:00:00Z')], days).retention
        .contentPurgeDueAt,
    ).toBeNull();
    expect(
      legalHoldView(referral({ status: 'accepted' }), [], days).retention.finalSince,
    ).toBeNull();
    const purgedAt = new Date('2026-07-01T00:00:00Z');
    expect(
      legalHoldView(referral({ purge: { purgedAt, timelinePurgedAt: null } }), [], days).retention,
    ).toMatchObject({ contentPurgeDueAt: null, contentPurgedAt: purgedAt.toISOString() });
  });
});
