/**
 * Who may use the records routes (legal holds, log reviews, the county mapping report): every
 * route × every kind of caller. Outsiders to a referral get 404 for its legal hold, as for the
 * referral; log reviews are for auditors and only of their own organisation; the mapping report
 * is for analysts and coordinators; nobody gets anything without a token; every refusal is an
 * audit entry.
 */
import { DEMO_UNITS as U, type DemoUserName } from '@samverkan/shared';
import { buildHub, type TestHub } from './helpers/build';
import { prepareReferral } from './helpers/lifecycle';

let hub: TestHub;
let referralId: string;
let reviewId: string;

beforeAll(async () => {
  hub = await buildHub();
  referralId = (
    await prepareReferral(hub, {
      sender: { user: 'police.officer', unitId: U.policeTraffickingOst },
      recipient: { user: 'frideborg.caseworker', unitId: U.frideborg },
      state: 'closed',
    })
  ).id;
  const review = await hub.as('norrkoping.auditor').post('/v1/audit/reviews', {
    from: new Date(Date.now() - 3_600_000).toISOString(),
    to: new Date().toISOString(),
  });
  expect(review.statusCode).toBe(201);
  reviewId = review.json().id;
});
afterAll(async () => {
  await hub?.close();
});

type Method = 'get' | 'post' | 'delete';
const route = (method: Method, path: () => string, body?: unknown) => ({ method, path, body });
const ROUTES = {
  'GET legal-hold': route('get', () => `/v1/referrals/${referralId}/legal-hold`),
  'POST legal-hold': route('post', () => `/v1/referrals/${referralId}/legal-hold`, {
    reason: 'complaint',
  }),
  'DELETE legal-hold': route('delete', () => `/v1/referrals/${referralId}/legal-hold`),
  'GET mapping-report': route('get', () => '/v1/statistics/mapping-report?county=05'),
  'GET reviews': route('get', () => '/v1/audit/reviews'),
  'POST reviews': route('post', () => '/v1/audit/reviews', {
    from: new Date(Date.now() - 3_600_000).toISOString(),
    to: new Date().toISOString(),
  }),
  'GET review': route('get', () => `/v1/audit/reviews/${reviewId}`),
  'POST finding': route('post', () => `/v1/audit/reviews/${reviewId}/items/1/finding`, {
    finding: 'appropriate',
  }),
  'POST sign-off': route('post', () => `/v1/audit/reviews/${reviewId}/sign-off`, {
    conclusion: 'no_remarks',
  }),
} as const;
type RouteName = keyof typeof ROUTES;

async function call(user: DemoUserName | null, name: RouteName) {
  const r = ROUTES[name];
  const client = hub.as(user);
  return r.method === 'get'
    ? client.get(r.path())
    : r.method === 'delete'
      ? client.delete(r.path())
      : client.post(r.path(), r.body);
}

it.each(Object.keys(ROUTES) as RouteName[])('%s without a token → 401', async (name) => {
  const res = await call(null, name);
  expect(res.statusCode).toBe(401);
  expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
});

/** [caller, route, status]: what each kind of caller gets. */
const MATRIX: Array<[DemoUserName, RouteName, number]> = [
  // A referral's legal hold: outsiders see nothing of it (404), whatever their role.
  ['umea.caseworker', 'GET legal-hold', 404],
  ['socialjour.caseworker', 'GET legal-hold', 404],
  ['police-nord.officer', 'POST legal-hold', 404],
  ['lansstyrelsen.analyst', 'GET legal-hold', 404],
  ['coordinator.ostergotland', 'POST legal-hold', 404],
  ['hub.admin', 'DELETE legal-hold', 404],
  // Parties: the auditor of a party organisation reads; a caseworker cannot lift.
  ['norrkoping.auditor', 'GET legal-hold', 200],
  ['frideborg.caseworker', 'DELETE legal-hold', 403],
  // The mapping report: analysts and coordinators only.
  ['frideborg.caseworker', 'GET mapping-report', 403],
  ['police.officer', 'GET mapping-report', 403],
  ['norrkoping.auditor', 'GET mapping-report', 403],
  ['norrkoping.admin', 'GET mapping-report', 403],
  ['lansstyrelsen.analyst', 'GET mapping-report', 200],
  ['coordinator.ostergotland', 'GET mapping-report', 200],
  // Log reviews: auditors, of their own organisation.
  ['frideborg.caseworker', 'GET reviews', 403],
  ['lansstyrelsen.analyst', 'POST reviews', 403],
  ['norrkoping.admin', 'GET review', 403],
  ['hub.admin', 'POST finding', 403],
  ['police.officer', 'POST sign-off', 403],
  ['norrkoping.auditor', 'GET reviews', 200],
  ['norrkoping.auditor', 'GET review', 200],
];

it.each(MATRIX)('%s: %s → %i', async (user, name, status) => {
  const res = await call(user, name);
  expect(res.statusCode).toBe(status);
  if (status >= 400) {
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(res.json()).toMatchObject({
      status,
      type: expect.stringMatching(/^urn:samverkan:problem:/),
    });
  }
});

it('recorded every refusal as a denied entry', async () => {
  const rows = (await hub.referrals.context.dataSource.query(
    `SELECT actor_sub, action FROM referrals.audit_log WHERE outcome = 'denied'`,
  )) as Array<{ actor_sub: string; action: string }>;
  const denied = new Set(rows.map((r) => `${r.actor_sub} ${r.action}`));
  for (const [user, action] of [
    ['umea.caseworker', 'referral.legal_hold_read'],
    ['frideborg.caseworker', 'referral.legal_hold_lift'],
    ['frideborg.caseworker', 'statistics.mapping_report_read'],
    ['lansstyrelsen.analyst', 'audit.review_generate'],
    ['norrkoping.admin', 'audit.review_read'],
  ]) {
    expect(denied).toContain(`${user} ${action}`);
  }
});

it('an auditor of another organisation does not find a review (404)', async () => {
  // Another organisation's auditor: a token for Umeå with the auditor role.
  const { DEMO_USERS } = await import('@samverkan/shared');
  const token = await hub.app.platform.devIssuer!.mint(
    { ...DEMO_USERS['umea.caseworker']!, sub: 'umea.auditor', roles: ['auditor'] },
    { audience: hub.config.AUTH_AUDIENCE },
  );
  const res = await hub.app.inject({
    method: 'GET',
    url: `/v1/audit/reviews/${reviewId}`,
    headers: { authorization: `Bearer ${token}` },
  });
  expect(res.statusCode).toBe(404);
  expect(res.json().type).toBe('urn:samverkan:problem:log-review-not-found');
});
