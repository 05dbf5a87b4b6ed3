/**
 * Log reviews as auditors do them (docs/log-review.md): an auditor of an organisation generates a
 * review for a period — a sample of content reads plus the unusual ones — records a finding per
 * item and signs it off; every step is in the audit chain; CSV and a printable report come out.
 */
import { DEMO_ORGANISATIONS as O, DEMO_UNITS as U, DEV_ISSUER } from '@samverkan/shared';
import { eventually } from '@samverkan/shared/src/testing';
import { withinOfficeHours } from '../src/records/log-review';
import { agencyClient, referralDocument } from './helpers/agency-client';
import { buildHub, type TestHub } from './helpers/build';
import { prepareReferral, type Party } from './helpers/lifecycle';
import { activeOperation, putOnShift } from './helpers/operations';

let hub: TestHub;
const police: Party = { user: 'police.officer', unitId: U.policeTraffickingOst };
const frideborg: Party = { user: 'frideborg.caseworker', unitId: U.frideborg };
const problem = (slug: string) => `urn:samverkan:problem:${slug}`;

interface Item {
  itemNo: number;
  auditSeq: number;
  at: string;
  person: string;
  action: string;
  objectId: string | null;
  outcome: string;
  reasons: string[];
  finding: string | null;
}
interface Review {
  id: string;
  status: string;
  seed: string;
  readsInPeriod: number;
  findings: Record<string, number>;
  items: Item[];
}

let start: string;
let declined: string;
let acute: string;
let review: Review;

beforeAll(async () => {
  hub = await buildHub();
  start = new Date(Date.now() - 60_000).toISOString();
  // Frideborg's caseworker is on an operation shift now: her reads are never "outside hours".
  const op = await activeOperation(hub);
  await putOnShift(hub, op, U.frideborg, 'frideborg.caseworker', 'frideborg.caseworker');

  const read = await prepareReferral(hub, { sender: police, recipient: frideborg });
  for (let i = 0; i < 3; i += 1) {
    expect(
      (await hub.as('frideborg.caseworker').get(`/v1/referrals/${read.id}/envelope`)).statusCode,
    ).toBe(200);
  }
  expect((await hub.as('police.officer').get(`/v1/referrals/${read.id}/envelope`)).statusCode).toBe(
    200,
  );

  // Socialjour's caseworker is on call in the directory's roster (the demo keeps someone on call
  // at the 24/7 units): a read by them is not "outside hours" either.
  await eventually(async () => {
    const rows = (await hub.referrals.context.dataSource.query(
      `SELECT 1 FROM referrals.on_call_shifts
        WHERE user_id = 'socialjour.caseworker' AND NOT deleted AND starts_at <= now() AND ends_at > now()`,
    )) as unknown[];
    return rows.length > 0 ? true : undefined;
  }, 20_000);
  const toSocialjour = await prepareReferral(hub, {
    sender: police,
    recipient: { user: 'socialjour.caseworker', unitId: U.socialjour },
  });
  expect(
    (await hub.as('socialjour.caseworker').get(`/v1/referrals/${toSocialjour.id}/envelope`))
      .statusCode,
  ).toBe(200);

  // Declined, then read again by the sender and tried by the recipient.
  declined = (
    await prepareReferral(hub, { sender: police, recipient: frideborg, state: 'declined' })
  ).id;
  expect(
    (await hub.as('police.officer').get(`/v1/referrals/${declined}/envelope`)).statusCode,
  ).toBe(200);
  expect(
    (await hub.as('frideborg.caseworker').get(`/v1/referrals/${declined}/envelope`)).statusCode,
  ).toBe(403);

  // Umeå's caseworker probes a Norrköping referral three times.
  for (let i = 0; i < 3; i += 1) {
    expect(
      (await hub.as('umea.caseworker').get(`/v1/referrals/${read.id}/envelope`)).statusCode,
    ).toBe(404);
  }

  // A referral shared under acute protection.
  const client = agencyClient(hub, 'police.officer', U.policeTraffickingOst);
  // The justification is sealed for the parties by the client (a note on the thread).
  const body = await client.referral({ recipientUnitId: U.frideborg }, referralDocument('acute'), {
    legalBasis: 'acute_protection',
    urgency: 'acute',
    justification: 'Immediate danger; no time to ask for consent.',
  });
  const sent = await hub.as('police.officer').post('/v1/referrals', body);
  expect(sent.statusCode).toBe(201);
  acute = body.id;
});
afterAll(async () => {
  await hub?.close();
});

const findItems = (r: Review, pred: (i: Item) => boolean) => r.items.filter(pred);

describe('generating a review', () => {
  it('is for auditors; a caseworker is refused', async () => {
    const res = await hub
      .as('frideborg.caseworker')
      .post('/v1/audit/reviews', { from: start, to: new Date().toISOString() });
    expect(res.statusCode).toBe(403);
  });

  it('picks a sample and everything unusual the organisation can see', async () => {
    const res = await hub
      .as('norrkoping.auditor')
      .post('/v1/audit/reviews', { from: start, to: new Date().toISOString(), sampleSize: 3 });
    expect(res.statusCode).toBe(201);
    review = res.json() as Review;
    expect(review).toMatchObject({ status: 'open', findings: { open: review.items.length } });
    // A person is (issuer, subject), never a subject alone (issue 12).
    expect(res.json().createdBy).toEqual({ issuer: DEV_ISSUER, subject: 'norrkoping.auditor' });
    expect(review.readsInPeriod).toBeGreaterThanOrEqual(5);
    expect(findItems(review, (i) => i.reasons.includes('sampled'))).toHaveLength(3);

    const after = findItems(
      review,
      (i) => i.objectId === declined && i.reasons.includes('after_decline'),
    );
    expect(after.map((i) => `${i.person} ${i.outcome}`).sort()).toEqual([
      'frideborg.caseworker denied',
      'police.officer allowed',
    ]);
    const probes = findItems(review, (i) => i.reasons.includes('repeated_denials'));
    expect(probes.map((i) => i.person)).toEqual([
      'umea.caseworker',
      'umea.caseworker',
      'umea.caseworker',
    ]);
    const override = findItems(review, (i) => i.reasons.includes('acute_protection_override'));
    expect(override.map((i) => [i.action, i.objectId])).toEqual([['referral.send', acute]]);

    // Outside office hours only when the person was on no shift: Frideborg's caseworker is on one.
    for (const item of review.items.filter(
      (i) => i.action.endsWith('envelope_read') && i.outcome === 'allowed',
    )) {
      const flagged = item.reasons.includes('outside_office_hours');
      const onShift = ['frideborg.caseworker', 'socialjour.caseworker'].includes(item.person);
      const expected = !onShift && !withinOfficeHours(new Date(item.at));
      expect([item.person, flagged]).toEqual([item.person, expected]);
    }
  });

  it('is recorded in the audit chain with its seed', async () => {
    await hub.referrals.context.audit.chainPending(); // entries are chained after commit
    const rows = (await hub.referrals.context.dataSource.query(
      `SELECT object_org, detail FROM referrals.audit_log WHERE action = 'audit.review_generate' AND object_id = $1`,
      [review.id],
    )) as Array<{ object_org: string; detail: { seed: string } }>;
    expect(rows).toEqual([
      { object_org: O.norrkoping, detail: expect.objectContaining({ seed: review.seed }) },
    ]);
  });

  it('refuses a period the wrong way round, naming the field', async () => {
    const res = await hub
      .as('norrkoping.auditor')
      .post('/v1/audit/reviews', { from: new Date().toISOString(), to: start });
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(res.json().errors[0].field).toBe('body.from');
  });
});

describe('findings and sign-off', () => {
  it('cannot sign off before every item has a finding', async () => {
    const res = await hub.as('norrkoping.auditor').post(`/v1/audit/reviews/${review.id}/sign-off`, {
      conclusion: 'no_remarks',
    });
    expect(res.statusCode).toBe(409);
    expect(res.json().type).toBe(problem('log-review-incomplete'));
  });

  it('records a finding per item; an inappropriate one needs remarks', async () => {
    let last: Review | undefined;
    for (const item of review.items) {
      const finding = item.reasons.includes('repeated_denials') ? 'inappropriate' : 'appropriate';
      const res = await hub
        .as('norrkoping.auditor')
        .post(`/v1/audit/reviews/${review.id}/items/${item.itemNo}/finding`, {
          finding,
          ...(finding === 'inappropriate' ? { reference: 'NKPG-LOG-2026/7' } : {}),
        });
      expect(res.statusCode).toBe(200);
      last = res.json() as Review;
    }
    expect(last!.findings).toMatchObject({ inappropriate: 3, open: 0 });
    const wrong = await hub
      .as('norrkoping.auditor')
      .post(`/v1/audit/reviews/${review.id}/sign-off`, {
        conclusion: 'no_remarks',
      });
    expect(wrong.statusCode).toBe(400);
    const signed = await hub
      .as('norrkoping.auditor')
      .post(`/v1/audit/reviews/${review.id}/sign-off`, {
        conclusion: 'remarks',
      });
    expect(signed.statusCode).toBe(200);
    expect(signed.json()).toMatchObject({
      status: 'signed_off',
      signedOffBy: { issuer: DEV_ISSUER, subject: 'norrkoping.auditor' },
      conclusion: 'remarks',
    });
  });

  it('changes nothing after sign-off', async () => {
    const res = await hub
      .as('norrkoping.auditor')
      .post(`/v1/audit/reviews/${review.id}/items/1/finding`, { finding: 'appropriate' });
    expect(res.statusCode).toBe(409);
    expect(res.json().type).toBe(problem('log-review-signed-off'));
  });

  it('keeps every step in a chain that verifies', async () => {
    await hub.referrals.context.audit.chainPending(); // entries are chained after commit
    const rows = (await hub.referrals.context.dataSource.query(
      `SELECT action, count(*)::int AS n FROM referrals.audit_log
        WHERE object_type = 'audit_review' AND object_id = $1 AND outcome = 'allowed' GROUP BY action`,
      [review.id],
    )) as Array<{ action: string; n: number }>;
    const counts = Object.fromEntries(rows.map((r) => [r.action, r.n]));
    expect(counts).toMatchObject({
      'audit.review_generate': 1,
      'audit.review_finding': review.items.length,
      'audit.review_sign_off': 1,
    });
    const verify = await hub.as('norrkoping.auditor').get('/v1/audit/referrals/verify');
    expect(verify.json().valid).toBe(true);
  });
});

describe('reading and exporting', () => {
  it('lists and reads the organisation’s own reviews; others get 404', async () => {
    const list = await hub.as('norrkoping.auditor').get('/v1/audit/reviews');
    expect(list.statusCode).toBe(200);
    expect(list.json().items.map((r: { id: string }) => r.id)).toContain(review.id);
    const got = await hub.as('norrkoping.auditor').get(`/v1/audit/reviews/${review.id}`);
    expect(got.json().items).toHaveLength(review.items.length);
    expect(
      (await hub.as('lansstyrelsen.analyst').get(`/v1/audit/reviews/${review.id}`)).statusCode,
    ).toBe(403);
  });

  it('exports CSV and a printable report under a strict CSP', async () => {
    const csv = await hub
      .as('norrkoping.auditor')
      .get(`/v1/audit/reviews/${review.id}`, { accept: 'text/csv' });
    expect(csv.statusCode).toBe(200);
    const lines = csv.body.trim().split('\r\n');
    expect(lines[0]).toMatch(/^item,audit_seq,at,person/);
    expect(lines).toHaveLength(review.items.length + 1);
    expect(lines.some((l) => l.includes('repeated_denials') && l.includes('inappropriate'))).toBe(
      true,
    );

    const html = await hub
      .as('norrkoping.auditor')
      .get(`/v1/audit/reviews/${review.id}`, { accept: 'text/html' });
    expect(html.statusCode).toBe(200);
    expect(String(html.headers['content-security-policy'])).toMatch(
      /default-src 'none'; style-src 'sha256-/,
    );
    expect(html.body).toContain('Logguppföljning');
    expect(html.body).toContain('med anmärkningar');
    expect(html.body).not.toMatch(/<script/i);
  });
});
