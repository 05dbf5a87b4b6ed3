/**
 * Identity is (organisation, subject), checked against the directory (issue 12): what a second
 * identity provider, a removed member and forged token times got through before, refused now.
 *
 * - A PEM issuer registered for Novahuset only mints `sub: police.officer`: it must not reach the
 *   police officer's inbox, counts, stream, preferences or acknowledgements.
 *   (Before: all of them, and acknowledging Socialjour's critical notification stopped its
 *   escalation.)
 * - Removing a member revokes access within seconds: the envelopes of the unit's referrals, the
 *   unit's notifications, and what an open live stream counts. (Before: the token's `units`
 *   claim alone decided, for as long as the token lived.)
 * - A PEM issuer's tokens must name its configured key (`kid`); a JWKS issuer must be https.
 * - A token's lifetime and `iat` are bounded (AUTH_MAX_TOKEN_LIFETIME_SECONDS,
 *   AUTH_CLOCK_SKEW_SECONDS).
 */
import fs from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import {
  DEMO_ORGANISATIONS,
  DEMO_UNITS,
  DEMO_USERS,
  DEV_ISSUER,
  type DemoUserName,
} from '@samverkan/shared';
import { eventually } from '@samverkan/shared/src/testing';
import { buildHub, type TestHub } from '@samverkan/notifications/test/helpers/build';
import { processed, referralData } from '@samverkan/notifications/test/helpers/events';
import { readDevKeyStore } from '@samverkan/directory/src/seed/dev-key-store';
import type { TestHub as ReferralsTestHub } from '@samverkan/referrals/test/helpers/build';
import { prepareReferral } from '@samverkan/referrals/test/helpers/lifecycle';
import { openStream, type SseStream } from '@samverkan/notifications/test/helpers/sse-client';
import {
  exportSPKI,
  generateKeyPair,
  importJWK,
  SignJWT,
  type CryptoKey,
  type JWK,
  type JWTPayload,
} from 'jose';
import { expectProblem } from './helpers/problems';

const NOVAHUSET_IDP = 'https://idp.novahuset.example';
const NOVAHUSET_KID = 'novahuset-2026';

let hub: TestHub;
let devKey: { kid: string; key: CryptoKey };
let novahusetKey: CryptoKey;

const now = () => Math.floor(Date.now() / 1000);

function claimsOf(user: DemoUserName, overrides: JWTPayload = {}): JWTPayload {
  const u = DEMO_USERS[user]!;
  return {
    iss: DEV_ISSUER,
    aud: hub.config.AUTH_AUDIENCE,
    sub: u.sub,
    org: u.org,
    units: u.units,
    roles: u.roles,
    iat: now(),
    exp: now() + 3600,
    ...overrides,
  };
}

const devToken = (claims: JWTPayload) =>
  new SignJWT(claims)
    .setProtectedHeader({ alg: 'EdDSA', kid: devKey.kid, typ: 'JWT' })
    .sign(devKey.key);

/** Novahuset's own identity provider asserting a subject of its choosing, for Novahuset. */
const novahusetToken = (sub: string, overrides: JWTPayload = {}) =>
  new SignJWT({
    iss: NOVAHUSET_IDP,
    aud: hub.config.AUTH_AUDIENCE,
    sub,
    org: DEMO_ORGANISATIONS.novahuset,
    units: [],
    roles: ['caseworker'],
    iat: now(),
    exp: now() + 3600,
    ...overrides,
  })
    .setProtectedHeader({ alg: 'ES256', kid: NOVAHUSET_KID, typ: 'JWT' })
    .sign(novahusetKey);

function get(url: string, token: string) {
  return hub.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}` } });
}

function send(method: 'POST' | 'PUT' | 'DELETE', url: string, token: string, body?: unknown) {
  return hub.app.inject({
    method,
    url,
    headers: { authorization: `Bearer ${token}`, 'idempotency-key': randomUUID() },
    ...(body !== undefined ? { payload: body as Record<string, unknown> } : {}),
  });
}

beforeAll(async () => {
  const pair = await generateKeyPair('ES256', { extractable: true });
  novahusetKey = pair.privateKey;
  hub = await buildHub({
    env: {
      AUTH_ISSUERS: JSON.stringify([
        {
          issuer: NOVAHUSET_IDP,
          organisationIds: [DEMO_ORGANISATIONS.novahuset],
          keySource: 'pem',
          publicKeyPem: await exportSPKI(pair.publicKey),
          kid: NOVAHUSET_KID,
          algorithms: ['ES256'],
        },
      ]),
    },
  });
  const file = JSON.parse(
    fs.readFileSync(path.join(hub.dataDir, 'dev-issuer', 'key.json'), 'utf8'),
  ) as { kid: string; privateJwk: JWK };
  devKey = { kid: file.kid, key: (await importJWK(file.privateJwk, 'EdDSA')) as CryptoKey };
}, 120_000);

afterAll(async () => {
  await hub?.close();
});

describe('token lifetime and clock skew', () => {
  it('a token of an hour, and one issued a little ahead of our clock (within the skew), are accepted', async () => {
    expect((await get('/v1/units', await devToken(claimsOf('police.officer')))).statusCode).toBe(
      200,
    );
    const ahead = claimsOf('police.officer', { iat: now() + 30, exp: now() + 3630 });
    expect((await get('/v1/units', await devToken(ahead))).statusCode).toBe(200);
  });

  it('exp 1e20 → 401 invalid-token (longer than AUTH_MAX_TOKEN_LIFETIME_SECONDS)', async () => {
    const res = await get('/v1/units', await devToken(claimsOf('police.officer', { exp: 1e20 })));
    expectProblem(res, 401, 'invalid-token');
    expect(res.json().detail).toMatch(/43200 seconds/);
  });

  it('a lifetime of 12 h and one minute → 401; exactly 12 h → 200', async () => {
    const iat = now();
    expectProblem(
      await get(
        '/v1/units',
        await devToken(claimsOf('police.officer', { iat, exp: iat + 43_260 })),
      ),
      401,
      'invalid-token',
    );
    expect(
      (
        await get(
          '/v1/units',
          await devToken(claimsOf('police.officer', { iat, exp: iat + 43_200 })),
        )
      ).statusCode,
    ).toBe(200);
  });

  it('iat ten hours in the future → 401 invalid-token', async () => {
    const iat = now() + 10 * 3600;
    const res = await get(
      '/v1/units',
      await devToken(claimsOf('police.officer', { iat, exp: iat + 3600 })),
    );
    expectProblem(res, 401, 'invalid-token');
    expect(res.json().detail).toMatch(/future/);
  });

  it('a token without iat → 401 invalid-token (its lifetime could not be bounded)', async () => {
    const claims: Record<string, unknown> = claimsOf('police.officer');
    delete claims.iat;
    const res = await get('/v1/units', await devToken(claims));
    expectProblem(res, 401, 'invalid-token');
    expect(res.json().detail).toMatch(/iat/);
  });

  it('expired beyond the skew → 401 expired-token', async () => {
    expectProblem(
      await get(
        '/v1/units',
        await devToken(claimsOf('police.officer', { iat: now() - 3600, exp: now() - 120 })),
      ),
      401,
      'expired-token',
    );
  });
});

describe('issuer keys: a PEM issuer’s kid, JWKS over https only', () => {
  it('a token of the PEM issuer naming its configured kid → 200; another kid or none → 401', async () => {
    expect((await get('/v1/units', await novahusetToken('someone@novahuset'))).statusCode).toBe(
      200,
    );
    const claims = {
      iss: NOVAHUSET_IDP,
      aud: hub.config.AUTH_AUDIENCE,
      sub: 'someone@novahuset',
      org: DEMO_ORGANISATIONS.novahuset,
      iat: now(),
      exp: now() + 600,
    };
    for (const header of [{ alg: 'ES256', kid: 'another-key' }, { alg: 'ES256' }]) {
      const token = await new SignJWT(claims).setProtectedHeader(header).sign(novahusetKey);
      const res = await get('/v1/units', token);
      expectProblem(res, 401, 'invalid-token');
      expect(res.json().detail).toMatch(/kid/);
    }
  });

  it('registering a JWKS issuer over plain http on loopback → 422 issuer-invalid', async () => {
    const res = await send('POST', '/v1/issuers', await hub.token('hub.admin'), {
      issuer: 'http://127.0.0.1:8443',
      organisationIds: [DEMO_ORGANISATIONS.novahuset],
      keySource: 'jwks',
    });
    expectProblem(res, 422, 'issuer-invalid');
  });
});

describe('a second identity provider asserting the same subject is another person', () => {
  let base: string;
  const streams: SseStream[] = [];
  /** Socialjour's critical "acute referral received", and the officer's routine one */
  let acute: { id: string; referralId: string };
  let officers: { id: string };

  async function notificationOf(user: DemoUserName, referralId: string) {
    const res = await get('/v1/notifications?limit=100', await hub.token(user));
    expect(res.statusCode).toBe(200);
    const found = (res.json().items as Array<{ id: string; objectId: string }>).find(
      (n) => n.objectId === referralId,
    );
    expect(found).toBeDefined();
    return found!;
  }

  beforeAll(async () => {
    base = await hub.app.listen({ port: 0, host: '127.0.0.1' });
    const toSocialjour = referralData({
      senderUnitId: DEMO_UNITS.frideborg,
      recipientUnitId: DEMO_UNITS.socialjour,
      copyUnitIds: [],
      urgency: 'acute',
    });
    const toPolice = referralData({
      senderUnitId: DEMO_UNITS.frideborg,
      recipientUnitId: DEMO_UNITS.policeTraffickingOst,
      copyUnitIds: [],
      urgency: 'routine',
    });
    for (const data of [toSocialjour, toPolice]) {
      await processed(hub, (await hub.emit('samverkan.referrals.referral.sent', data)).id);
    }
    const a = await notificationOf('socialjour.caseworker', toSocialjour.referralId as string);
    acute = { id: a.id, referralId: toSocialjour.referralId as string };
    officers = await notificationOf('police.officer', toPolice.referralId as string);
  });

  afterAll(() => {
    for (const s of streams) {
      s.close();
    }
  });

  it('the impostor sees an empty inbox and zero counts, and the real people theirs', async () => {
    const impostor = await novahusetToken('police.officer');
    const list = await get('/v1/notifications', impostor);
    expect(list.statusCode).toBe(200);
    expect(list.json().items).toEqual([]);
    const counts = await get('/v1/notifications/counts', impostor);
    expect(counts.statusCode).toBe(200);
    expect(counts.json()).toMatchObject({ unread: 0, unacknowledged: 0 });
    expectProblem(await get(`/v1/notifications/${officers.id}`, impostor), 404);
    const own = await get('/v1/notifications/counts', await hub.token('police.officer'));
    expect(own.json().unread).toBeGreaterThan(0);
  });

  it('cannot acknowledge Socialjour’s critical notification: 404, and its escalation still runs', async () => {
    const impostor = await novahusetToken('socialjour.caseworker');
    expectProblem(
      await send('POST', `/v1/notifications/${acute.id}/acknowledge`, impostor),
      404,
      'notification-not-found',
    );
    const [row] = await hub.rows('id = $1', [acute.id]);
    expect(row!.acknowledged_at).toBeNull();
    const timers = (await hub.notifications.context.dataSource.query(
      `SELECT status FROM notifications.escalation_timers WHERE object_id = $1`,
      [acute.referralId],
    )) as Array<{ status: string }>;
    expect(timers.map((t) => t.status)).toEqual(['pending']);
  });

  it('a webhook names its creator by issuer and subject: the impostor is not Norrköping’s admin', async () => {
    const body = (unitId: string) => ({
      unitId,
      url: 'https://93.184.215.14/hooks/samverkan',
      eventTypes: ['referral.sent'],
      description: 'case system',
    });
    const impostor = await novahusetToken('norrkoping.admin', { roles: ['org_admin'] });
    const theirs = await send('POST', '/v1/webhooks', impostor, body(DEMO_UNITS.novahuset));
    expect(theirs.statusCode).toBe(201);
    expect(theirs.json().endpoint.createdBy).toEqual({
      issuer: NOVAHUSET_IDP,
      subject: 'norrkoping.admin',
    });
    const real = await send(
      'POST',
      '/v1/webhooks',
      await hub.token('norrkoping.admin'),
      body(DEMO_UNITS.frideborg),
    );
    expect(real.statusCode).toBe(201);
    expect(real.json().endpoint.createdBy).toEqual({
      issuer: DEV_ISSUER,
      subject: 'norrkoping.admin',
    });
    // Before: both read `norrkoping.admin`, and a reader could not tell them apart.
    const listed = await get(
      `/v1/webhooks?unit=${DEMO_UNITS.novahuset}`,
      await novahusetToken('novahuset.admin', { roles: ['org_admin'] }),
    );
    expect(listed.statusCode).toBe(200);
    expect(listed.json().items.map((e: { createdBy: unknown }) => e.createdBy)).toEqual([
      { issuer: NOVAHUSET_IDP, subject: 'norrkoping.admin' },
    ]);
  });

  it('cannot archive, read or bulk-read the officer’s notifications', async () => {
    const impostor = await novahusetToken('police.officer');
    expectProblem(await send('POST', `/v1/notifications/${officers.id}/archive`, impostor), 404);
    expectProblem(await send('POST', `/v1/notifications/${officers.id}/read`, impostor), 404);
    const bulk = await send('POST', '/v1/notifications/read', impostor, { all: true });
    expect(bulk.statusCode).toBe(200);
    expect(bulk.json()).toEqual({ updated: 0 });
    const [row] = await hub.rows('id = $1', [officers.id]);
    expect(row).toMatchObject({ archived_at: null, read_at: null });
  });

  it('preferences are the impostor’s own: the officer’s stay as they were', async () => {
    const impostor = await novahusetToken('police.officer');
    const put = await send('PUT', '/v1/notification-preferences', impostor, {
      preferences: [{ kind: 'referral_status_changed', channels: [] }],
    });
    expect(put.statusCode).toBe(200);
    const officer = await get('/v1/notification-preferences', await hub.token('police.officer'));
    const kind = (officer.json().preferences as Array<{ kind: string; channels: string[] }>).find(
      (p) => p.kind === 'referral_status_changed',
    );
    expect(kind!.channels).toContain('in_app');
  });

  it('the impostor’s live stream carries none of the officer’s notifications', async () => {
    const impostor = await openStream(
      `${base}/v1/notifications/stream`,
      await novahusetToken('police.officer'),
    );
    streams.push(impostor);
    const officer = await openStream(
      `${base}/v1/notifications/stream`,
      await hub.token('police.officer'),
    );
    streams.push(officer);
    const first = await impostor.next((e) => e.event === 'counts');
    expect(JSON.parse(first.data)).toMatchObject({ unread: 0 });

    const data = referralData({
      senderUnitId: DEMO_UNITS.frideborg,
      recipientUnitId: DEMO_UNITS.policeTraffickingOst,
      copyUnitIds: [],
      urgency: 'routine',
    });
    await processed(hub, (await hub.emit('samverkan.referrals.referral.sent', data)).id);
    await officer.next(
      (e) => e.event === 'notification' && JSON.parse(e.data).objectId === data.referralId,
    );
    expect(impostor.events.filter((e) => e.event === 'notification')).toEqual([]);
  });
});

describe('removing a member revokes access at once', () => {
  let base: string;
  let stream: SseStream | undefined;

  afterAll(() => stream?.close());

  it('after DELETE …/members/frideborg.caseworker the envelope is 404, the unit’s notifications gone, the open stream’s counts 0', async () => {
    base = hub.app.server.listening
      ? `http://127.0.0.1:${(hub.app.server.address() as { port: number }).port}`
      : await hub.app.listen({ port: 0, host: '127.0.0.1' });
    const referrals = { ...hub, keys: readDevKeyStore(hub.dataDir) } as unknown as ReferralsTestHub;
    const referral = await prepareReferral(referrals, {
      sender: { user: 'police.officer', unitId: DEMO_UNITS.policeTraffickingOst },
      recipient: { user: 'frideborg.caseworker', unitId: DEMO_UNITS.frideborg },
    });
    const caseworker = await hub.token('frideborg.caseworker');
    expect((await get(`/v1/referrals/${referral.id}/envelope`, caseworker)).statusCode).toBe(200);
    const unitNotification = await eventually(async () => {
      const res = await get('/v1/notifications?limit=100', caseworker);
      return (res.json().items as Array<{ id: string; objectId: string }>).find(
        (n) => n.objectId === referral.id,
      );
    }, 20_000);
    stream = await openStream(`${base}/v1/notifications/stream`, caseworker);
    const before = await stream.next((e) => e.event === 'counts');
    expect(JSON.parse(before.data).unread).toBeGreaterThan(0);

    const removed = await send(
      'DELETE',
      `/v1/units/${DEMO_UNITS.frideborg}/members/frideborg.caseworker`,
      await hub.token('norrkoping.admin'),
    );
    expect(removed.statusCode).toBe(204);

    // The same, still unexpired token: refused as soon as the directory's event has arrived.
    await eventually(async () => {
      const res = await get(`/v1/referrals/${referral.id}/envelope`, caseworker);
      return res.statusCode === 404 ? res : undefined;
    }, 10_000);
    expectProblem(
      await get(`/v1/referrals/${referral.id}/envelope`, caseworker),
      404,
      'referral-not-found',
    );
    expectProblem(await get(`/v1/referrals/${referral.id}`, caseworker), 404, 'referral-not-found');
    const inbox = await get(`/v1/referrals?box=inbox&unit=${DEMO_UNITS.frideborg}`, caseworker);
    expect(inbox.statusCode).not.toBe(200);

    await eventually(async () => {
      const res = await get('/v1/notifications/counts', caseworker);
      return res.json().unread === 0 ? true : undefined;
    }, 10_000);
    expectProblem(await get(`/v1/notifications/${unitNotification!.id}`, caseworker), 404);
    expectProblem(
      await send('POST', `/v1/notifications/${unitNotification!.id}/read`, caseworker),
      404,
    );
    await stream.next((e) => e.event === 'counts' && JSON.parse(e.data).unread === 0, 10_000);
  });
});

describe('an open live stream lives no longer than its token', () => {
  it('the server ends the stream when the token expires', async () => {
    const base = hub.app.server.listening
      ? `http://127.0.0.1:${(hub.app.server.address() as { port: number }).port}`
      : await hub.app.listen({ port: 0, host: '127.0.0.1' });
    const token = await devToken(claimsOf('police.officer', { iat: now(), exp: now() + 2 }));
    const res = await fetch(`${base}/v1/notifications/stream`, {
      headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' },
    });
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    const ended = (async () => {
      for (;;) {
        if ((await reader.read()).done) {
          return 'ended by the server';
        }
      }
    })();
    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([
      ended,
      new Promise<string>((resolve) => {
        timer = setTimeout(() => resolve('still open'), 30_000);
      }),
    ]);
    clearTimeout(timer);
    await reader.cancel().catch(() => undefined);
    expect(outcome).toBe('ended by the server');
  });
});
