import { ProblemError, type Principal } from '@samverkan/shared';
import {
  checkPeriodSize,
  decideFinding,
  decideSignOff,
  MAX_PERIOD_ENTRIES,
  newReview,
  requireAuditor,
  requireOwnReview,
  reviewPeriod,
  reviewView,
  type LoadedReview,
  type ReviewItemRecord,
} from './log-reviews';

const ORG = '00000000-0000-4000-8000-000000000001';
const auditor: Principal = {
  sub: 'auditor',
  iss: 'https://issuer.example',
  org: ORG,
  units: [],
  roles: ['auditor'],
  hubAdmin: false,
};
const now = new Date('2026-06-01T12:00:00Z');

const code = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return (err as ProblemError).definition.code;
  }
  return 'none';
};

const entry = (seq: number, action = 'referral.envelope_read') => ({
  seq,
  at: new Date(`2026-05-0${seq}T10:00:00Z`),
  actorSub: 'caseworker',
  actorIssuer: 'https://issuer.example',
  actorOrg: ORG,
  action,
  objectType: 'referral',
  objectId: `r${seq}`,
  outcome: 'allowed',
  detail: {},
});

function review(findings: Array<string | null>): LoadedReview {
  const created = newReview(
    auditor,
    {
      id: '30000000-0000-4000-8000-000000000001',
      seed: 'seed',
      from: new Date('2026-05-01T00:00:00Z'),
      to: new Date('2026-06-01T00:00:00Z'),
      sampleSize: 20,
    },
    { entries: findings.map((_f, i) => entry(i + 1)), shifts: [], headSeq: '42' },
    now,
  );
  return {
    ...created,
    items: created.items.map((i, n): ReviewItemRecord => ({ ...i, finding: findings[n] ?? null })),
  };
}

describe('log review access and period', () => {
  it('is for the auditors of the review’s organisation', () => {
    expect(code(() => requireAuditor({ ...auditor, roles: ['caseworker'] }))).toBe('FORBIDDEN');
    expect(code(() => requireOwnReview(auditor, null))).toBe('REFERRALS_LOG_REVIEW_NOT_FOUND');
    expect(code(() => requireOwnReview({ ...auditor, org: 'other' }, review([])))).toBe(
      'REFERRALS_LOG_REVIEW_NOT_FOUND',
    );
    expect(code(() => requireOwnReview(auditor, review([])))).toBe('none');
  });

  it('covers a period in order, at most a year, not in the future, not too many entries', () => {
    expect(reviewPeriod({ from: '2026-05-01T00:00:00Z', to: '2026-06-01T00:00:00Z' }, now)).toEqual(
      { from: new Date('2026-05-01T00:00:00Z'), to: new Date('2026-06-01T00:00:00Z') },
    );
    for (const bad of [
      { from: 'yesterday', to: '2026-06-01T00:00:00Z' },
      { from: '2026-06-01T00:00:00Z', to: '2026-05-01T00:00:00Z' },
      { from: '2024-01-01T00:00:00Z', to: '2026-01-01T00:00:00Z' },
      { from: '2026-05-01T00:00:00Z', to: '2026-07-01T00:00:00Z' },
    ]) {
      expect(code(() => reviewPeriod(bad, now))).toBe('VALIDATION_FAILED');
    }
    expect(code(() => checkPeriodSize(MAX_PERIOD_ENTRIES))).toBe('none');
    expect(code(() => checkPeriodSize(MAX_PERIOD_ENTRIES + 1))).toBe('VALIDATION_FAILED');
  });
});

describe('a new review', () => {
  it('counts the period’s content reads and numbers its items from 1', () => {
    const created = newReview(
      auditor,
      { id: 'id', seed: 'seed', from: now, to: now, sampleSize: 20 },
      {
        entries: [entry(1), entry(2), entry(3, 'referral.send')],
        shifts: [],
        headSeq: '7',
      },
      now,
    );
    const view = reviewView(created.review, created.items);
    expect(view).toMatchObject({ readsInPeriod: 2, headSeq: 7, status: 'open', seed: 'seed' });
    expect(view.items.map((i) => i.itemNo)).toEqual(created.items.map((_i, n) => n + 1));
    expect(view.findings.open).toBe(created.items.length);
  });
});

describe('findings and the sign-off', () => {
  it('records a finding on an item of an open review', () => {
    const { item, after } = decideFinding(
      auditor,
      review([null, null]),
      1,
      { finding: 'appropriate' },
      now,
    );
    expect(item).toMatchObject({
      itemNo: 1,
      finding: 'appropriate',
      foundBy: 'auditor',
      foundAt: now,
    });
    expect(reviewView(after.review, after.items).findings).toMatchObject({
      appropriate: 1,
      open: 1,
    });
    expect(
      code(() => decideFinding(auditor, review([null]), 9, { finding: 'appropriate' }, now)),
    ).toBe('REFERRALS_LOG_REVIEW_ITEM_NOT_FOUND');
  });

  it('signs off only a complete review, with remarks when an access was inappropriate', () => {
    expect(code(() => decideSignOff(auditor, review(['appropriate', null]), 'remarks', now))).toBe(
      'REFERRALS_LOG_REVIEW_INCOMPLETE',
    );
    expect(code(() => decideSignOff(auditor, review(['inappropriate']), 'no_remarks', now))).toBe(
      'VALIDATION_FAILED',
    );
    const signed = decideSignOff(auditor, review(['inappropriate']), 'remarks', now);
    expect(signed.review).toMatchObject({
      status: 'signed_off',
      signedOffBy: 'auditor',
      signedOffAt: now,
      conclusion: 'remarks',
      version: 2,
    });
    // Nothing changes after a sign-off.
    expect(code(() => decideSignOff(auditor, signed, 'remarks', now))).toBe(
      'REFERRALS_LOG_REVIEW_SIGNED_OFF',
    );
    expect(code(() => decideFinding(auditor, signed, 1, { finding: 'appropriate' }, now))).toBe(
      'REFERRALS_LOG_REVIEW_SIGNED_OFF',
    );
  });
});
