import { randomUUID } from 'node:crypto';
import { DEMO_UNITS, type DemoUserName } from '@samverkan/shared';
import type { LightMyRequestResponse } from 'fastify';
import { buildHub, type TestHub } from './helpers/build';
import { emitAndCollect, referralData } from './helpers/events';

const U = DEMO_UNITS;
let hub: TestHub;

interface Item {
  id: string;
  kind: string;
  severity: string;
  objectId: string;
  unitId: string | null;
  seenAt: string | null;
  readAt: string | null;
  acknowledgedAt: string | null;
  archivedAt: string | null;
}

function slug(res: LightMyRequestResponse): string | undefined {
  const type = (res.json() as { type?: string }).type;
  return type?.replace('urn:samverkan:problem:', '');
}

function expectProblem(res: LightMyRequestResponse, status: number, problem?: string): void {
  expect({ status: res.statusCode, slug: problem ? slug(res) : undefined }).toEqual({
    status,
    slug: problem,
  });
  expect(res.headers['content-type']).toContain('application/problem+json');
}

async function list(user: DemoUserName, query = ''): Promise<Item[]> {
  const res = await hub.as(user).get(`/v1/notifications${query}`);
  expect(res.statusCode).toBe(200);
  return res.json().items as Item[];
}

const sent = (overrides: Record<string, unknown> = {}) =>
  emitAndCollect(hub, 'samverkan.referrals.referral.sent', referralData(overrides));

let acute: Item;
let routine: Item;
let copy: Item;

beforeAll(async () => {
  // The in-process transport of the embedded hub.
  hub = await buildHub();
  await sent({ copyUnitIds: [] });
  await sent({ copyUnitIds: [], urgency: 'routine', recipientUnitId: U.frideborg });
  await sent({ recipientUnitId: U.elsa, copyUnitIds: [U.frideborg], urgency: 'urgent' });
  const items = await list('frideborg.caseworker');
  acute = items.find((n) => n.severity === 'critical')!;
  routine = items.find((n) => n.kind === 'referral_received' && n.severity === 'normal')!;
  copy = items.find((n) => n.kind === 'referral_copy_received')!;
}, 60_000);
afterAll(async () => hub?.close());

describe('access', () => {
  const owner = 'frideborg.caseworker';
  const strangers: DemoUserName[] = [
    'police.officer',
    'hub.admin',
    'norrkoping.auditor',
    'norrkoping.admin',
  ];

  it('a user sees only their own notifications', async () => {
    const own = await list(owner);
    expect(own.map((n) => n.id).sort()).toEqual([acute.id, routine.id, copy.id].sort());
    for (const user of strangers) {
      const theirs = await list(user);
      expect(theirs.map((n) => n.id)).not.toEqual(expect.arrayContaining([acute.id]));
      expect(theirs.map((n) => n.id)).not.toEqual(expect.arrayContaining([copy.id]));
    }
  });

  it.each(strangers)('%s gets 404 for every route on someone else’s notification', async (user) => {
    const caller = hub.as(user);
    expectProblem(await caller.get(`/v1/notifications/${acute.id}`), 404, 'notification-not-found');
    for (const action of ['read', 'acknowledge', 'archive']) {
      expectProblem(
        await caller.post(`/v1/notifications/${acute.id}/${action}`),
        404,
        'notification-not-found',
      );
    }
    const after = await hub.as(owner).get(`/v1/notifications/${acute.id}`);
    expect(after.json()).toMatchObject({ readAt: null, acknowledgedAt: null, archivedAt: null });
  });

  it('the refusals are in the audit trail', async () => {
    const res = await hub.as('hub.admin').get('/v1/audit/notifications?outcome=denied&limit=500');
    expect(res.statusCode).toBe(200);
    const denied = (res.json().items as Array<{ actorSub: string; objectId: string }>).filter(
      (e) => e.objectId === acute.id,
    );
    expect(new Set(denied.map((e) => e.actorSub))).toEqual(new Set(strangers));
  });

  it('nothing without a token', async () => {
    const anonymous = hub.as(null);
    for (const url of [
      '/v1/notifications',
      '/v1/notifications/counts',
      `/v1/notifications/${acute.id}`,
      '/v1/notification-preferences',
      '/v1/dead-letters',
    ]) {
      expectProblem(await anonymous.get(url), 401);
    }
    expectProblem(await anonymous.post(`/v1/notifications/${acute.id}/read`), 401);
    expectProblem(await anonymous.post('/v1/notifications/read', { all: true }), 401);
  });

  it.each<DemoUserName>(['frideborg.caseworker', 'norrkoping.admin', 'norrkoping.auditor'])(
    'dead letters are for hub administrators only (%s is refused)',
    async (user) => {
      expectProblem(await hub.as(user).get('/v1/dead-letters'), 403, 'forbidden');
      expectProblem(
        await hub.as(user).post(`/v1/dead-letters/${randomUUID()}/replay`),
        403,
        'forbidden',
      );
    },
  );

  it('a hub administrator lists dead letters; an unknown one is 404', async () => {
    const res = await hub.as('hub.admin').get('/v1/dead-letters');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ items: expect.any(Array), nextCursor: null });
    expectProblem(
      await hub.as('hub.admin').post(`/v1/dead-letters/${randomUUID()}/replay`),
      404,
      'dead-letter-not-found',
    );
  });
});

describe('states and counts', () => {
  it('counts unread and unacknowledged, per severity', async () => {
    const res = await hub.as('elsa.caseworker').get('/v1/notifications/counts');
    expect(res.json()).toEqual({
      unread: 1,
      unacknowledged: 0,
      unreadBySeverity: { critical: 0, high: 1, normal: 0 },
    });
  });

  it('a critical notification cannot be archived before it is acknowledged', async () => {
    const caller = hub.as('frideborg.caseworker');
    expectProblem(
      await caller.post(`/v1/notifications/${acute.id}/archive`),
      409,
      'notification-needs-acknowledgement',
    );
    const before = (await caller.get('/v1/notifications/counts')).json();
    expect(before.unacknowledged).toBe(1);
    const ack = await caller.post(`/v1/notifications/${acute.id}/acknowledge`);
    expect(ack.statusCode).toBe(200);
    expect(ack.json().readAt).not.toBeNull();
    const after = (await caller.get('/v1/notifications/counts')).json();
    expect(after.unacknowledged).toBe(0);
    expect(after.unread).toBe(before.unread - 1);
    const archived = await caller.post(`/v1/notifications/${acute.id}/archive`);
    expect(archived.statusCode).toBe(200);
    expect((await list('frideborg.caseworker')).map((n) => n.id)).not.toContain(acute.id);
    expect((await list('frideborg.caseworker', '?state=archived')).map((n) => n.id)).toEqual([
      acute.id,
    ]);
  });

  it('filters by state, kind, severity, unit and time, and pages with a cursor', async () => {
    for (let i = 0; i < 4; i += 1) {
      await sent({ recipientUnitId: U.umeaSocial, copyUnitIds: [], urgency: 'routine' });
    }
    const user = 'umea.caseworker';
    const all = await list(user);
    expect(all).toHaveLength(4);
    const first = await hub.as(user).get('/v1/notifications?limit=3');
    expect(first.json().items).toHaveLength(3);
    const second = await hub
      .as(user)
      .get(`/v1/notifications?limit=3&cursor=${first.json().nextCursor as string}`);
    expect(second.json().nextCursor).toBeNull();
    expect([...first.json().items, ...second.json().items].map((n: Item) => n.id)).toEqual(
      all.map((n) => n.id),
    );
    expect(await list(user, '?severity=critical')).toEqual([]);
    expect(await list(user, '?kind=referral_received')).toHaveLength(4);
    expect(await list(user, `?unit=${U.umeaSocial}`)).toHaveLength(4);
    expect(await list(user, `?unit=${U.frideborg}`)).toHaveLength(0);
    expect(
      await list(user, `?since=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`),
    ).toHaveLength(0);

    await hub.as(user).post(`/v1/notifications/${all[0]!.id}/read`);
    expect((await list(user, '?state=read')).map((n) => n.id)).toEqual([all[0]!.id]);
    expect(await list(user, '?state=unread')).toHaveLength(3);
  });

  it('marks several read at once: by ids (others’ ignored) or all matching', async () => {
    const user = 'umea.caseworker';
    const unread = await list(user, '?state=unread');
    const byIds = await hub
      .as(user)
      .post('/v1/notifications/read', { ids: [unread[0]!.id, copy.id] });
    expect(byIds.json()).toEqual({ updated: 1 });
    expect(
      (await hub.as('frideborg.caseworker').get(`/v1/notifications/${copy.id}`)).json().readAt,
    ).toBeNull();
    const seen = await hub.as(user).post('/v1/notifications/seen', { all: true });
    // Two of the four were read (and so seen) already.
    expect(seen.json()).toEqual({ updated: 2 });
    const afterSeen = await list(user, '?state=unread');
    expect(afterSeen.every((n) => n.seenAt !== null && n.readAt === null)).toBe(true);
    const all = await hub
      .as(user)
      .post('/v1/notifications/read', { all: true, kind: 'referral_received' });
    expect(all.json()).toEqual({ updated: 2 });
    expect((await hub.as(user).get('/v1/notifications/counts')).json().unread).toBe(0);
  });
});

describe('validation', () => {
  it('answers bad input with a problem, never a 500', async () => {
    const caller = hub.as('frideborg.caseworker');
    expectProblem(await caller.get('/v1/notifications?state=everything'), 400, 'validation-error');
    expectProblem(await caller.get('/v1/notifications?limit=0'), 400, 'validation-error');
    const badCursor = await caller.get('/v1/notifications?cursor=bm90LWEtc2Vx');
    expectProblem(badCursor, 400, 'invalid-cursor');
    expect(badCursor.json().errors).toEqual([
      { field: 'querystring.cursor', message: 'is not valid' },
    ]);
    // a cursor of the old format (base64url of a bare seq) is not one this list gives out now
    expectProblem(
      await caller.get(`/v1/notifications?cursor=${Buffer.from('12').toString('base64url')}`),
      400,
      'invalid-cursor',
    );
    expectProblem(await caller.get('/v1/notifications/not-a-uuid'), 400, 'validation-error');
    expectProblem(await caller.post('/v1/notifications/read', {}), 422, 'bulk-target-required');
    expectProblem(
      await caller.post('/v1/notifications/read', { ids: ['x'] }),
      400,
      'validation-error',
    );
    expectProblem(
      await caller.post('/v1/notifications/read', { all: true, colour: 'red' }),
      400,
      'validation-error',
    );
    expectProblem(
      await caller.put('/v1/notification-preferences', {
        preferences: [{ kind: 'gossip', channels: [] }],
      }),
      400,
      'validation-error',
    );
    expectProblem(
      await hub.as('hub.admin').get('/v1/dead-letters?cursor=bm9wZQ'),
      400,
      'invalid-cursor',
    );
  });

  it('every write needs an Idempotency-Key, and a retry answers the first response', async () => {
    const token = await hub.token('frideborg.caseworker');
    const res = await hub.app.inject({
      method: 'POST',
      url: `/v1/notifications/${routine.id}/read`,
      headers: { authorization: `Bearer ${token}` },
      payload: {},
    });
    expect(res.statusCode).toBe(400);
    const key = randomUUID();
    const once = await hub
      .as('frideborg.caseworker')
      .post(`/v1/notifications/${routine.id}/read`, {}, { 'idempotency-key': key });
    const twice = await hub
      .as('frideborg.caseworker')
      .post(`/v1/notifications/${routine.id}/read`, {}, { 'idempotency-key': key });
    expect(twice.statusCode).toBe(once.statusCode);
    expect(twice.json()).toEqual(once.json());
  });
});

describe('preferences', () => {
  it('lists every kind with its channels; critical kinds are marked', async () => {
    const res = await hub.as('elsa.caseworker').get('/v1/notification-preferences');
    expect(res.statusCode).toBe(200);
    const prefs = res.json().preferences as Array<{
      kind: string;
      channels: string[];
      critical: boolean;
    }>;
    expect(prefs).toHaveLength(14);
    expect(prefs.find((p) => p.kind === 'field_request_created')).toEqual({
      kind: 'field_request_created',
      channels: ['in_app', 'webhook'],
      critical: true,
    });
  });

  it('a critical kind cannot lose its in-app channel', async () => {
    expectProblem(
      await hub.as('elsa.caseworker').put('/v1/notification-preferences', {
        preferences: [{ kind: 'referral_received', channels: ['webhook'] }],
      }),
      422,
      'critical-kind-required',
    );
    const res = await hub.as('elsa.caseworker').get('/v1/notification-preferences');
    expect(
      (res.json().preferences as Array<{ kind: string; channels: string[] }>).find(
        (p) => p.kind === 'referral_received',
      )!.channels,
    ).toEqual(['in_app', 'webhook']);
  });

  it('a kind turned off in the app stays out of the inbox; turned off entirely, it is not created', async () => {
    const put = await hub.as('elsa.caseworker').put('/v1/notification-preferences', {
      preferences: [
        { kind: 'referral_copy_received', channels: ['webhook'] },
        { kind: 'referral_status_changed', channels: [] },
      ],
    });
    expect(put.statusCode).toBe(200);
    const data = referralData({
      senderUnitId: U.elsa,
      recipientUnitId: U.frideborg,
      copyUnitIds: [U.elsa],
    });
    expect(await emitAndCollect(hub, 'samverkan.referrals.referral.sent', data)).toEqual([
      'elsa.caseworker referral_copy_received',
      'frideborg.caseworker referral_received',
    ]);
    const [row] = await hub.rows("object_id = $1 AND user_id = 'elsa.caseworker'", [
      data.referralId,
    ]);
    expect(row).toMatchObject({ channels: ['webhook'] });
    expect(row!.archived_at).not.toBeNull();
    expect((await list('elsa.caseworker')).map((n) => n.objectId)).not.toContain(data.referralId);
    expect(
      await emitAndCollect(hub, 'samverkan.referrals.referral.accepted', {
        ...data,
        status: 'accepted',
      }),
    ).toEqual([]);
  });
});
