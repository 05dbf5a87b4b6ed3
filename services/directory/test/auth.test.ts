import fs from 'node:fs';
import path from 'node:path';
import {
  DEMO_ORGANISATIONS,
  DEMO_UNITS,
  DEMO_USERS,
  DEV_ISSUER,
  pemKeyThumbprint,
} from '@samverkan/shared';
import { startHttpsServer, TEST_CA_FILE } from '@samverkan/shared/src/testing';
import {
  base64url,
  exportJWK,
  exportSPKI,
  generateKeyPair,
  importJWK,
  SignJWT,
  type CryptoKey,
  type JWK,
  type JWTPayload,
  type KeyObject,
} from 'jose';
import { buildDirectory, type TestDirectory } from './helpers/build';
import { expectProblem } from './helpers/problems';

/**
 * Token verification (docs/architecture.md#identity-and-access) as a caller sees it: every refused token gets a 401
 * problem+json with a stable type, and the issuer allow-list decides which keys are ever used.
 */

const ROUTE = '/v1/units';

type SigningKey = CryptoKey | KeyObject | Uint8Array;

interface DevKeyFile {
  kid: string;
  privateJwk: JWK;
  publicKeyPem: string;
}

/** A local HTTP server that records every request it receives. */
interface RecordingServer {
  url: string;
  requests: string[];
  close(): Promise<void>;
}

async function startRecordingServer(
  respond?: (url: string) => { status: number; body: unknown } | undefined,
): Promise<RecordingServer> {
  const requests: string[] = [];
  // https: a JWKS is fetched over https only (the hub trusts the tests' CA, AUTH_JWKS_CA_FILE).
  const server = await startHttpsServer((req, res) => {
    requests.push(req.url ?? '');
    const answer = respond?.(req.url ?? '');
    res.writeHead(answer?.status ?? 404, { 'content-type': 'application/json' });
    res.end(JSON.stringify(answer?.body ?? { error: 'not found' }));
  });
  return { url: server.url, requests, close: () => server.close() };
}

const now = () => Math.floor(Date.now() / 1000);

function b64json(value: unknown): string {
  return base64url.encode(JSON.stringify(value));
}

function decodePart(token: string, index: 0 | 1): Record<string, unknown> {
  return JSON.parse(new TextDecoder().decode(base64url.decode(token.split('.')[index]!))) as Record<
    string,
    unknown
  >;
}

/** Signs exactly the given claims (nothing is added), with the given protected header. */
function sign(
  key: SigningKey,
  header: { alg: string; kid?: string; [k: string]: unknown },
  claims: JWTPayload,
): Promise<string> {
  return new SignJWT(claims).setProtectedHeader(header).sign(key);
}

let dir: TestDirectory;
let devKey: DevKeyFile;
let devPrivateKey: CryptoKey | Uint8Array;
let audience: string;
const servers: RecordingServer[] = [];

/** Claims of a seeded user as the dev issuer would put them, valid for an hour. */
function userClaims(
  user: keyof typeof DEMO_USERS = 'police.officer',
  overrides: JWTPayload = {},
): JWTPayload {
  const u = DEMO_USERS[user]!;
  return {
    iss: DEV_ISSUER,
    aud: audience,
    sub: u.sub,
    org: u.org,
    units: u.units,
    roles: u.roles,
    iat: now(),
    exp: now() + 3600,
    ...overrides,
  };
}

function withoutClaim(claims: JWTPayload, name: string): JWTPayload {
  const copy: Record<string, unknown> = { ...claims };
  delete copy[name];
  return copy as JWTPayload;
}

function devSign(claims: JWTPayload, header: Record<string, unknown> = {}): Promise<string> {
  return sign(devPrivateKey, { alg: 'EdDSA', kid: devKey.kid, typ: 'JWT', ...header }, claims);
}

function getWith(
  token: string | undefined,
  url = ROUTE,
  authorization = token === undefined ? undefined : `Bearer ${token}`,
) {
  return dir.app.inject({
    method: 'GET',
    url,
    headers: authorization === undefined ? {} : { authorization },
  });
}

beforeAll(async () => {
  dir = await buildDirectory({ env: { AUTH_JWKS_CA_FILE: TEST_CA_FILE } });
  devKey = JSON.parse(
    fs.readFileSync(path.join(dir.dataDir, 'dev-issuer', 'key.json'), 'utf8'),
  ) as DevKeyFile;
  devPrivateKey = await importJWK(devKey.privateJwk, 'EdDSA');
  audience = dir.config.AUTH_AUDIENCE;
});

afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
  await dir?.close();
});

describe('a token the dev issuer signed correctly', () => {
  it('is accepted (the control for every refusal below)', async () => {
    const res = await getWith(await devSign(userClaims()));
    expect(res.statusCode).toBe(200);
  });
});

describe('refused requests and tokens', () => {
  it('no Authorization header → 401 unauthenticated', async () => {
    const res = await getWith(undefined);
    expectProblem(res, 401, 'unauthenticated', 'AUTH_REQUIRED');
  });

  it('an Authorization header that is not Bearer → 401 invalid-token', async () => {
    const token = await devSign(userClaims());
    expectProblem(
      await getWith(
        undefined,
        ROUTE,
        `Basic ${Buffer.from('police.officer:secret').toString('base64')}`,
      ),
      401,
      'invalid-token',
      'AUTH_INVALID_TOKEN',
    );
    expectProblem(await getWith(undefined, ROUTE, token), 401, 'invalid-token');
    expectProblem(await getWith(undefined, ROUTE, `bearer  ${token}`), 401, 'invalid-token');
  });

  it('a garbage token → 401 invalid-token', async () => {
    expectProblem(await getWith('garbage'), 401, 'invalid-token', 'AUTH_INVALID_TOKEN');
    expectProblem(await getWith('a.b.c'), 401, 'invalid-token');
    expectProblem(await getWith(`${b64json({ alg: 'EdDSA' })}.not-json.sig`), 401, 'invalid-token');
  });

  it('an expired token signed by the dev issuer → 401 expired-token', async () => {
    const token = await devSign(
      userClaims('police.officer', { iat: now() - 7200, exp: now() - 3600 }),
    );
    expectProblem(await getWith(token), 401, 'expired-token', 'AUTH_TOKEN_EXPIRED');
  });

  it('a token that is not valid yet (nbf in the future) → 401 invalid-token', async () => {
    const token = await devSign(userClaims('police.officer', { nbf: now() + 3600 }));
    const res = await getWith(token);
    expectProblem(res, 401, 'invalid-token');
    expect(res.json().detail).toMatch(/not valid yet/);
  });

  it('a tampered payload (org changed, signature kept) → 401 invalid-token', async () => {
    const token = await devSign(userClaims('novahuset.caseworker'));
    const [header, , signature] = token.split('.');
    const payload = {
      ...decodePart(token, 1),
      org: DEMO_ORGANISATIONS.policeOst,
      units: [DEMO_UNITS.policeTraffickingOst],
    };
    const tampered = `${header}.${b64json(payload)}.${signature}`;
    expectProblem(await getWith(tampered), 401, 'invalid-token');
  });

  it('an unsigned token (alg none) → 401 invalid-token', async () => {
    const claims = userClaims('hub.admin');
    for (const alg of ['none', 'None', 'NONE']) {
      const unsigned = `${b64json({ alg, typ: 'JWT' })}.${b64json(claims)}.`;
      const res = await getWith(unsigned);
      expectProblem(res, 401, 'invalid-token');
    }
    // …and with the dev key's signature left on (alg swapped in the header only)
    const signed = await devSign(claims);
    const [, payload, signature] = signed.split('.');
    expectProblem(
      await getWith(`${b64json({ alg: 'none', kid: devKey.kid })}.${payload}.${signature}`),
      401,
      'invalid-token',
    );
  });

  it('HS256 signed with the dev issuer public key PEM as HMAC secret (key confusion) → 401 invalid-token', async () => {
    const secret = new TextEncoder().encode(devKey.publicKeyPem);
    for (const alg of ['HS256', 'HS384', 'HS512'] as const) {
      const token = await sign(
        secret,
        { alg, kid: devKey.kid, typ: 'JWT' },
        userClaims('hub.admin'),
      );
      const res = await getWith(token);
      expectProblem(res, 401, 'invalid-token');
      expect(res.json().detail).toMatch(/Algorithm HS\d+ is never accepted/);
    }
    // the same with the PEM without its trailing newline, which some libraries strip
    const trimmed = await sign(
      new TextEncoder().encode(devKey.publicKeyPem.trim()),
      { alg: 'HS256' },
      userClaims('hub.admin'),
    );
    expectProblem(await getWith(trimmed), 401, 'invalid-token');
  });

  it('RS256 from a key the issuer does not have → 401 invalid-token', async () => {
    const { privateKey } = await generateKeyPair('RS256', { modulusLength: 2048 });
    const token = await sign(
      privateKey,
      { alg: 'RS256', kid: devKey.kid, typ: 'JWT' },
      userClaims(),
    );
    const res = await getWith(token);
    expectProblem(res, 401, 'invalid-token');
  });

  it('an Ed25519 token under an unknown kid (another key) → 401 invalid-token', async () => {
    const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
    const token = await sign(
      privateKey,
      { alg: 'EdDSA', kid: 'no-such-kid', typ: 'JWT' },
      userClaims(),
    );
    expectProblem(await getWith(token), 401, 'invalid-token');
  });

  it('a token whose embedded jwk header carries the signing key is still refused (header keys are never trusted)', async () => {
    const { privateKey, publicKey } = await generateKeyPair('EdDSA', {
      crv: 'Ed25519',
      extractable: true,
    });
    const jwk = await exportJWK(publicKey);
    const token = await sign(
      privateKey,
      { alg: 'EdDSA', kid: 'attacker', jwk, typ: 'JWT' },
      userClaims('hub.admin'),
    );
    expectProblem(await getWith(token), 401, 'invalid-token');
  });

  it('a wrong audience → 401 invalid-token', async () => {
    const res = await getWith(
      await devSign(userClaims('police.officer', { aud: 'some-other-service' })),
    );
    expectProblem(res, 401, 'invalid-token');
    expect(res.json().detail).toMatch(/audience/);
    expectProblem(
      await getWith(await devSign(withoutClaim(userClaims(), 'aud'))),
      401,
      'invalid-token',
    );
  });

  it('a missing sub → 401 invalid-token', async () => {
    const res = await getWith(await devSign(withoutClaim(userClaims(), 'sub')));
    expectProblem(res, 401, 'invalid-token');
    expect(res.json().detail).toMatch(/sub/);
  });

  it('a missing exp → 401 invalid-token', async () => {
    const res = await getWith(await devSign(withoutClaim(userClaims(), 'exp')));
    expectProblem(res, 401, 'invalid-token');
    expect(res.json().detail).toMatch(/exp/);
  });

  it('a missing iat → 401 invalid-token (the lifetime of the token could not be bounded)', async () => {
    const res = await getWith(await devSign(withoutClaim(userClaims(), 'iat')));
    expectProblem(res, 401, 'invalid-token');
    expect(res.json().detail).toMatch(/iat/);
  });

  it('a missing iss → 401 invalid-token', async () => {
    expectProblem(
      await getWith(await devSign(withoutClaim(userClaims(), 'iss'))),
      401,
      'invalid-token',
    );
  });

  it('an org claim that is not an organisation id → 401 invalid-token', async () => {
    expectProblem(
      await getWith(await devSign(userClaims('police.officer', { org: 'police' }))),
      401,
      'invalid-token',
    );
  });
});

describe('issuer allow-list', () => {
  it('an issuer not on the list → 401 untrusted-issuer, and its URL is never contacted', async () => {
    const idp = await startRecordingServer(() => ({ status: 200, body: { keys: [] } }));
    servers.push(idp);
    const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
    const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256' };
    for (const iss of [idp.url, `${idp.url}/`, 'https://idp.attacker.example']) {
      const token = await sign(
        privateKey,
        {
          alg: 'ES256',
          kid: 'k1',
          typ: 'JWT',
          jku: `${idp.url}/.well-known/jwks.json`,
          x5u: `${idp.url}/cert.pem`,
          jwk,
        },
        userClaims('hub.admin', { iss }),
      );
      const res = await getWith(token);
      expectProblem(res, 401, 'untrusted-issuer', 'AUTH_UNTRUSTED_ISSUER');
    }
    expect(idp.requests).toEqual([]);
  });

  describe('a pem issuer registered for Novahuset only', () => {
    const issuer = 'https://idp.novahuset.example';
    let key: CryptoKey;
    let issuerId: string;
    /** a pem issuer's tokens name its key by its RFC 7638 thumbprint */
    let kid: string;

    beforeAll(async () => {
      const pair = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
      key = pair.privateKey;
      const publicKeyPem = await exportSPKI(pair.publicKey);
      kid = pemKeyThumbprint(publicKeyPem);
      const res = await dir.as('hub.admin').post('/v1/issuers', {
        issuer,
        organisationIds: [DEMO_ORGANISATIONS.novahuset],
        keySource: 'pem',
        publicKeyPem,
      });
      expect(res.statusCode).toBe(201);
      issuerId = res.json().id;
    });

    it('shows the kid its tokens must carry, so the IdP operator can be told it', async () => {
      const listed = await dir.as('hub.admin').get('/v1/issuers');
      expect(listed.statusCode).toBe(200);
      const entry = (listed.json().items as Array<{ id: string; kid: unknown }>).find(
        (i) => i.id === issuerId,
      );
      expect(entry?.kid).toBe(kid);
      expect((await dir.as('hub.admin').get(`/v1/issuers/${issuerId}`)).json().kid).toBe(kid);
    });

    const claims = (org: string): JWTPayload => ({
      iss: issuer,
      aud: audience,
      sub: 'someone@novahuset',
      org,
      units: [],
      roles: ['caseworker'],
      iat: now(),
      exp: now() + 600,
    });

    it('may speak for Novahuset → 200', async () => {
      const res = await getWith(
        await sign(key, { alg: 'EdDSA', kid, typ: 'JWT' }, claims(DEMO_ORGANISATIONS.novahuset)),
      );
      expect(res.statusCode).toBe(200);
    });

    it('a kid that does not name the key, or none → 401 invalid-token', async () => {
      for (const header of [
        { alg: 'EdDSA', kid: 'another-key', typ: 'JWT' },
        { alg: 'EdDSA', typ: 'JWT' },
      ]) {
        const res = await getWith(await sign(key, header, claims(DEMO_ORGANISATIONS.novahuset)));
        expectProblem(res, 401, 'invalid-token');
        expect(res.json().detail).toMatch(/kid/);
      }
    });

    it('asserting a police organisation → 401 issuer-not-trusted-for-organisation', async () => {
      const res = await getWith(
        await sign(key, { alg: 'EdDSA', kid, typ: 'JWT' }, claims(DEMO_ORGANISATIONS.policeOst)),
      );
      expectProblem(
        res,
        401,
        'issuer-not-trusted-for-organisation',
        'AUTH_ISSUER_ORGANISATION_MISMATCH',
      );
    });

    it('asserting the hub organisation with hub_admin → 401 issuer-not-trusted-for-organisation', async () => {
      const res = await getWith(
        await sign(
          key,
          { alg: 'EdDSA', kid, typ: 'JWT' },
          { ...claims(DEMO_ORGANISATIONS.hub), roles: ['hub_admin'] },
        ),
      );
      expectProblem(res, 401, 'issuer-not-trusted-for-organisation');
    });

    it('a token of this issuer signed with another key → 401 invalid-token', async () => {
      const other = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
      const res = await getWith(
        await sign(
          other.privateKey,
          { alg: 'EdDSA', kid, typ: 'JWT' },
          claims(DEMO_ORGANISATIONS.novahuset),
        ),
      );
      expectProblem(res, 401, 'invalid-token');
    });

    it('once disabled → 401 untrusted-issuer', async () => {
      const token = await sign(
        key,
        { alg: 'EdDSA', kid, typ: 'JWT' },
        claims(DEMO_ORGANISATIONS.novahuset),
      );
      expect((await getWith(token)).statusCode).toBe(200);
      const patched = await dir
        .as('hub.admin')
        .patch(`/v1/issuers/${issuerId}`, { status: 'disabled' });
      expect(patched.statusCode).toBe(200);
      expect(patched.json().status).toBe('disabled');
      expectProblem(await getWith(token), 401, 'untrusted-issuer');
      // and back
      expect(
        (await dir.as('hub.admin').patch(`/v1/issuers/${issuerId}`, { status: 'active' }))
          .statusCode,
      ).toBe(200);
      expect((await getWith(token)).statusCode).toBe(200);
    });
  });

  describe('a jwks issuer', () => {
    let idp: RecordingServer;
    let key: CryptoKey;
    let edKey: CryptoKey;
    let issuerId: string;
    const kid = 'es256-1';
    const edKid = 'ed25519-1';
    const hmacSecret = new TextEncoder().encode('a-shared-secret-that-must-never-verify-anything');

    beforeAll(async () => {
      const pair = await generateKeyPair('ES256', { extractable: true });
      key = pair.privateKey;
      const edPair = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
      edKey = edPair.privateKey;
      const keys = [
        { ...(await exportJWK(pair.publicKey)), kid, alg: 'ES256', use: 'sig' },
        { ...(await exportJWK(edPair.publicKey)), kid: edKid, alg: 'EdDSA', use: 'sig' },
        // a symmetric key published by mistake must never be usable
        { kty: 'oct', k: base64url.encode(hmacSecret), kid: 'hmac-1' },
      ];
      idp = await startRecordingServer((url) =>
        url === '/.well-known/jwks.json' ? { status: 200, body: { keys } } : undefined,
      );
      servers.push(idp);
      const res = await dir.as('hub.admin').post('/v1/issuers', {
        issuer: idp.url,
        organisationIds: [DEMO_ORGANISATIONS.norrkoping],
        keySource: 'jwks',
        algorithms: ['ES256', 'EdDSA'],
      });
      expect(res.statusCode).toBe(201);
      issuerId = res.json().id;
    });

    const claims = (overrides: JWTPayload = {}): JWTPayload => ({
      iss: idp.url,
      aud: audience,
      sub: 'caseworker@norrkoping',
      org: DEMO_ORGANISATIONS.norrkoping,
      units: [DEMO_UNITS.frideborg],
      roles: ['caseworker'],
      iat: now(),
      exp: now() + 600,
      ...overrides,
    });

    it('a token signed with the published key → 200, its keys read from <iss>/.well-known/jwks.json', async () => {
      const res = await getWith(await sign(key, { alg: 'ES256', kid, typ: 'JWT' }, claims()));
      expect(res.statusCode).toBe(200);
      expect(idp.requests.length).toBeGreaterThan(0);
      expect(new Set(idp.requests)).toEqual(new Set(['/.well-known/jwks.json']));
    });

    it('an EdDSA (OKP) key from the JWKS → 200', async () => {
      const res = await getWith(
        await sign(edKey, { alg: 'EdDSA', kid: edKid, typ: 'JWT' }, claims()),
      );
      expect(res.statusCode).toBe(200);
    });

    it('a token naming the symmetric key of the JWKS → 401 invalid-token', async () => {
      for (const header of [
        { alg: 'HS256', kid: 'hmac-1' },
        { alg: 'ES256', kid: 'hmac-1' },
      ]) {
        const token =
          header.alg === 'HS256'
            ? await sign(hmacSecret, header, claims())
            : await sign(key, header, claims());
        expectProblem(await getWith(token), 401, 'invalid-token');
      }
    });

    it('a kid that is not in the JWKS → 401 invalid-token', async () => {
      const res = await getWith(
        await sign(key, { alg: 'ES256', kid: 'not-published', typ: 'JWT' }, claims()),
      );
      expectProblem(res, 401, 'invalid-token');
    });

    it('the published kid but another key → 401 invalid-token', async () => {
      const other = await generateKeyPair('ES256');
      expectProblem(
        await getWith(await sign(other.privateKey, { alg: 'ES256', kid, typ: 'JWT' }, claims())),
        401,
        'invalid-token',
      );
    });

    it('an algorithm the issuer is not pinned to → 401 invalid-token', async () => {
      const rsa = await generateKeyPair('RS256', { modulusLength: 2048 });
      expectProblem(
        await getWith(await sign(rsa.privateKey, { alg: 'RS256', kid, typ: 'JWT' }, claims())),
        401,
        'invalid-token',
      );
    });

    it('asserting an organisation it is not registered for → 401 issuer-not-trusted-for-organisation', async () => {
      const res = await getWith(
        await sign(
          key,
          { alg: 'ES256', kid, typ: 'JWT' },
          claims({ org: DEMO_ORGANISATIONS.policeOst, units: [] }),
        ),
      );
      expectProblem(res, 401, 'issuer-not-trusted-for-organisation');
    });

    it('once disabled → 401 untrusted-issuer', async () => {
      const token = await sign(key, { alg: 'ES256', kid, typ: 'JWT' }, claims());
      expect((await getWith(token)).statusCode).toBe(200);
      expect(
        (await dir.as('hub.admin').patch(`/v1/issuers/${issuerId}`, { status: 'disabled' }))
          .statusCode,
      ).toBe(200);
      expectProblem(await getWith(token), 401, 'untrusted-issuer');
    });
  });
});

describe('roles', () => {
  const organisation = {
    name: 'Testföreningen',
    kind: 'ngo',
    organisationNumber: '212000-0464',
    countyCode: '05',
  };

  it('hub_admin from an organisation other than the hub does not make a hub administrator', async () => {
    const token = await devSign(
      userClaims('novahuset.admin', { roles: ['org_admin', 'hub_admin'] }),
    );
    const res = await dir.app.inject({
      method: 'POST',
      url: '/v1/organisations',
      headers: { authorization: `Bearer ${token}` },
      payload: organisation,
    });
    expectProblem(res, 403, 'forbidden', 'FORBIDDEN');
  });

  it('hub_admin of the hub organisation may (the control)', async () => {
    const res = await dir.as('hub.admin').post('/v1/organisations', organisation);
    expect(res.statusCode).toBe(201);
  });
});

describe('rate limiting', () => {
  let limited: TestDirectory;

  beforeAll(async () => {
    limited = await buildDirectory({ seed: false, env: { RATE_LIMIT_MAX: '5' } });
  });
  afterAll(async () => {
    await limited?.close();
  });

  it('the 6th request of a caller in the window → 429 rate-limited with retry-after', async () => {
    const token = await limited.token('police.officer');
    const send = () =>
      limited.app.inject({
        method: 'GET',
        url: ROUTE,
        headers: { authorization: `Bearer ${token}` },
      });
    for (let i = 0; i < 5; i += 1) {
      expect((await send()).statusCode).toBe(200);
    }
    const res = await send();
    expectProblem(res, 429, 'rate-limited', 'RATE_LIMITED');
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    // another caller has a budget of its own
    expect((await limited.as('frideborg.caseworker').get(ROUTE)).statusCode).toBe(200);
    // health endpoints are not limited
    expect((await limited.app.inject({ method: 'GET', url: '/livez' })).statusCode).toBe(200);
  });
});
