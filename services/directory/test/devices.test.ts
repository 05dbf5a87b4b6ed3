import { DEMO_AUDIT_UNITS as A, DEMO_ORGANISATIONS as O, DEMO_UNITS as U } from '@samverkan/shared';
import {
  createDpopProof,
  exportDeviceKeys,
  generateDeviceKeys,
  sealKeyBox,
  signDeviceBinding,
  type DeviceKeys,
} from '@samverkan/sdk/src/crypto/device-keys';
import { generateUnitSigningKey } from '@samverkan/shared';
import { decodeJwt, SignJWT, type JWK } from 'jose';
import { buildDirectory, type TestDirectory } from './helpers/build';
import { expectProblem } from './helpers/problems';

/**
 * The directory's rules for devices (issue 13), request by request: proofs of possession, who may
 * enrol and approve, what a binding and a box must be, state changes, and the events written.
 * The whole flow with real clients is in sdk/test/devices.test.ts.
 */
let dir: TestDirectory;
beforeAll(async () => {
  dir = await buildDirectory();
});
afterAll(async () => {
  await dir?.close();
});

async function enrol(
  user = 'frideborg.caseworker',
  options: { keys?: DeviceKeys; body?: Record<string, unknown>; proofKeys?: DeviceKeys } = {},
) {
  const keys = options.keys ?? (await generateDeviceKeys());
  const token = await dir.token(user);
  const proof = await createDpopProof({
    signing: (options.proofKeys ?? keys).signing,
    method: 'POST',
    url: 'http://hub.example/v1/devices',
    accessToken: token,
  });
  const res = await dir.app.inject({
    method: 'POST',
    url: '/v1/devices',
    headers: { authorization: `Bearer ${token}`, dpop: proof },
    payload: {
      label: 'Testenhet',
      encryptionKey: keys.encryption.publicJwk,
      signingKey: keys.signing.publicJwk,
      ...options.body,
    },
  });
  return { res, keys };
}

const unitSig = (unitId: string = U.frideborg) => {
  const sig = dir.keys.units[unitId]!.sig;
  return { kid: sig.kid, privateKey: sig.privateJwk };
};

async function approvalBody(
  device: {
    id: string;
    encryptionKey: JWK;
    signingKey: JWK;
    person: { issuer: string; subject: string };
  },
  overrides: {
    signer?: { kid: string; privateKey: JWK };
    sub?: string;
    boxTo?: JWK;
    unitId?: string;
  } = {},
) {
  const unitId = overrides.unitId ?? U.frideborg;
  const iss = decodeJwt(await dir.token('norrkoping.admin')).iss!;
  const person = { iss: device.person.issuer, sub: device.person.subject };
  const ring = { enc: [dir.keys.units[unitId]!.enc], sig: [dir.keys.units[unitId]!.sig] };
  const boxTo = overrides.boxTo ?? device.encryptionKey;
  return {
    unitId,
    binding: await signDeviceBinding(overrides.signer ?? unitSig(unitId), {
      iss: unitId,
      org: O.norrkoping,
      sub: overrides.sub ?? device.id,
      cnf: { enc: device.encryptionKey.kid!, sig: device.signingKey.kid! },
      person,
      approvedBy: { iss, sub: 'norrkoping.admin' },
    }),
    box: await sealKeyBox({
      unitId,
      organisationId: O.norrkoping,
      holder: { id: device.id, encryptionKid: boxTo.kid! },
      holderEncryptionJwk: boxTo,
      person,
      keys: ring,
      unitSigningKey: unitSig(unitId),
    }),
  };
}

async function outboxTypes(): Promise<string[]> {
  const rows = (await dir.app.directory.context.dataSource.query(
    `SELECT type FROM directory.outbox WHERE type LIKE 'samverkan.directory.device.%' ORDER BY id`,
  )) as Array<{ type: string }>;
  return rows.map((r) => r.type);
}

describe('enrolment', () => {
  it('needs a DPoP proof made with the signing key being enrolled', async () => {
    const keys = await generateDeviceKeys();
    const plain = await dir.as('frideborg.caseworker').post('/v1/devices', {
      label: 'Utan bevis',
      encryptionKey: keys.encryption.publicJwk,
      signingKey: keys.signing.publicJwk,
    });
    expectProblem(plain, 401, 'device-proof-invalid');

    const other = await enrol('frideborg.caseworker', { proofKeys: await generateDeviceKeys() });
    expectProblem(other.res, 401, 'device-proof-invalid');
    expect(other.res.json().detail).toMatch(/signing key being enrolled/);
  });

  it('refuses a proof for another request, a stale one and one not bound to the token', async () => {
    const keys = await generateDeviceKeys();
    const token = await dir.token('frideborg.caseworker');
    const send = (dpop: string) =>
      dir.app.inject({
        method: 'GET',
        url: '/v1/key-boxes',
        headers: { authorization: `Bearer ${token}`, dpop },
      });
    const forPost = await createDpopProof({
      signing: keys.signing,
      method: 'POST',
      url: 'http://hub.example/v1/key-boxes',
      accessToken: token,
    });
    expectProblem(await send(forPost), 401, 'device-proof-invalid');
    const otherPath = await createDpopProof({
      signing: keys.signing,
      method: 'GET',
      url: 'http://hub.example/v1/devices',
      accessToken: token,
    });
    expectProblem(await send(otherPath), 401, 'device-proof-invalid');
    const noAth = await createDpopProof({
      signing: keys.signing,
      method: 'GET',
      url: 'http://hub.example/v1/key-boxes',
    });
    expectProblem(await send(noAth), 401, 'device-proof-invalid');
    const stale = await new SignJWT({
      htm: 'GET',
      htu: 'http://hub.example/v1/key-boxes',
      jti: 'stale-proof-1',
    })
      .setProtectedHeader({
        alg: 'EdDSA',
        typ: 'dpop+jwt',
        jwk: { kty: 'OKP', crv: 'Ed25519', x: keys.signing.publicJwk.x },
      })
      .setIssuedAt(Math.floor(Date.now() / 1000) - 600)
      .sign(keys.signing.privateKey);
    const res = await send(stale);
    expectProblem(res, 401, 'device-proof-invalid');
  });

  it('refuses private key material and a key already enrolled', async () => {
    const keys = await generateDeviceKeys({ extractable: true });
    const priv = await exportDeviceKeys(keys);
    const leaked = await enrol('frideborg.caseworker', { keys, body: { encryptionKey: priv.enc } });
    expectProblem(leaked.res, 422, 'device-key-malformed');

    const first = await enrol('frideborg.caseworker', { keys });
    expect(first.res.statusCode).toBe(201);
    const again = await enrol('frideborg.caseworker', { keys });
    expectProblem(again.res, 409, 'device-exists');
  });

  it('only for units the person is a case-handling member of; pending for each', async () => {
    const ok = await enrol('frideborg.caseworker');
    expect(ok.res.statusCode).toBe(201);
    expect(ok.res.json()).toMatchObject({
      person: { subject: 'frideborg.caseworker' },
      organisationId: O.norrkoping,
      units: [{ unitId: U.frideborg, status: 'pending', approvedBy: null }],
    });
    const elsewhere = await enrol('frideborg.caseworker', { body: { unitIds: [U.socialjour] } });
    expectProblem(elsewhere.res, 403, 'forbidden');
    const admin = await enrol('norrkoping.admin');
    expectProblem(admin.res, 403, 'forbidden');
  });
});

describe("an organisation's audit unit (its auditors hold the audit keys)", () => {
  it('enrols an auditor for the audit unit, never a caseworker; the admin boxes the audit keys to it', async () => {
    const ok = await enrol('norrkoping.auditor');
    expect(ok.res.statusCode).toBe(201);
    expect(ok.res.json()).toMatchObject({
      person: { subject: 'norrkoping.auditor' },
      units: [{ unitId: A.norrkoping, status: 'pending' }],
    });
    // A caseworker whose token claims the audit unit is no member of it with role auditor.
    const token = await dir.token('frideborg.caseworker', { units: [A.norrkoping] });
    const keys = await generateDeviceKeys();
    const refused = await dir.app.inject({
      method: 'POST',
      url: '/v1/devices',
      headers: {
        authorization: `Bearer ${token}`,
        dpop: await createDpopProof({
          signing: keys.signing,
          method: 'POST',
          url: 'http://hub.example/v1/devices',
          accessToken: token,
        }),
      },
      payload: {
        label: 'Testenhet',
        encryptionKey: keys.encryption.publicJwk,
        signingKey: keys.signing.publicJwk,
        unitIds: [A.norrkoping],
      },
    });
    expectProblem(refused, 403, 'forbidden');

    const approved = await dir
      .as('norrkoping.admin')
      .post(
        `/v1/devices/${ok.res.json().id}/approve`,
        await approvalBody(ok.res.json(), { unitId: A.norrkoping }),
      );
    expect(approved.statusCode).toBe(200);
    expect(approved.json().units[0]).toMatchObject({ unitId: A.norrkoping, status: 'approved' });
  });
});

describe('approval', () => {
  it('checks the binding and the box, then approves once', async () => {
    const { res } = await enrol();
    const device = res.json();
    const admin = dir.as('norrkoping.admin');
    const url = `/v1/devices/${device.id}/approve`;

    const foreign = await generateUnitSigningKey();
    expectProblem(
      await admin.post(
        url,
        await approvalBody(device, {
          signer: { kid: foreign.kid, privateKey: foreign.privateJwk },
        }),
      ),
      422,
      'device-binding-invalid',
    );
    expectProblem(
      await admin.post(
        url,
        await approvalBody(device, { sub: '00000000-0000-4000-8000-00000000abcd' }),
      ),
      422,
      'device-binding-invalid',
    );
    const stranger = await generateDeviceKeys();
    expectProblem(
      await admin.post(url, await approvalBody(device, { boxTo: stranger.encryption.publicJwk })),
      422,
      'key-box-malformed',
    );
    expectProblem(
      await admin.post(url, { ...(await approvalBody(device)), box: 'a.b.c.d.e' }),
      422,
      'key-box-malformed',
    );

    const approved = await admin.post(url, await approvalBody(device));
    expect(approved.statusCode).toBe(200);
    expect(approved.json().units[0]).toMatchObject({
      status: 'approved',
      approvedBy: { subject: 'norrkoping.admin' },
      approvedByDevice: null,
      binding: expect.any(String),
    });
    expectProblem(await admin.post(url, await approvalBody(device)), 409, 'device-state-conflict');
    // Not the hub operator, not a caseworker without an approved device of the unit.
    const { res: res2 } = await enrol();
    const url2 = `/v1/devices/${res2.json().id}/approve`;
    expectProblem(
      await dir.as('hub.admin').post(url2, await approvalBody(res2.json())),
      403,
      'forbidden',
    );
    expectProblem(
      await dir.as('frideborg.caseworker').post(url2, await approvalBody(res2.json())),
      403,
      'forbidden',
    );
  });
});

describe('revocation', () => {
  it('by the person, the approver or the organisation admin; once; with an event asking for a rotation', async () => {
    const { res } = await enrol();
    const device = res.json();
    await dir
      .as('norrkoping.admin')
      .post(`/v1/devices/${device.id}/approve`, await approvalBody(device));
    expectProblem(
      await dir.as('police.officer').post(`/v1/devices/${device.id}/revoke`, { reason: 'x' }),
      403,
      'forbidden',
    );
    const revoked = await dir
      .as('frideborg.caseworker')
      .post(`/v1/devices/${device.id}/revoke`, { reason: 'Borttappad' });
    expect(revoked.statusCode).toBe(200);
    expect(revoked.json().units[0]).toMatchObject({
      status: 'revoked',
      revokedBy: { subject: 'frideborg.caseworker' },
      revocationReason: 'Borttappad',
    });
    expectProblem(
      await dir
        .as('frideborg.caseworker')
        .post(`/v1/devices/${device.id}/revoke`, { reason: 'igen' }),
      409,
      'device-state-conflict',
    );
    const listing = await dir.as('norrkoping.admin').get(`/v1/units/${U.frideborg}/devices`);
    expect(listing.json()).toMatchObject({
      rotationRequired: true,
      lastRevocationAt: expect.any(String),
    });

    const types = await outboxTypes();
    expect(types).toEqual(
      expect.arrayContaining([
        'samverkan.directory.device.enrolled',
        'samverkan.directory.device.approved',
        'samverkan.directory.device.revoked',
      ]),
    );
    const [event] = (await dir.app.directory.context.dataSource.query(
      `SELECT payload FROM directory.outbox WHERE type = 'samverkan.directory.device.revoked' ORDER BY id DESC LIMIT 1`,
    )) as Array<{ payload: { data: Record<string, unknown> } }>;
    expect(event!.payload.data).toMatchObject({
      deviceId: device.id,
      unitIds: [U.frideborg],
      rotationRequired: [U.frideborg],
      revokedBy: { subject: 'frideborg.caseworker' },
    });
    expect(JSON.stringify(event!.payload)).not.toContain('Borttappad');
  });
});
