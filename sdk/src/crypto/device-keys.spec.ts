import { compactDecrypt, decodeJwt, decodeProtectedHeader, jwtVerify, EmbeddedJWK } from 'jose';
import {
  accessTokenHash,
  createDpopProof,
  DeviceCryptoError,
  deviceShortCode,
  exportDeviceKeys,
  generateDeviceKeys,
  generateRecoveryKey,
  importDeviceKeys,
  openKeyBox,
  parseRecoveryKey,
  recoveryHolder,
  sealKeyBox,
  shortCodesMatch,
  signDeviceBinding,
  verifyDeviceBinding,
  type DeviceKeys,
} from './device-keys';
import { generateUnitEncryptionKey, generateUnitSigningKey, type KeyPairJwk } from './unit-keys';

const UNIT = '11000000-0000-4000-8000-000000000001';
const ORG = '10000000-0000-4000-8000-000000000581';
const person = { iss: 'https://idp.norrkoping.example', sub: 'frideborg.caseworker' };

let device: DeviceKeys;
let other: DeviceKeys;
let ring: { enc: KeyPairJwk[]; sig: KeyPairJwk[] };
const holderOf = (id: string, keys: DeviceKeys) => ({
  id,
  encryptionKid: keys.encryption.kid,
  signingKid: keys.signing.kid,
});
const signer = () => ({ kid: ring.sig[0]!.kid, privateKey: ring.sig[0]!.privateJwk });
const publicSig = () => [ring.sig[0]!.publicJwk];

async function failure(pending: Promise<unknown>): Promise<DeviceCryptoError> {
  const err = await pending.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DeviceCryptoError);
  return err as DeviceCryptoError;
}

beforeAll(async () => {
  device = await generateDeviceKeys();
  other = await generateDeviceKeys();
  ring = { enc: [await generateUnitEncryptionKey()], sig: [await generateUnitSigningKey()] };
});

describe('device keys', () => {
  it('are non-extractable by default, kid = thumbprint, public JWKs only', async () => {
    expect(device.encryption.privateKey.extractable).toBe(false);
    expect(device.signing.privateKey.extractable).toBe(false);
    expect(device.encryption.publicJwk).toEqual({
      kty: 'OKP',
      crv: 'X25519',
      x: expect.any(String),
      kid: device.encryption.kid,
      use: 'enc',
      alg: 'ECDH-ES+A256KW',
    });
    await expect(exportDeviceKeys(device)).rejects.toThrow();
  });

  it('extractable keys survive a key store round trip', async () => {
    const keys = await generateDeviceKeys({ extractable: true });
    const back = await importDeviceKeys(await exportDeviceKeys(keys));
    expect(back.encryption.kid).toBe(keys.encryption.kid);
    expect(back.signing.kid).toBe(keys.signing.kid);
  });
});

describe('short code', () => {
  it('is 20 digits, stable, and changes with either key or the person', async () => {
    const input = {
      encryptionJwk: device.encryption.publicJwk,
      signingJwk: device.signing.publicJwk,
      person,
    };
    const code = await deviceShortCode(input);
    expect(code).toMatch(/^\d{5} \d{5} \d{5} \d{5}$/);
    expect(await deviceShortCode(input)).toBe(code);
    const codes = await Promise.all([
      deviceShortCode({ ...input, encryptionJwk: other.encryption.publicJwk }),
      deviceShortCode({ ...input, signingJwk: other.signing.publicJwk }),
      deviceShortCode({ ...input, person: { ...person, sub: 'someone.else' } }),
      deviceShortCode({ ...input, person: { ...person, iss: 'https://other.example' } }),
    ]);
    expect(new Set([code, ...codes]).size).toBe(5);
    expect(shortCodesMatch(code.replace(/ /g, '-'), code)).toBe(true);
    expect(shortCodesMatch(code.slice(0, -1) + ((Number(code.at(-1)) + 1) % 10), code)).toBe(false);
  });
});

describe('key boxes', () => {
  it('open only on the device they are sealed to, with every key checked', async () => {
    const box = await sealKeyBox({
      unitId: UNIT,
      organisationId: ORG,
      holder: holderOf('dev-1', device),
      holderEncryptionJwk: device.encryption.publicJwk,
      person,
      keys: ring,
      pins: { [ORG]: ['root-fp'] },
      unitSigningKey: signer(),
    });
    expect(decodeProtectedHeader(box)).toMatchObject({
      typ: 'unit-key-box+jwe',
      kid: device.encryption.kid,
      cty: 'JWT',
    });
    expect(box).not.toContain(ring.enc[0]!.privateJwk.d);

    const opened = await openKeyBox(box, {
      holder: holderOf('dev-1', device),
      holderEncryptionKey: device.encryption.privateKey,
      unitId: UNIT,
      unitSigningKeys: publicSig(),
      activeKids: [ring.enc[0]!.kid, ring.sig[0]!.kid],
    });
    expect(opened.keys.enc[0]!.privateJwk.d).toBe(ring.enc[0]!.privateJwk.d);
    expect(opened.claims.pins).toEqual({ [ORG]: ['root-fp'] });

    // Another device: not its key id, and not its key either.
    const wrong = await failure(
      openKeyBox(box, {
        holder: holderOf('dev-1', other),
        holderEncryptionKey: other.encryption.privateKey,
        unitId: UNIT,
        unitSigningKeys: publicSig(),
      }),
    );
    expect(wrong.code).toBe('box_not_for_this_device');
    await expect(compactDecrypt(box, other.encryption.privateKey)).rejects.toThrow();

    // Signed by a key that is not the unit's.
    const forged = await failure(
      openKeyBox(box, {
        holder: holderOf('dev-1', device),
        holderEncryptionKey: device.encryption.privateKey,
        unitId: UNIT,
        unitSigningKeys: [(await generateUnitSigningKey()).publicJwk],
      }),
    );
    expect(forged.code).toBe('box_signature_invalid');

    // The box of another device id (same keys re-enrolled under another id): refused.
    const renamed = await failure(
      openKeyBox(box, {
        holder: holderOf('dev-2', device),
        holderEncryptionKey: device.encryption.privateKey,
        unitId: UNIT,
        unitSigningKeys: publicSig(),
      }),
    );
    expect(renamed.code).toBe('box_not_for_this_device');
  });

  it('an old box is stale once the unit has a newer key or the device held one', async () => {
    const old = await sealKeyBox({
      unitId: UNIT,
      organisationId: ORG,
      holder: holderOf('dev-1', device),
      holderEncryptionJwk: device.encryption.publicJwk,
      keys: ring,
      unitSigningKey: signer(),
    });
    const newer = await generateUnitEncryptionKey();
    const base = {
      holder: holderOf('dev-1', device),
      holderEncryptionKey: device.encryption.privateKey,
      unitId: UNIT,
      unitSigningKeys: publicSig(),
    };
    expect((await failure(openKeyBox(old, { ...base, activeKids: [newer.kid] }))).code).toBe(
      'box_stale',
    );
    expect((await failure(openKeyBox(old, { ...base, heldKids: [newer.kid] }))).code).toBe(
      'box_stale',
    );
    const future = Math.floor(Date.now() / 1000) + 3600;
    expect((await failure(openKeyBox(old, { ...base, notBefore: future }))).code).toBe('box_stale');
  });
});

describe('binding', () => {
  it('verifies against the unit signing key and names device, keys and person', async () => {
    const binding = await signDeviceBinding(signer(), {
      iss: UNIT,
      org: ORG,
      sub: 'dev-1',
      cnf: { enc: device.encryption.kid, sig: device.signing.kid },
      person,
      approvedBy: { iss: person.iss, sub: 'frideborg.colleague' },
    });
    const claims = await verifyDeviceBinding(binding, publicSig(), {
      unitId: UNIT,
      holder: holderOf('dev-1', device),
      person,
    });
    expect(claims.approvedBy.sub).toBe('frideborg.colleague');
    for (const expected of [
      { unitId: UNIT, holder: holderOf('dev-1', other), person },
      { unitId: UNIT, holder: holderOf('dev-1', device), person: { ...person, sub: 'x' } },
      { unitId: ORG, holder: holderOf('dev-1', device), person },
    ]) {
      expect((await failure(verifyDeviceBinding(binding, publicSig(), expected))).code).toBe(
        'binding_invalid',
      );
    }
  });
});

describe('recovery key', () => {
  it('reads back as printed and refuses a typo', async () => {
    const recovery = await generateRecoveryKey();
    expect(recovery.secret).toMatch(/^SVRK1(-[0-9A-HJKMNP-TV-Z]{1,5}){11}$/);
    const back = await parseRecoveryKey(recovery.secret.toLowerCase().replace(/-/g, ' '));
    expect(back.kid).toBe(recovery.kid);
    const i = 8;
    const typo =
      recovery.secret.slice(0, i) +
      (recovery.secret[i] === '7' ? '8' : '7') +
      recovery.secret.slice(i + 1);
    expect((await failure(parseRecoveryKey(typo))).code).toBe('recovery_key_malformed');
    expect(recoveryHolder(recovery.kid)).toEqual({
      id: `recovery:${recovery.kid}`,
      encryptionKid: recovery.kid,
    });
  });
});

describe('DPoP proof', () => {
  it('is an EdDSA dpop+jwt with the device key in its header, bound to the access token', async () => {
    const proof = await createDpopProof({
      signing: device.signing,
      method: 'get',
      url: 'https://hub.example/v1/key-boxes?x=1',
      accessToken: 'token-abc',
    });
    const { payload, protectedHeader } = await jwtVerify(proof, EmbeddedJWK, { typ: 'dpop+jwt' });
    expect(protectedHeader.jwk).toEqual({
      kty: 'OKP',
      crv: 'Ed25519',
      x: device.signing.publicJwk.x,
    });
    expect(payload).toMatchObject({
      htm: 'GET',
      htu: 'https://hub.example/v1/key-boxes',
      ath: await accessTokenHash('token-abc'),
    });
    expect(decodeJwt(proof).jti).toEqual(expect.any(String));
  });
});
