import { DEMO_ORGANISATIONS as O, pemKeyThumbprint } from '@samverkan/shared';
import { generateKeyPairSync } from 'node:crypto';
import { importPKCS8, SignJWT } from 'jose';
import type { DataSource } from 'typeorm';
import { buildDirectory, type TestDirectory } from './helpers/build';
import { expectProblem } from './helpers/problems';

let dir: TestDirectory;
let ds: DataSource;
beforeAll(async () => {
  dir = await buildDirectory();
  ds = dir.app.directory.context.dataSource;
});
afterAll(async () => {
  await dir?.close();
});

const issuerRows = async (): Promise<number> =>
  Number((await ds.query('SELECT count(*) AS n FROM directory.issuers'))[0].n);

function ed25519() {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  return {
    publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    privatePem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
}

let n = 0;
const pemIssuer = (overrides: Record<string, unknown> = {}) => ({
  issuer: `https://idp${(n += 1)}.novahuset.example`,
  organisationIds: [O.novahuset],
  keySource: 'pem',
  publicKeyPem: ed25519().publicPem,
  ...overrides,
});

describe('a hub admin manages trusted issuers', () => {
  it('creates a pem issuer, with the algorithms defaulted from the key (EdDSA)', async () => {
    const body = pemIssuer();
    const res = await dir.as('hub.admin').post('/v1/issuers', body);
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({
      issuer: body.issuer,
      organisationIds: [O.novahuset],
      keySource: 'pem',
      publicKeyPem: body.publicKeyPem,
      algorithms: ['EdDSA'],
      status: 'active',
    });
    const got = await dir.as('hub.admin').get(`/v1/issuers/${res.json().id}`);
    expect(got.statusCode).toBe(200);
    expect(got.json()).toEqual(res.json());
    const list = await dir.as('hub.admin').get('/v1/issuers');
    expect(list.statusCode).toBe(200);
    expect(list.json().items.map((i: { id: string }) => i.id)).toContain(res.json().id);
  });

  it('creates an https jwks issuer without a key', async () => {
    const res = await dir.as('hub.admin').post('/v1/issuers', {
      issuer: 'https://login.region.example',
      organisationIds: [O.region],
      keySource: 'jwks',
      algorithms: ['RS256', 'ES256'],
    });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({
      keySource: 'jwks',
      publicKeyPem: null,
      organisationIds: [O.region],
      algorithms: ['RS256', 'ES256'],
    });
  });

  it.each([
    [
      'algorithms that do not fit the key',
      () => pemIssuer({ algorithms: ['RS256'] }),
      'issuer-invalid',
    ],
    ['a pem issuer without a key', () => pemIssuer({ publicKeyPem: undefined }), 'issuer-invalid'],
    [
      'a pem that is no key at all',
      () =>
        pemIssuer({ publicKeyPem: '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n' }),
      'issuer-invalid',
    ],
    [
      'a jwks issuer that is not https',
      () => ({
        issuer: 'http://idp.example.org',
        organisationIds: [O.novahuset],
        keySource: 'jwks',
      }),
      'issuer-invalid',
    ],
    [
      'a jwks issuer over plain http on loopback',
      () => ({
        issuer: 'http://127.0.0.1:8443',
        organisationIds: [O.novahuset],
        keySource: 'jwks',
      }),
      'issuer-invalid',
    ],
    [
      'a jwks issuer that is not a URL',
      () => ({ issuer: 'novahuset-idp', organisationIds: [O.novahuset], keySource: 'jwks' }),
      'issuer-invalid',
    ],
    [
      'an unknown organisation id',
      () => pemIssuer({ organisationIds: [O.novahuset, '99999999-0000-4000-8000-000000000000'] }),
      'issuer-invalid',
    ],
    [
      'a PRIVATE key PEM',
      () => pemIssuer({ publicKeyPem: ed25519().privatePem }),
      'key-private-material',
    ],
  ])('refuses %s with 422 and stores nothing', async (_label, makeBody, slug) => {
    const before = await issuerRows();
    const body: Record<string, unknown> = makeBody();
    const res = await dir.as('hub.admin').post('/v1/issuers', body);
    expectProblem(res, 422, slug);
    expect(await issuerRows()).toBe(before);
    if (typeof body.publicKeyPem === 'string') {
      const secret = body.publicKeyPem.split('\n')[1]!;
      await dir.app.directory.context.audit.chainPending();
      const traces = await ds.query(
        `SELECT (SELECT count(*) FROM directory.issuers WHERE public_key_pem LIKE $1)
              + (SELECT count(*) FROM directory.audit_log WHERE detail::text LIKE $1)
              + (SELECT count(*) FROM directory.outbox WHERE payload::text LIKE $1) AS n`,
        [`%${secret}%`],
      );
      expect(Number(traces[0].n)).toBe(0);
    }
  });

  it('refuses an issuer registered twice with 409', async () => {
    const body = pemIssuer();
    expect((await dir.as('hub.admin').post('/v1/issuers', body)).statusCode).toBe(201);
    const again = await dir
      .as('hub.admin')
      .post('/v1/issuers', { ...body, publicKeyPem: ed25519().publicPem });
    expectProblem(again, 409, 'issuer-exists');
    expect(again.json().code).toBe('DIRECTORY_ISSUER_EXISTS');
  });

  it('updates organisations, key, algorithms and status', async () => {
    const created = (await dir.as('hub.admin').post('/v1/issuers', pemIssuer())).json();
    const key = ed25519();
    const res = await dir.as('hub.admin').patch(`/v1/issuers/${created.id}`, {
      organisationIds: [O.novahuset, O.norrkoping],
      publicKeyPem: key.publicPem,
      algorithms: ['EdDSA'],
      status: 'disabled',
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      id: created.id,
      issuer: created.issuer,
      organisationIds: [O.novahuset, O.norrkoping],
      publicKeyPem: key.publicPem,
      status: 'disabled',
    });

    expectProblem(
      await dir.as('hub.admin').patch(`/v1/issuers/${created.id}`, { algorithms: ['ES256'] }),
      422,
      'issuer-invalid',
    );
    expectProblem(
      await dir
        .as('hub.admin')
        .patch(`/v1/issuers/${created.id}`, { publicKeyPem: key.privatePem }),
      422,
      'key-private-material',
    );
    expectProblem(
      await dir.as('hub.admin').patch(`/v1/issuers/${created.id}`, {
        organisationIds: ['99999999-0000-4000-8000-000000000000'],
      }),
      422,
      'issuer-invalid',
    );
    // the refused changes left it as it was
    expect((await dir.as('hub.admin').get(`/v1/issuers/${created.id}`)).json()).toEqual(res.json());
    expectProblem(
      await dir
        .as('hub.admin')
        .patch('/v1/issuers/99999999-0000-4000-8000-000000000000', { status: 'active' }),
      404,
      'issuer-not-found',
    );
  });

  it('deletes an issuer (204); then it is gone (404) and its tokens are refused', async () => {
    const key = ed25519();
    const created = (
      await dir.as('hub.admin').post('/v1/issuers', pemIssuer({ publicKeyPem: key.publicPem }))
    ).json();
    const token = await new SignJWT({ org: O.novahuset, units: [], roles: ['caseworker'] })
      .setProtectedHeader({ alg: 'EdDSA', kid: pemKeyThumbprint(key.publicPem) })
      .setIssuer(created.issuer)
      .setSubject('novahuset.user')
      .setAudience(dir.config.AUTH_AUDIENCE)
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(await importPKCS8(key.privatePem, 'EdDSA'));
    const call = () =>
      dir.app.inject({
        method: 'GET',
        url: '/v1/units?limit=1',
        headers: { authorization: `Bearer ${token}` },
      });
    expect((await call()).statusCode).toBe(200);

    const res = await dir.as('hub.admin').delete(`/v1/issuers/${created.id}`);
    expect(res.statusCode).toBe(204);
    expect(res.body).toBe('');
    expectProblem(
      await dir.as('hub.admin').get(`/v1/issuers/${created.id}`),
      404,
      'issuer-not-found',
    );
    expectProblem(
      await dir.as('hub.admin').delete(`/v1/issuers/${created.id}`),
      404,
      'issuer-not-found',
    );
    expect(
      (await dir.as('hub.admin').get('/v1/issuers')).json().items.map((i: { id: string }) => i.id),
    ).not.toContain(created.id);
    expectProblem(await call(), 401, 'untrusted-issuer');
  });
});

describe('only a hub admin may touch issuers', () => {
  let existing: { id: string };
  beforeAll(async () => {
    existing = (await dir.as('hub.admin').post('/v1/issuers', pemIssuer())).json();
  });

  it.each([
    'norrkoping.admin',
    'police.admin',
    'norrkoping.auditor',
    'police.officer',
    'lansstyrelsen.analyst',
  ])('refuses %s on every issuer route with 403', async (user) => {
    const before = await issuerRows();
    const as = dir.as(user);
    expectProblem(await as.get('/v1/issuers'), 403, 'forbidden');
    expectProblem(await as.post('/v1/issuers', pemIssuer()), 403, 'forbidden');
    expectProblem(await as.get(`/v1/issuers/${existing.id}`), 403, 'forbidden');
    expectProblem(
      await as.patch(`/v1/issuers/${existing.id}`, { status: 'disabled' }),
      403,
      'forbidden',
    );
    expectProblem(await as.delete(`/v1/issuers/${existing.id}`), 403, 'forbidden');
    // An unknown id gets 403 as well, not 404: a non-admin learns nothing about which exist.
    expectProblem(
      await as.get('/v1/issuers/99999999-0000-4000-8000-000000000000'),
      403,
      'forbidden',
    );
    expect(await issuerRows()).toBe(before);
    expect((await dir.as('hub.admin').get(`/v1/issuers/${existing.id}`)).json().status).toBe(
      'active',
    );
  });

  it('records the refusals in the audit log', async () => {
    const audit = await dir.as('hub.admin').get('/v1/audit/directory?outcome=denied&limit=500');
    const actions = (audit.json().items as Array<{ action: string; actorSub: string }>)
      .filter((e) => e.actorSub === 'norrkoping.admin')
      .map((e) => e.action);
    expect(actions).toEqual(
      expect.arrayContaining([
        'issuer.list',
        'issuer.create',
        'issuer.read',
        'issuer.update',
        'issuer.delete',
      ]),
    );
  });
});
