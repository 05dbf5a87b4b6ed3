import path from 'node:path';
import { generateKeyPairSync } from 'node:crypto';
import {
  DEMO_ORGANISATIONS as O,
  DEMO_UNITS as U,
  generateRootKey,
  generateUnitEncryptionKey,
  luhnCheckDigit,
  OpenApiContract,
  signUnitKey,
} from '@samverkan/shared';
import {
  createDpopProof,
  generateDeviceKeys,
  generateRecoveryKey,
  recoveryHolder,
  sealKeyBox,
  signDeviceBinding,
  type BoxHolder,
} from '@samverkan/sdk/src/crypto/device-keys';
import type { LightMyRequestResponse } from 'fastify';
import { decodeJwt, type JWK } from 'jose';
import { buildDirectory, type TestDirectory } from './helpers/build';

/**
 * Every directory route × every kind of caller (docs/architecture.md#identity-and-access). The target objects belong to
 * Norrköping (organisation, its unit Frideborg), so `norrkoping.admin` is the own organisation's
 * admin and `police.admin` another organisation's. Writes that succeed act on fresh objects.
 */
let dir: TestDirectory;
beforeAll(async () => {
  dir = await buildDirectory();
  sharedIssuer = (await ok(dir.as('hub.admin').post('/v1/issuers', freshIssuer()), 201)).id;
});
afterAll(async () => {
  await dir?.close();
});

const CALLERS = [
  ['anonymous', null],
  ['caseworker', 'frideborg.caseworker'],
  ['officer', 'police.officer'],
  ['coordinator', 'coordinator.ostergotland'],
  ['analyst', 'lansstyrelsen.analyst'],
  ['auditor', 'norrkoping.auditor'],
  ["another org's admin", 'police.admin'],
  ['own org admin', 'norrkoping.admin'],
  ['hub admin', 'hub.admin'],
] as const;

/** Who may call a route; `OK` stands for the route's success status. */
const OK = 0;
//                 anon  casew officer coord analyst auditor other  own   hub
const READ = /*  */ [401, OK, OK, OK, OK, OK, OK, OK, OK];
const ORG_ADMIN = [401, 403, 403, 403, 403, 403, 403, OK, OK];
// Rosters of a Norrköping unit: its own organisation (caseworker, auditor, admin) and hub admins.
const OWN_ORG_READ = [401, OK, 403, 403, 403, OK, 403, OK, OK];
const HUB_ADMIN = [401, 403, 403, 403, 403, 403, 403, 403, OK];
const AUDITOR = /**/ [401, 403, 403, 403, 403, OK, 403, 403, OK];
// Devices: only a unit's own organisation admin holds its keys without a device (not the hub).
const OWN_ADMIN = [401, 403, 403, 403, 403, 403, 403, OK, 403];
// Enrolling: members with a case-handling role (the demo officer and coordinator are members),
// and auditors for their organisation's audit unit (Norrköping has one in the demo).
const DEVICE_HOLDER = [401, OK, OK, OK, 403, OK, 403, 403, 403];

async function ok(pending: Promise<LightMyRequestResponse>, status: number) {
  const res = await pending;
  expect(res.statusCode).toBe(status);
  return res.statusCode === 204 ? undefined : res.json();
}

let serial = 0;
const next = () => (serial += 1);
const hub = () => dir.as('hub.admin');
let sharedIssuer: string;

function freshIssuer() {
  return {
    issuer: `https://idp${next()}.matrix.example`,
    organisationIds: [O.novahuset],
    keySource: 'pem',
    publicKeyPem: generateKeyPairSync('ed25519')
      .publicKey.export({ type: 'spki', format: 'pem' })
      .toString(),
  };
}
async function freshRootKey() {
  const root = await generateRootKey();
  await ok(
    hub().post(`/v1/organisations/${O.norrkoping}/root-keys`, {
      jwk: root.publicJwk,
      fingerprint: root.kid,
    }),
    201,
  );
  return root;
}
async function freshSignedKey() {
  const key = await generateUnitEncryptionKey();
  return {
    key,
    signed: await signUnitKey(dir.keys.roots[O.norrkoping]!, {
      unit: U.frideborg,
      org: O.norrkoping,
      use: 'enc',
      jwk: key.publicJwk,
    }),
  };
}
async function freshPublishedKey() {
  const { key, signed } = await freshSignedKey();
  await ok(hub().post(`/v1/units/${U.frideborg}/keys`, { signed }), 201);
  return key.kid;
}
async function freshMember() {
  const userId = `matris.${next()}`;
  await ok(hub().post(`/v1/units/${U.frideborg}/members`, { userId, roles: ['caseworker'] }), 201);
  return userId;
}
const shiftBody = () => {
  const start = new Date(Date.now() + (2 + next()) * 86_400_000);
  return {
    userId: 'frideborg.caseworker',
    startsAt: start.toISOString(),
    endsAt: new Date(start.getTime() + 8 * 3_600_000).toISOString(),
  };
};

// ----- devices: fresh devices and what an approving client makes for them --------------------
async function enrolRequest(
  user: string | null,
  keys?: Awaited<ReturnType<typeof generateDeviceKeys>>,
) {
  const k = keys ?? (await generateDeviceKeys());
  const token = user ? await dir.token(user) : undefined;
  const proof = await createDpopProof({
    signing: k.signing,
    method: 'POST',
    url: 'http://localhost/v1/devices',
    accessToken: token,
  });
  return dir.app.inject({
    method: 'POST',
    url: '/v1/devices',
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), dpop: proof },
    payload: {
      label: 'Matrisenhet',
      encryptionKey: k.encryption.publicJwk,
      signingKey: k.signing.publicJwk,
    },
  });
}
async function freshDevice() {
  const keys = await generateDeviceKeys();
  const device = await ok(enrolRequest('frideborg.caseworker', keys), 201);
  return { keys, device };
}
const unitSigning = () => {
  const sig = dir.keys.units[U.frideborg]!.sig;
  return { kid: sig.kid, privateKey: sig.privateJwk };
};
async function adminIssuer() {
  return decodeJwt(await dir.token('norrkoping.admin')).iss!;
}
async function approval(device: {
  id: string;
  encryptionKey: JWK;
  signingKey: JWK;
  person: { issuer: string; subject: string };
}) {
  const holder: BoxHolder = {
    id: device.id,
    encryptionKid: device.encryptionKey.kid!,
    signingKid: device.signingKey.kid!,
  };
  const person = { iss: device.person.issuer, sub: device.person.subject };
  const ring = { enc: [dir.keys.units[U.frideborg]!.enc], sig: [dir.keys.units[U.frideborg]!.sig] };
  return {
    unitId: U.frideborg,
    binding: await signDeviceBinding(unitSigning(), {
      iss: U.frideborg,
      org: O.norrkoping,
      sub: device.id,
      cnf: { enc: holder.encryptionKid, sig: holder.signingKid },
      person,
      approvedBy: { iss: await adminIssuer(), sub: 'norrkoping.admin' },
    }),
    box: await sealKeyBox({
      unitId: U.frideborg,
      organisationId: O.norrkoping,
      holder,
      holderEncryptionJwk: device.encryptionKey,
      person,
      keys: ring,
      unitSigningKey: unitSigning(),
    }),
  };
}
async function approvedDevice() {
  const { device } = await freshDevice();
  await ok(
    dir.as('norrkoping.admin').post(`/v1/devices/${device.id}/approve`, await approval(device)),
    200,
  );
  return device;
}
async function recoveryKeyBody() {
  const recovery = await generateRecoveryKey();
  const holder = recoveryHolder(recovery.kid);
  const ring = { enc: [dir.keys.units[U.frideborg]!.enc], sig: [dir.keys.units[U.frideborg]!.sig] };
  return {
    jwk: { kty: 'OKP', crv: 'X25519', x: recovery.publicJwk.x },
    binding: await signDeviceBinding(unitSigning(), {
      iss: U.frideborg,
      org: O.norrkoping,
      sub: holder.id,
      cnf: { enc: recovery.kid },
      approvedBy: { iss: await adminIssuer(), sub: 'norrkoping.admin' },
    }),
    box: await sealKeyBox({
      unitId: U.frideborg,
      organisationId: O.norrkoping,
      holder,
      holderEncryptionJwk: recovery.publicJwk,
      keys: ring,
      unitSigningKey: unitSigning(),
    }),
  };
}
let recoverySet = false;

type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';
interface Route {
  op: `${Method} ${string}`;
  access: number[];
  success: number;
  /** the URL (and body) to call with; may create what the call needs */
  request: () => Promise<{ url: string; body?: unknown }> | { url: string; body?: unknown };
  /** sends the request itself (routes that need a device's DPoP proof) */
  send?: (user: string | null) => Promise<LightMyRequestResponse>;
  /** the problem type of its 403 when it is not the generic `forbidden` */
  forbiddenType?: string;
}

const ROUTES: Route[] = [
  {
    op: 'GET /v1/organisations',
    access: READ,
    success: 200,
    request: () => ({ url: '/v1/organisations' }),
  },
  {
    op: 'POST /v1/organisations',
    access: HUB_ADMIN,
    success: 201,
    request: () => ({
      url: '/v1/organisations',
      body: {
        name: `Matrisorganisation ${next()}`,
        kind: 'ngo',
        organisationNumber: `802400777${luhnCheckDigit('802400777')}`,
        countyCode: '05',
      },
    }),
  },
  {
    op: 'GET /v1/organisations/{id}',
    access: READ,
    success: 200,
    request: () => ({ url: `/v1/organisations/${O.norrkoping}` }),
  },
  {
    op: 'PATCH /v1/organisations/{id}',
    access: ORG_ADMIN,
    success: 200,
    request: () => ({
      url: `/v1/organisations/${O.norrkoping}`,
      body: { website: `https://norrkoping.example/${next()}` },
    }),
  },
  {
    op: 'POST /v1/organisations/{id}/verify-number',
    access: HUB_ADMIN,
    success: 200,
    request: () => ({ url: `/v1/organisations/${O.norrkoping}/verify-number` }),
  },
  {
    op: 'GET /v1/organisations/{id}/root-keys',
    access: READ,
    success: 200,
    request: () => ({ url: `/v1/organisations/${O.norrkoping}/root-keys` }),
  },
  {
    op: 'POST /v1/organisations/{id}/root-keys',
    access: HUB_ADMIN,
    success: 201,
    request: async () => {
      const root = await generateRootKey();
      return {
        url: `/v1/organisations/${O.norrkoping}/root-keys`,
        body: { jwk: root.publicJwk, fingerprint: root.kid },
      };
    },
  },
  {
    op: 'POST /v1/organisations/{id}/root-keys/{kid}/revoke',
    access: HUB_ADMIN,
    success: 200,
    request: async () => ({
      url: `/v1/organisations/${O.norrkoping}/root-keys/${(await freshRootKey()).kid}/revoke`,
      body: { reason: 'matris' },
    }),
  },
  {
    op: 'GET /v1/units',
    access: READ,
    success: 200,
    request: () => ({ url: '/v1/units?municipality=0581' }),
  },
  {
    op: 'POST /v1/units',
    access: ORG_ADMIN,
    success: 201,
    request: () => ({
      url: '/v1/units',
      body: {
        organisationId: O.norrkoping,
        name: `Matrisenhet ${next()}`,
        capabilities: ['support_talks'],
        coverage: ['0581'],
        ageBands: ['adult'],
        genders: ['female'],
        openingHours: { timeZone: 'Europe/Stockholm', open247: true, weekly: [] },
      },
    }),
  },
  {
    op: 'GET /v1/units/{id}',
    access: READ,
    success: 200,
    request: () => ({ url: `/v1/units/${U.frideborg}` }),
  },
  {
    op: 'PATCH /v1/units/{id}',
    access: ORG_ADMIN,
    success: 200,
    request: () => ({
      url: `/v1/units/${U.frideborg}`,
      body: { description: `Våldsenheten (${next()})` },
    }),
  },
  {
    op: 'GET /v1/units/{id}/members',
    access: OWN_ORG_READ,
    success: 200,
    request: () => ({ url: `/v1/units/${U.frideborg}/members` }),
  },
  {
    op: 'POST /v1/units/{id}/members',
    access: ORG_ADMIN,
    success: 201,
    request: () => ({
      url: `/v1/units/${U.frideborg}/members`,
      body: { userId: `ny.${next()}`, roles: ['caseworker'] },
    }),
  },
  {
    op: 'DELETE /v1/units/{id}/members/{userId}',
    access: ORG_ADMIN,
    success: 204,
    request: async () => ({ url: `/v1/units/${U.frideborg}/members/${await freshMember()}` }),
  },
  {
    op: 'GET /v1/units/{id}/shifts',
    access: OWN_ORG_READ,
    success: 200,
    request: () => ({ url: `/v1/units/${U.frideborg}/shifts` }),
  },
  {
    op: 'POST /v1/units/{id}/shifts',
    access: ORG_ADMIN,
    success: 201,
    request: () => ({ url: `/v1/units/${U.frideborg}/shifts`, body: shiftBody() }),
  },
  {
    op: 'DELETE /v1/units/{id}/shifts/{shiftId}',
    access: ORG_ADMIN,
    success: 204,
    request: async () => {
      const shift = await ok(hub().post(`/v1/units/${U.frideborg}/shifts`, shiftBody()), 201);
      return { url: `/v1/units/${U.frideborg}/shifts/${shift.id}` };
    },
  },
  {
    op: 'GET /v1/units/{id}/on-duty',
    access: READ,
    success: 200,
    request: () => ({ url: `/v1/units/${U.socialjour}/on-duty` }),
  },
  {
    op: 'GET /v1/units/{id}/keys',
    access: READ,
    success: 200,
    request: () => ({ url: `/v1/units/${U.frideborg}/keys` }),
  },
  {
    op: 'POST /v1/units/{id}/keys',
    access: ORG_ADMIN,
    success: 201,
    request: async () => ({
      url: `/v1/units/${U.frideborg}/keys`,
      body: { signed: (await freshSignedKey()).signed },
    }),
  },
  {
    op: 'POST /v1/units/{id}/keys/{kid}/retire',
    access: ORG_ADMIN,
    success: 200,
    request: async () => ({
      url: `/v1/units/${U.frideborg}/keys/${await freshPublishedKey()}/retire`,
    }),
  },
  {
    op: 'POST /v1/units/{id}/keys/{kid}/revoke',
    access: ORG_ADMIN,
    success: 200,
    request: async () => ({
      url: `/v1/units/${U.frideborg}/keys/${await freshPublishedKey()}/revoke`,
      body: { reason: 'matris' },
    }),
  },
  {
    op: 'GET /v1/keys',
    access: READ,
    success: 200,
    request: () => ({ url: `/v1/keys?units=${U.frideborg},${U.socialjour}` }),
  },
  {
    op: 'GET /v1/key-log',
    access: READ,
    success: 200,
    request: () => ({ url: '/v1/key-log?limit=5' }),
  },
  {
    op: 'GET /v1/issuers',
    access: HUB_ADMIN,
    success: 200,
    request: () => ({ url: '/v1/issuers' }),
  },
  {
    op: 'POST /v1/issuers',
    access: HUB_ADMIN,
    success: 201,
    request: () => ({ url: '/v1/issuers', body: freshIssuer() }),
  },
  {
    op: 'GET /v1/issuers/{id}',
    access: HUB_ADMIN,
    success: 200,
    request: () => ({ url: `/v1/issuers/${sharedIssuer}` }),
  },
  {
    op: 'PATCH /v1/issuers/{id}',
    access: HUB_ADMIN,
    success: 200,
    request: () => ({
      url: `/v1/issuers/${sharedIssuer}`,
      body: { organisationIds: [O.novahuset, O.norrkoping] },
    }),
  },
  {
    op: 'DELETE /v1/issuers/{id}',
    access: HUB_ADMIN,
    success: 204,
    request: async () => ({
      url: `/v1/issuers/${(await ok(hub().post('/v1/issuers', freshIssuer()), 201)).id}`,
    }),
  },
  {
    op: 'POST /v1/devices',
    access: DEVICE_HOLDER,
    success: 201,
    request: () => ({ url: '/v1/devices' }),
    send: (user) => enrolRequest(user),
  },
  {
    op: 'GET /v1/devices',
    access: READ,
    success: 200,
    request: () => ({ url: '/v1/devices' }),
  },
  {
    op: 'POST /v1/devices/{id}/approve',
    access: OWN_ADMIN,
    success: 200,
    request: async () => {
      const { device } = await freshDevice();
      return { url: `/v1/devices/${device.id}/approve`, body: await approval(device) };
    },
  },
  {
    op: 'POST /v1/devices/{id}/revoke',
    // the device's own person (the caseworker) and the organisation admin
    access: [401, OK, 403, 403, 403, 403, 403, OK, 403],
    success: 200,
    request: async () => ({
      url: `/v1/devices/${(await freshDevice()).device.id}/revoke`,
      body: { reason: 'Matristest' },
    }),
  },
  {
    op: 'GET /v1/key-boxes',
    // only an enrolled device of the caller: the caseworker's; others prove a key of no device
    access: [401, OK, 403, 403, 403, 403, 403, 403, 403],
    success: 200,
    forbiddenType: 'device-not-enrolled',
    request: () => ({ url: '/v1/key-boxes' }),
    send: async (user) => {
      const keys = await generateDeviceKeys();
      if (user === 'frideborg.caseworker') {
        await ok(enrolRequest(user, keys), 201);
      }
      const token = user ? await dir.token(user) : undefined;
      const proof = await createDpopProof({
        signing: keys.signing,
        method: 'GET',
        url: 'http://localhost/v1/key-boxes',
        accessToken: token,
      });
      return dir.app.inject({
        method: 'GET',
        url: '/v1/key-boxes',
        headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), dpop: proof },
      });
    },
  },
  {
    op: 'GET /v1/units/{id}/devices',
    // the caseworker is an approver by now: the admin approved their device in the row above
    access: [401, OK, 403, 403, 403, 403, 403, OK, 403],
    success: 200,
    request: () => ({ url: `/v1/units/${U.frideborg}/devices` }),
  },
  {
    op: 'POST /v1/units/{id}/key-boxes',
    access: OWN_ADMIN,
    success: 200,
    request: async () => {
      const device = await approvedDevice();
      const { box } = await approval(device);
      return {
        url: `/v1/units/${U.frideborg}/key-boxes`,
        body: { boxes: [{ holder: 'device', holderId: device.id, box }] },
      };
    },
  },
  {
    op: 'POST /v1/units/{id}/recovery-key',
    access: OWN_ADMIN,
    success: 201,
    request: async () => ({
      url: `/v1/units/${U.frideborg}/recovery-key`,
      body: await recoveryKeyBody(),
    }),
  },
  {
    op: 'GET /v1/units/{id}/recovery-key',
    access: OWN_ADMIN,
    success: 200,
    request: async () => {
      if (!recoverySet) {
        await ok(
          dir
            .as('norrkoping.admin')
            .post(`/v1/units/${U.frideborg}/recovery-key`, await recoveryKeyBody()),
          201,
        );
        recoverySet = true;
      }
      return { url: `/v1/units/${U.frideborg}/recovery-key` };
    },
  },
  {
    op: 'GET /v1/audit/directory',
    access: AUDITOR,
    success: 200,
    request: () => ({ url: '/v1/audit/directory?limit=5' }),
  },
  {
    op: 'GET /v1/audit/directory/verify',
    access: AUDITOR,
    success: 200,
    request: () => ({ url: '/v1/audit/directory/verify' }),
  },
  {
    op: 'GET /v1/audit/directory/checkpoints',
    access: AUDITOR,
    success: 200,
    request: () => ({ url: '/v1/audit/directory/checkpoints' }),
  },
  {
    op: 'POST /v1/audit/directory/checkpoints',
    access: AUDITOR,
    success: 201,
    request: () => ({ url: '/v1/audit/directory/checkpoints', body: {} }),
  },
  {
    op: 'GET /v1/key-log/verify',
    access: READ,
    success: 200,
    request: () => ({ url: '/v1/key-log/verify' }),
  },
  {
    op: 'GET /v1/key-log/checkpoints',
    access: READ,
    success: 200,
    request: () => ({ url: '/v1/key-log/checkpoints' }),
  },
  {
    op: 'POST /v1/key-log/checkpoints',
    access: AUDITOR,
    success: 201,
    request: () => ({ url: '/v1/key-log/checkpoints', body: {} }),
  },
  {
    // Only while the development issuer is on (as in these tests); it needs no token.
    op: 'POST /v1/dev/tokens',
    access: [OK, OK, OK, OK, OK, OK, OK, OK, OK],
    success: 201,
    request: () => ({ url: '/v1/dev/tokens', body: { user: 'police.officer' } }),
  },
];

const MATRIX = ROUTES.flatMap((route) =>
  CALLERS.map(([kind, user], i) => {
    const expected = route.access[i] === OK ? route.success : route.access[i]!;
    return [route.op, kind, expected, route, user] as const;
  }),
);

it('has a row for every route of the contract (health probes aside)', () => {
  const contract = OpenApiContract.load(
    path.resolve(__dirname, '../../../openapi/directory.yaml'),
    'directory',
  );
  const ops = Object.entries(contract.document.paths as Record<string, Record<string, unknown>>)
    .filter(([p]) => p.startsWith('/v1/'))
    .flatMap(([p, methods]) => Object.keys(methods).map((m) => `${m.toUpperCase()} ${p}`));
  expect(ROUTES.map((r) => r.op).sort()).toEqual(ops.sort());
});

describe('authorization matrix', () => {
  it.each(MATRIX)('%s as %s → %i', async (_op, _kind, expected, route, user) => {
    const method = route.op.split(' ')[0] as Method;
    const { url, body } = await route.request();
    const as = dir.as(user);
    const res = route.send
      ? await route.send(user)
      : method === 'GET'
        ? await as.get(url)
        : method === 'DELETE'
          ? await as.delete(url)
          : method === 'POST'
            ? await as.post(url, body)
            : await as.patch(url, body);
    expect(res.statusCode).toBe(expected);
    if (expected === 401) {
      expect(res.json()).toMatchObject({
        type: 'urn:samverkan:problem:unauthenticated',
        code: 'AUTH_REQUIRED',
      });
    } else if (expected === 403) {
      expect(res.json()).toMatchObject({
        type: `urn:samverkan:problem:${route.forbiddenType ?? 'forbidden'}`,
        ...(route.forbiddenType ? {} : { code: 'FORBIDDEN' }),
      });
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    } else if (expected !== 204) {
      expect(res.headers['content-type']).toMatch(/^application\/json/);
    }
  });
});

describe('refusals are audited', () => {
  it('left a denied entry for every 403 of the matrix', async () => {
    const forbidden = MATRIX.filter(([, , expected]) => expected === 403).length;
    const res = await dir.as('hub.admin').get('/v1/audit/directory?outcome=denied&limit=500');
    expect(res.statusCode).toBe(200);
    expect(res.json().items.length).toBe(forbidden);
  });
});
