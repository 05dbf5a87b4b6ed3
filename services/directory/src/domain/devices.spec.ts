import { generateKeyPair, exportJWK } from 'jose';
import { ProblemError, type Principal } from '@samverkan/shared';
import type { DeviceUnitEntity } from '../devices/device-unit.entity';
import {
  boxRecipientKid,
  checkBoxUploads,
  decideApprove,
  decideEnrol,
  decideRecoveryKey,
  decideRevoke,
  holdsUnitKeys,
  liveTargets,
  publicDeviceKey,
  revocationTargets,
} from './devices';
import { DirectoryProblems as P } from './errors';

const ORG = '10000000-0000-4000-8000-000000000581';
const UNIT = { id: '11000000-0000-4000-8000-000000000001', organisationId: ORG };
const UNIT2 = '11000000-0000-4000-8000-000000000002';
const DEVICE = '22000000-0000-4000-8000-000000000001';
const NOW = new Date('2026-03-02T08:00:00Z');
const actor = {
  iss: 'https://idp.example',
  sub: 'anna',
  org: ORG,
  roles: ['caseworker'],
  units: [UNIT.id],
} as unknown as Principal;

/** A compact JWE's shape with the given protected header (the hub never opens a box). */
const box = (header: Record<string, unknown>) =>
  [Buffer.from(JSON.stringify(header)).toString('base64url'), 'a', 'b', 'c', 'd'].join('.');
const boxTo = (kid: string) =>
  box({ typ: 'unit-key-box+jwe', alg: 'ECDH-ES+A256KW', enc: 'A256GCM', kid });

function refusal(fn: () => unknown): ProblemError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ProblemError);
    return err as ProblemError;
  }
  throw new Error('expected a refusal');
}

const enc = { kid: 'enc-kid', jwk: { kty: 'OKP', crv: 'X25519', x: 'x', kid: 'enc-kid' } };
const sig = { kid: 'sig-kid', jwk: { kty: 'OKP', crv: 'Ed25519', x: 'y', kid: 'sig-kid' } };

function enrolled(unitIds = [UNIT.id, UNIT2]) {
  return decideEnrol({
    id: DEVICE,
    actor,
    label: 'Annas telefon',
    enc,
    sig,
    unitIds,
    keyTaken: false,
    now: NOW,
  });
}

describe('device rules', () => {
  it('holds an audit unit’s keys only as auditor, other units’ only with a case-handling role', () => {
    expect(holdsUnitKeys('audit', ['auditor'])).toBe(true);
    expect(holdsUnitKeys('audit', ['caseworker'])).toBe(false);
    expect(holdsUnitKeys('service', ['officer'])).toBe(true);
    expect(holdsUnitKeys('service', ['auditor', 'org_admin'])).toBe(false);
  });

  it('reads the recipient kid of a well-formed box and refuses any other shape', () => {
    expect(boxRecipientKid(boxTo('k1'))).toBe('k1');
    for (const bad of [
      'not a jwe',
      box({ typ: 'unit-key-box+jwt', alg: 'ECDH-ES+A256KW', enc: 'A256GCM', kid: 'k' }),
      box({ typ: 'unit-key-box+jwe', alg: 'RSA-OAEP', enc: 'A256GCM', kid: 'k' }),
      box({ typ: 'unit-key-box+jwe', alg: 'ECDH-ES+A256KW', enc: 'A256GCM' }),
      `${boxTo('k')}!`,
    ]) {
      expect(refusal(() => boxRecipientKid(bad)).definition).toBe(P.keyBoxMalformed);
    }
  });

  it('refuses a private device key and keys a public one by its thumbprint', async () => {
    const { publicKey, privateKey } = await generateKeyPair('EdDSA', {
      crv: 'Ed25519',
      extractable: true,
    });
    await expect(
      publicDeviceKey(await exportJWK(privateKey), 'Ed25519', 'signingKey'),
    ).rejects.toMatchObject({ definition: P.deviceKeyMalformed });
    await expect(
      publicDeviceKey(await exportJWK(publicKey), 'X25519', 'encryptionKey'),
    ).rejects.toMatchObject({ definition: P.deviceKeyMalformed });
    const key = await publicDeviceKey(await exportJWK(publicKey), 'Ed25519', 'signingKey');
    expect(key.jwk).toMatchObject({ kty: 'OKP', crv: 'Ed25519', use: 'sig', alg: 'EdDSA' });
    expect(key.jwk.kid).toBe(key.kid);
  });

  it('enrols a device pending for each unit, and refuses a key already enrolled', () => {
    const d = enrolled();
    expect(d.device).toMatchObject({
      id: DEVICE,
      issuer: actor.iss,
      subject: 'anna',
      sigKid: 'sig-kid',
    });
    expect(d.units.map((u) => [u.unitId, u.status])).toEqual([
      [UNIT.id, 'pending'],
      [UNIT2, 'pending'],
    ]);
    expect(d.event.data).toMatchObject({ deviceId: DEVICE, unitIds: [UNIT.id, UNIT2] });
    const taken = refusal(() =>
      decideEnrol({
        id: DEVICE,
        actor,
        label: 'x',
        enc,
        sig,
        unitIds: [],
        keyTaken: true,
        now: NOW,
      }),
    );
    expect(taken.definition).toBe(P.deviceExists);
  });

  it('approves only a standing still pending when locked, with its box and binding', () => {
    const { device, units } = enrolled();
    const input = {
      device,
      unit: UNIT,
      actor,
      approverDevice: null,
      binding: 'binding.jws',
      box: boxTo('enc-kid'),
      boxId: '33000000-0000-4000-8000-000000000001',
      now: NOW,
    };
    const d = decideApprove({ ...input, locked: units[0]! });
    expect(d.deviceUnit).toMatchObject({
      status: 'approved',
      approvedAt: NOW,
      binding: 'binding.jws',
    });
    expect(d.box).toMatchObject({ holderType: 'device', holderId: DEVICE, unitId: UNIT.id });
    expect(d.event.data).toMatchObject({ deviceId: DEVICE, unitId: UNIT.id });
    expect(refusal(() => decideApprove({ ...input, locked: d.deviceUnit })).definition).toBe(
      P.deviceStateConflict,
    );
    expect(refusal(() => decideApprove({ ...input, locked: null })).definition).toBe(
      P.deviceStateConflict,
    );
  });

  it('revokes the live standings; only units it was approved for must rotate', () => {
    const { device, units } = enrolled();
    const approved: DeviceUnitEntity = { ...units[0]!, status: 'approved', approvedAt: NOW };
    const d = decideRevoke(device, [approved, units[1]!], actor, 'lost', NOW);
    expect(d.revoked.every((r) => r.status === 'revoked' && r.revocationReason === 'lost')).toBe(
      true,
    );
    expect(d.event.data).toMatchObject({ unitIds: [UNIT.id, UNIT2], rotationRequired: [UNIT.id] });
    expect(
      refusal(() => revocationTargets(units, DEVICE, UNIT.id.replace('1', '9'))).definition,
    ).toBe(P.deviceNotFound);
    expect(refusal(() => liveTargets(d.revoked, DEVICE)).definition).toBe(P.deviceStateConflict);
  });

  it('stores boxes only for the unit’s holders, each sealed to its own key', () => {
    const kids = new Map([[`device:${DEVICE}`, 'enc-kid']]);
    const ok = [{ holder: 'device' as const, holderId: DEVICE, box: boxTo('enc-kid') }];
    expect(checkBoxUploads(UNIT.id, ok, kids)).toEqual(ok);
    expect(
      refusal(() =>
        checkBoxUploads(UNIT.id, [{ holder: 'recovery', holderId: 'r', box: boxTo('r') }], kids),
      ).definition,
    ).toBe(P.keyBoxHolderInvalid);
    expect(
      refusal(() => checkBoxUploads(UNIT.id, [{ ...ok[0]!, box: boxTo('other') }], kids))
        .definition,
    ).toBe(P.keyBoxMalformed);
  });

  it('sets a recovery key only with a box sealed to it and only once', () => {
    const input = {
      unit: UNIT,
      key: enc,
      binding: 'b',
      box: boxTo('enc-kid'),
      boxId: '33000000-0000-4000-8000-000000000002',
      exists: false,
      actor,
      now: NOW,
    };
    const d = decideRecoveryKey(input);
    expect(d.recoveryKey).toMatchObject({ kid: 'enc-kid', unitId: UNIT.id, replacedAt: null });
    expect(d.box).toMatchObject({ holderType: 'recovery', holderId: 'enc-kid' });
    expect(refusal(() => decideRecoveryKey({ ...input, box: boxTo('x') })).definition).toBe(
      P.keyBoxMalformed,
    );
    expect(refusal(() => decideRecoveryKey({ ...input, exists: true })).definition).toBe(
      P.deviceExists,
    );
  });
});
