/**
 * The token attack set against every operation of the OpenAPI documents that needs a token
 * (docs/architecture.md#identity-and-access): none, expired, not yet valid, tampered, `alg: none`, HS256 signed with the
 * issuer's public key, an unknown `kid`, a wrong audience, an issuer not on the list, and an issuer
 * asserting an organisation it may not speak for. Each is refused with 401 problem+json (403 only
 * where the contract names it), never 2xx, never 5xx, and writes nothing.
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
import {
  fillPath,
  loadOperations,
  openApiDocuments,
  operationName,
  type FuzzOperation,
} from '@samverkan/shared/src/testing/fuzz';
import { startHttpsServer, TEST_CA_FILE } from '@samverkan/shared/src/testing';
import type { TestHub } from '@samverkan/referrals/test/helpers/build';
import { buildAppUnderTest } from './helpers/app-under-test';
import {
  base64url,
  exportJWK,
  generateKeyPair,
  importJWK,
  SignJWT,
  type CryptoKey,
  type JWK,
  type JWTPayload,
} from 'jose';
import type { LightMyRequestResponse } from 'fastify';
import { checkProblem } from './helpers/problems';
import { countRows, diffRows } from './helpers/row-counts';

const DOCUMENTS = (process.env.FUZZ_DOCUMENTS ?? 'directory,referrals').split(',');
const OPENAPI_DIR = path.resolve(__dirname, '../../../openapi');

const operations = loadOperations(openApiDocuments(OPENAPI_DIR, DOCUMENTS)).filter(
  (operation, i, all) =>
    operation.secured &&
    all.findIndex((o) => o.method === operation.method && o.path === operation.path) === i,
);

const now = () => Math.floor(Date.now() / 1000);
const b64json = (value: unknown) => base64url.encode(JSON.stringify(value));

/** An identity provider of Novahuset's with a JWKS on a local port, trusted for Novahuset only. */
interface Idp {
  issuer: string;
  kid: string;
  key: CryptoKey;
  close(): Promise<void>;
}

async function startIdp(): Promise<Idp> {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  const kid = 'novahuset-1';
  const jwks = { keys: [{ ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' }] };
  // https: JWKS are fetched over https only; the hub trusts the tests' CA (AUTH_JWKS_CA_FILE).
  const server = await startHttpsServer((req, res) => {
    const found = req.url === '/.well-known/jwks.json';
    res.writeHead(found ? 200 : 404, { 'content-type': 'application/json' });
    res.end(JSON.stringify(found ? jwks : { error: 'not found' }));
  });
  return { issuer: server.url, kid, key: privateKey, close: () => server.close() };
}

let hub: TestHub;
let idp: Idp;
let devPrivateKey: CryptoKey;
let devPublicKeyPem: string;
let devKid: string;
let attackerKey: CryptoKey;

function userClaims(user: DemoUserName, overrides: JWTPayload = {}): JWTPayload {
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

const devSign = (claims: JWTPayload, header: Record<string, unknown> = {}) =>
  new SignJWT(claims)
    .setProtectedHeader({ alg: 'EdDSA', kid: devKid, typ: 'JWT', ...header })
    .sign(devPrivateKey);

/** The attacks, each as the Authorization header it sends (undefined: none) and its refusal. */
interface Attack {
  name: string;
  slug: string;
  authorization(): Promise<string | undefined>;
}

const attacks: Attack[] = [
  { name: 'no token', slug: 'unauthenticated', authorization: async () => undefined },
  {
    name: 'expired',
    slug: 'expired-token',
    authorization: async () =>
      `Bearer ${await devSign(userClaims('hub.admin', { iat: now() - 7200, exp: now() - 3600 }))}`,
  },
  {
    name: 'not yet valid (nbf in the future)',
    slug: 'invalid-token',
    authorization: async () =>
      `Bearer ${await devSign(userClaims('hub.admin', { nbf: now() + 3600 }))}`,
  },
  {
    name: 'tampered payload (another organisation, signature kept)',
    slug: 'invalid-token',
    authorization: async () => {
      const [header, , signature] = (await devSign(userClaims('novahuset.caseworker'))).split('.');
      const forged = userClaims('hub.admin');
      return `Bearer ${header}.${b64json(forged)}.${signature}`;
    },
  },
  {
    name: 'alg none',
    slug: 'invalid-token',
    authorization: async () =>
      `Bearer ${b64json({ alg: 'none', typ: 'JWT' })}.${b64json(userClaims('hub.admin'))}.`,
  },
  {
    name: 'HS256 signed with the issuer public key',
    slug: 'invalid-token',
    authorization: async () =>
      `Bearer ${await new SignJWT(userClaims('hub.admin'))
        .setProtectedHeader({ alg: 'HS256', kid: devKid, typ: 'JWT' })
        .sign(new TextEncoder().encode(devPublicKeyPem))}`,
  },
  {
    name: 'unknown kid (JWKS issuer)',
    slug: 'invalid-token',
    authorization: async () =>
      `Bearer ${await new SignJWT(
        userClaims('novahuset.caseworker', { iss: idp.issuer, units: [] }),
      )
        .setProtectedHeader({ alg: 'ES256', kid: 'no-such-kid', typ: 'JWT' })
        .sign(idp.key)}`,
  },
  {
    name: 'wrong audience',
    slug: 'invalid-token',
    authorization: async () =>
      `Bearer ${await devSign(userClaims('hub.admin', { aud: 'another-service' }))}`,
  },
  {
    name: 'issuer not on the list',
    slug: 'untrusted-issuer',
    authorization: async () =>
      `Bearer ${await new SignJWT(userClaims('hub.admin', { iss: 'https://idp.attacker.example' }))
        .setProtectedHeader({ alg: 'EdDSA', kid: 'k1', typ: 'JWT' })
        .sign(attackerKey)}`,
  },
  {
    name: 'issuer asserting another organisation',
    slug: 'issuer-not-trusted-for-organisation',
    authorization: async () =>
      `Bearer ${await new SignJWT(
        userClaims('police.officer', { iss: idp.issuer, org: DEMO_ORGANISATIONS.policeOst }),
      )
        .setProtectedHeader({ alg: 'ES256', kid: idp.kid, typ: 'JWT' })
        .sign(idp.key)}`,
  },
];

const seededIds: Record<string, string> = {
  organisations: DEMO_ORGANISATIONS.novahuset,
  units: DEMO_UNITS.novahuset,
};

function requestFor(operation: FuzzOperation, authorization: string | undefined) {
  const values: Record<string, string> = {};
  const segments = operation.path.split('/');
  for (const p of operation.parameters.filter((x) => x.in === 'path')) {
    const before = segments[segments.indexOf(`{${p.name}}`) - 1] ?? '';
    values[p.name] = seededIds[before] ?? randomUUID();
  }
  const write = operation.method !== 'GET';
  return hub.app.inject({
    method: operation.method as 'GET',
    url: fillPath(operation, values),
    headers: {
      ...(authorization ? { authorization } : {}),
      ...(write ? { 'idempotency-key': randomUUID(), 'content-type': 'application/json' } : {}),
    },
    ...(write ? { payload: '{}' } : {}),
  });
}

beforeAll(async () => {
  idp = await startIdp();
  hub = await buildAppUnderTest(DOCUMENTS, {
    env: {
      AUTH_JWKS_CA_FILE: TEST_CA_FILE,
      AUTH_ISSUERS: JSON.stringify([
        {
          issuer: idp.issuer,
          organisationIds: [DEMO_ORGANISATIONS.novahuset],
          keySource: 'jwks',
          algorithms: ['ES256'],
        },
      ]),
    },
  });
  const dev = hub.app.platform.devIssuer!;
  devKid = dev.kid;
  devPublicKeyPem = dev.publicKeyPem;
  const file = JSON.parse(
    fs.readFileSync(path.join(hub.dataDir, 'dev-issuer', 'key.json'), 'utf8'),
  ) as { privateJwk: JWK };
  devPrivateKey = (await importJWK(file.privateJwk, 'EdDSA')) as CryptoKey;
  attackerKey = (await generateKeyPair('EdDSA', { crv: 'Ed25519' })).privateKey;
}, 120_000);

afterAll(async () => {
  await hub?.close();
  await idp?.close();
});

describe('the controls: a good token of each issuer is accepted', () => {
  it('the dev issuer, and the JWKS issuer for its own organisation', async () => {
    const units = operations.find((o) => o.method === 'GET' && o.path === '/v1/units')!;
    expect(
      (await requestFor(units, `Bearer ${await devSign(userClaims('police.officer'))}`)).statusCode,
    ).toBe(200);
    const own = await new SignJWT(
      userClaims('novahuset.caseworker', { iss: idp.issuer, units: [] }),
    )
      .setProtectedHeader({ alg: 'ES256', kid: idp.kid, typ: 'JWT' })
      .sign(idp.key);
    expect((await requestFor(units, `Bearer ${own}`)).statusCode).toBe(200);
  });
});

describe.each(attacks.map((a) => [a.name, a] as const))('%s', (_name, attack) => {
  it(`is refused on every operation that needs a token (${operations.length})`, async () => {
    const authorization = await attack.authorization();
    const before = await countRows(hub.referrals.context.dataSource);
    const wrong: string[] = [];
    let served = 0;
    for (const operation of operations) {
      if (!hub.app.hasRoute({ method: operation.method as 'GET', url: operation.route })) {
        continue;
      }
      served += 1;
      const res: LightMyRequestResponse = await requestFor(operation, authorization);
      const allowed = operation.responses.includes('403') ? [401, 403] : [401];
      const problems = allowed.includes(res.statusCode)
        ? checkProblem(res)
        : [`status ${res.statusCode}`];
      const slug = (res.json() as { type?: string }).type?.replace('urn:samverkan:problem:', '');
      if (res.statusCode === 401 && slug !== attack.slug) {
        problems.push(`problem ${slug}, expected ${attack.slug}`);
      }
      if (problems.length > 0) {
        wrong.push(`${operationName(operation)}: ${problems.join('; ')} ${res.body.slice(0, 200)}`);
      }
    }
    expect(served).toBeGreaterThan(40);
    expect(wrong).toEqual([]);
    expect(diffRows(before, await countRows(hub.referrals.context.dataSource))).toEqual([]);
  });
});
