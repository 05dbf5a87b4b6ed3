import { randomUUID } from 'node:crypto';
import { DEMO_ORGANISATIONS, DEMO_UNITS, type DemoUserName } from '@samverkan/shared';
import { eventually } from '@samverkan/shared/src/testing';
import { buildHub, type TestHub } from './helpers/build';

/**
 * Who may manage webhooks, what a request must look like, and where webhooks may not go — with
 * the production defaults: https only, no loopback or private destinations.
 */

let hub: TestHub;
/** A public address literal: registering needs no DNS, and nothing is ever sent to it here. */
const PUBLIC_URL = 'https://93.184.215.14/hooks/samverkan';

beforeAll(async () => {
  hub = await buildHub();
}, 90_000);
afterAll(async () => hub?.close());

async function send(
  user: DemoUserName | null,
  method: 'POST' | 'PATCH' | 'DELETE' | 'GET',
  url: string,
  body?: unknown,
  headers: Record<string, string> = {},
) {
  return hub.app.inject({
    method,
    url,
    headers: {
      ...(user ? { authorization: `Bearer ${await hub.token(user)}` } : {}),
      ...(method === 'GET' ? {} : { 'idempotency-key': randomUUID() }),
      ...headers,
    },
    ...(body !== undefined ? { payload: body as object } : {}),
  });
}

async function create(unitId: string = DEMO_UNITS.frideborg, url = PUBLIC_URL): Promise<string> {
  const res = await send('norrkoping.admin', 'POST', '/v1/webhooks', {
    unitId,
    url,
    eventTypes: ['referral.sent', 'field_request.created'],
    description: 'case system',
  });
  expect(res.statusCode).toBe(201);
  return res.json<{ endpoint: { id: string } }>().endpoint.id;
}

const problem = (slug: string) => `urn:samverkan:problem:${slug}`;

describe('authorization', () => {
  let id: string;
  beforeAll(async () => {
    id = await create();
  });

  const routes: Array<
    [string, 'GET' | 'POST' | 'PATCH' | 'DELETE', (id: string) => string, unknown?]
  > = [
    ['read', 'GET', (i) => `/v1/webhooks/${i}`],
    ['update', 'PATCH', (i) => `/v1/webhooks/${i}`, { description: 'changed' }],
    ['delete', 'DELETE', (i) => `/v1/webhooks/${i}`],
    ['rotate', 'POST', (i) => `/v1/webhooks/${i}/rotate-secret`, {}],
    ['enable', 'POST', (i) => `/v1/webhooks/${i}/enable`, {}],
    ['test', 'POST', (i) => `/v1/webhooks/${i}/test`, {}],
    ['deliveries', 'GET', (i) => `/v1/webhooks/${i}/deliveries`],
    ['redeliver', 'POST', (i) => `/v1/webhooks/${i}/deliveries/${randomUUID()}/redeliver`, {}],
  ];
  const outsiders: DemoUserName[] = [
    'police.admin', // an org admin, of another organisation
    'frideborg.caseworker', // a member of the unit, not an admin
    'norrkoping.auditor', // the right organisation, not an admin
    'hub.admin', // runs the hub, not the agency's systems
  ];

  for (const [name, method, path, body] of routes) {
    it.each(outsiders)(
      `${name}: %s learns nothing (404), and the refusal is audited`,
      async (user) => {
        const res = await send(user, method, path(id), body);
        expect(res.statusCode).toBe(404);
        expect(res.json().type).toBe(problem('webhook-endpoint-not-found'));
        await hub.notifications.context.audit.chainPending();
        const [row] = (await hub.notifications.context.dataSource.query(
          `SELECT count(*)::int AS n FROM notifications.audit_log
          WHERE actor_sub = $1 AND object_id = $2 AND outcome = 'denied'`,
          [user, id],
        )) as Array<{ n: number }>;
        expect(row!.n).toBeGreaterThan(0);
      },
    );

    it(`${name}: without a token, 401`, async () => {
      const res = await send(null, method, path(id), body);
      expect(res.statusCode).toBe(401);
    });
  }

  it('the unit organisation’s org admin may do each of them', async () => {
    const admin = 'norrkoping.admin';
    expect((await send(admin, 'GET', `/v1/webhooks/${id}`)).statusCode).toBe(200);
    const patched = await send(admin, 'PATCH', `/v1/webhooks/${id}`, {
      description: 'changed',
      eventTypes: ['referral.accepted'],
    });
    expect(patched.statusCode).toBe(200);
    expect(patched.json()).toMatchObject({
      description: 'changed',
      eventTypes: ['referral.accepted'],
    });
    expect((await send(admin, 'POST', `/v1/webhooks/${id}/rotate-secret`, {})).statusCode).toBe(
      200,
    );
    expect((await send(admin, 'POST', `/v1/webhooks/${id}/enable`, {})).statusCode).toBe(200);
    expect((await send(admin, 'GET', `/v1/webhooks/${id}/deliveries`)).json()).toEqual({
      items: [],
      nextCursor: null,
    });
    const other = await create();
    expect((await send(admin, 'DELETE', `/v1/webhooks/${other}`)).statusCode).toBe(204);
    expect((await send(admin, 'GET', `/v1/webhooks/${other}`)).statusCode).toBe(404);
    await hub.notifications.context.audit.chainPending();
    const audited = (await hub.notifications.context.dataSource.query(
      `SELECT action FROM notifications.audit_log WHERE actor_sub = $1 AND outcome = 'allowed'
          AND object_id IN ($2, $3) ORDER BY seq`,
      [admin, id, other],
    )) as Array<{ action: string }>;
    expect(audited.map((a) => a.action)).toEqual(
      expect.arrayContaining([
        'webhook.create',
        'webhook.update',
        'webhook.rotate_secret',
        'webhook.delete',
      ]),
    );
  });

  it.each<[DemoUserName, number]>([
    ['police.admin', 403],
    ['frideborg.caseworker', 403],
    ['norrkoping.auditor', 403],
    ['hub.admin', 403],
  ])('registering for a unit: %s is refused (%i)', async (user, status) => {
    const res = await send(user, 'POST', '/v1/webhooks', {
      unitId: DEMO_UNITS.frideborg,
      url: PUBLIC_URL,
      eventTypes: ['referral.sent'],
    });
    expect(res.statusCode).toBe(status);
    expect(res.json().type).toBe(problem('webhook-not-org-admin'));
  });

  it('lists only the caller organisation’s endpoints, and only for its admins', async () => {
    const mine = await send('norrkoping.admin', 'GET', '/v1/webhooks');
    expect(mine.statusCode).toBe(200);
    const items = mine.json<{ items: Array<{ id: string; organisationId: string }> }>().items;
    expect(items.map((e) => e.id)).toContain(id);
    expect(items.every((e) => e.organisationId === DEMO_ORGANISATIONS.norrkoping)).toBe(true);
    const theirs = await send('police.admin', 'GET', '/v1/webhooks');
    expect(theirs.json()).toEqual({ items: [], nextCursor: null });
    const member = await send('frideborg.caseworker', 'GET', '/v1/webhooks');
    expect(member.statusCode).toBe(403);
  });
});

describe('destinations (no SSRF)', () => {
  it.each([
    ['http://93.184.215.14/hook', 'scheme_not_allowed'],
    ['ftp://93.184.215.14/hook', 'scheme_not_allowed'],
    ['https://127.0.0.1/hook', 'address_not_allowed'],
    ['https://localhost:8443/hook', 'address_not_allowed'],
    ['https://[::1]/hook', 'address_not_allowed'],
    ['https://10.1.2.3/hook', 'address_not_allowed'],
    ['https://172.16.5.4/hook', 'address_not_allowed'],
    ['https://192.168.0.10/hook', 'address_not_allowed'],
    ['https://169.254.169.254/latest/meta-data', 'address_not_allowed'],
    ['https://100.64.0.1/hook', 'address_not_allowed'],
    ['https://0.0.0.0/hook', 'address_not_allowed'],
    ['https://[fd00::1]/hook', 'address_not_allowed'],
    ['https://[fe80::1]/hook', 'address_not_allowed'],
    ['https://[::ffff:127.0.0.1]/hook', 'address_not_allowed'],
    ['https://224.0.0.1/hook', 'address_not_allowed'],
    ['https://user:secret@93.184.215.14/hook', 'credentials_in_url'],
  ])('refuses %s (%s)', async (url, reason) => {
    const res = await send('norrkoping.admin', 'POST', '/v1/webhooks', {
      unitId: DEMO_UNITS.frideborg,
      url,
      eventTypes: ['referral.sent'],
    });
    expect(res.statusCode).toBe(422);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json()).toMatchObject({
      type: problem('webhook-destination-not-allowed'),
      code: 'NOTIFICATIONS_WEBHOOK_DESTINATION_NOT_ALLOWED',
      errors: [{ field: 'url', message: reason }],
    });
  });

  it('refuses a private URL on update too, and audits the refusal', async () => {
    const id = await create();
    const res = await send('norrkoping.admin', 'PATCH', `/v1/webhooks/${id}`, {
      url: 'https://10.0.0.1/hook',
    });
    expect(res.statusCode).toBe(422);
    expect(res.json().type).toBe(problem('webhook-destination-not-allowed'));
    await hub.notifications.context.audit.chainPending();
    const [row] = (await hub.notifications.context.dataSource.query(
      `SELECT detail FROM notifications.audit_log
        WHERE object_id = $1 AND action = 'webhook.update' AND outcome = 'denied'`,
      [id],
    )) as Array<{ detail: { refused: string } }>;
    expect(row!.detail.refused).toBe('NOTIFICATIONS_WEBHOOK_DESTINATION_NOT_ALLOWED');
    expect((await send('norrkoping.admin', 'GET', `/v1/webhooks/${id}`)).json().url).toBe(
      PUBLIC_URL,
    );
  });
});

describe('validation', () => {
  const valid = { unitId: DEMO_UNITS.frideborg, url: PUBLIC_URL, eventTypes: ['referral.sent'] };

  it.each<[string, Record<string, unknown>, number, string]>([
    ['no url', { ...valid, url: undefined }, 400, 'validation-error'],
    ['a url that is not one', { ...valid, url: 'not a url' }, 400, 'validation-error'],
    ['no event types', { ...valid, eventTypes: [] }, 400, 'validation-error'],
    [
      'a malformed event type',
      { ...valid, eventTypes: ['Referral Sent'] },
      400,
      'validation-error',
    ],
    [
      'an unknown event type',
      { ...valid, eventTypes: ['referral.exploded'] },
      422,
      'webhook-event-type-unknown',
    ],
    ['a unit id that is not a uuid', { ...valid, unitId: 'frideborg' }, 400, 'validation-error'],
    ['an unknown unit', { ...valid, unitId: randomUUID() }, 422, 'webhook-unit-unknown'],
    ['an unknown field', { ...valid, secret: 'whsec_mine' }, 400, 'validation-error'],
  ])('refuses %s', async (_name, body, status, slug) => {
    const res = await send('norrkoping.admin', 'POST', '/v1/webhooks', body);
    expect(res.statusCode).toBe(status);
    expect(res.json().type).toBe(problem(slug));
  });

  it('wants an Idempotency-Key, and a retry with it creates nothing twice', async () => {
    const missing = await hub.app.inject({
      method: 'POST',
      url: '/v1/webhooks',
      headers: { authorization: `Bearer ${await hub.token('norrkoping.admin')}` },
      payload: valid,
    });
    expect(missing.statusCode).toBe(400);
    const key = { 'idempotency-key': randomUUID() };
    const body = { ...valid, unitId: DEMO_UNITS.buyersClinic };
    const first = await send('norrkoping.admin', 'POST', '/v1/webhooks', body, key);
    const retry = await send('norrkoping.admin', 'POST', '/v1/webhooks', body, key);
    expect(first.statusCode).toBe(201);
    expect(retry.statusCode).toBe(201);
    expect(retry.json()).toEqual(first.json());
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(first.json().secret).toMatch(/^whsec_/);
    // The response kept for replays holds the secret sealed, not in clear.
    const stored = (await hub.notifications.context.dataSource.query(
      `SELECT response_body FROM notifications.idempotency_keys WHERE key = $1`,
      [key['idempotency-key']],
    )) as Array<{ response_body: string }>;
    expect(stored).toHaveLength(1);
    expect(stored[0]!.response_body).toContain(first.json().endpoint.id);
    expect(stored[0]!.response_body).not.toContain(first.json().secret);
    expect(stored[0]!.response_body).not.toContain('whsec_');
    const list = await send(
      'norrkoping.admin',
      'GET',
      `/v1/webhooks?unit=${DEMO_UNITS.buyersClinic}`,
    );
    expect(list.json<{ items: unknown[] }>().items).toHaveLength(1);
  });

  it('refuses an empty update, a negative overlap and a cursor it did not give', async () => {
    const id = await create();
    const empty = await send('norrkoping.admin', 'PATCH', `/v1/webhooks/${id}`, {});
    expect(empty.statusCode).toBe(400);
    const negative = await send('norrkoping.admin', 'POST', `/v1/webhooks/${id}/rotate-secret`, {
      overlapSeconds: -1,
    });
    expect(negative.statusCode).toBe(400);
    const cursor = await send('norrkoping.admin', 'GET', '/v1/webhooks?cursor=garbage');
    expect(cursor.statusCode).toBe(400);
    expect(cursor.json().type).toBe(problem('webhook-invalid-cursor'));
    const bad = await send('norrkoping.admin', 'GET', '/v1/webhooks/not-a-uuid');
    expect(bad.statusCode).toBe(400);
  });

  it('pages through the endpoints with a cursor', async () => {
    const ids = [
      await create(DEMO_UNITS.socialjour),
      await create(DEMO_UNITS.socialjour),
      await create(DEMO_UNITS.socialjour),
    ];
    const page1 = await send(
      'norrkoping.admin',
      'GET',
      `/v1/webhooks?unit=${DEMO_UNITS.socialjour}&limit=2`,
    );
    const p1 = page1.json<{ items: Array<{ id: string }>; nextCursor: string | null }>();
    expect(p1.items).toHaveLength(2);
    expect(p1.nextCursor).not.toBeNull();
    const page2 = await send(
      'norrkoping.admin',
      'GET',
      `/v1/webhooks?unit=${DEMO_UNITS.socialjour}&limit=2&cursor=${p1.nextCursor}`,
    );
    const p2 = page2.json<{ items: Array<{ id: string }>; nextCursor: string | null }>();
    expect(p2.nextCursor).toBeNull();
    expect([...p1.items, ...p2.items].map((e) => e.id).sort()).toEqual([...ids].sort());
  });
});

describe('destinations checked again at delivery time', () => {
  it.each(['https://127.0.0.1:9/hook', 'https://localhost:9/hook', 'http://93.184.215.14/hook'])(
    'an endpoint whose destination is now %s is not sent to',
    async (url) => {
      const id = await create(DEMO_UNITS.elsa);
      // As if the name now resolved elsewhere (DNS rebinding) or the rules had been tightened.
      await hub.notifications.context.dataSource.query(
        `UPDATE notifications.webhook_endpoints SET url = $2 WHERE id = $1`,
        [id, url],
      );
      const ping = await send('norrkoping.admin', 'POST', `/v1/webhooks/${id}/test`, {});
      expect(ping.statusCode).toBe(202);
      const dead = await eventually(async () => {
        const res = await send('norrkoping.admin', 'GET', `/v1/webhooks/${id}/deliveries`);
        const [d] = res.json<{
          items: Array<{
            status: string;
            lastOutcome: string;
            attemptLog: Array<{ statusCode: number | null }>;
          }>;
        }>().items;
        return d?.status === 'dead' ? d : undefined;
      });
      expect(dead.lastOutcome).toBe('destination_refused');
      expect(dead.attemptLog).toEqual([expect.objectContaining({ statusCode: null })]);
    },
  );
});
