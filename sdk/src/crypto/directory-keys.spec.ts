import { randomUUID } from 'node:crypto';
import { calculateJwkThumbprint, CompactSign, importJWK, type JWK } from 'jose';
import {
  KeyTrustError,
  RootKeyNotPinnedError,
  rootKeyFingerprint,
  verifyKeysResponse,
  verifyUnitKeySet,
  type DirectoryRootKey,
  type DirectoryUnitKey,
  type DirectoryUnitKeySet,
} from './directory-keys';
import {
  generateRootKey,
  generateUnitEncryptionKey,
  generateUnitSigningKey,
  signUnitKey,
  type KeyPairJwk,
} from './unit-keys';

/**
 * A fake directory as `GET /v1/keys` serves it: two organisations (police and a municipality),
 * three units (police unit P, coordinator unit C, NGO-like unit N of the municipality).
 */
interface Org {
  id: string;
  root: KeyPairJwk;
}
interface Unit {
  id: string;
  org: Org;
  enc: KeyPairJwk;
  sig: KeyPairJwk;
}

const publicOf = (jwk: JWK): JWK => ({ kty: jwk.kty, crv: jwk.crv, x: jwk.x });

function servedRoot(org: Org, overrides: Partial<DirectoryRootKey> = {}): DirectoryRootKey {
  return {
    kid: org.root.kid,
    organisationId: org.id,
    jwk: org.root.publicJwk,
    fingerprint: org.root.kid,
    status: 'active',
    ...overrides,
  };
}

async function servedKey(
  unit: Unit,
  use: 'enc' | 'sig',
  signer: KeyPairJwk = unit.org.root,
  overrides: Partial<DirectoryUnitKey> = {},
): Promise<DirectoryUnitKey> {
  const pair = use === 'enc' ? unit.enc : unit.sig;
  const signed = await signUnitKey(signer, {
    unit: unit.id,
    org: unit.org.id,
    use,
    jwk: publicOf(pair.publicJwk),
  });
  return {
    kid: pair.kid,
    unitId: unit.id,
    organisationId: unit.org.id,
    use,
    alg: use === 'enc' ? 'ECDH-ES+A256KW' : 'EdDSA',
    jwk: pair.publicJwk,
    signed,
    rootKid: signer.kid,
    status: 'active',
    ...overrides,
  };
}

async function servedSet(unit: Unit): Promise<DirectoryUnitKeySet> {
  return {
    unitId: unit.id,
    organisationId: unit.org.id,
    rootKeys: [servedRoot(unit.org)],
    keys: [await servedKey(unit, 'enc'), await servedKey(unit, 'sig')],
  };
}

let police: Org;
let municipality: Org;
let P: Unit;
let C: Unit;
let N: Unit;

async function makeUnit(org: Org): Promise<Unit> {
  return {
    id: randomUUID(),
    org,
    enc: await generateUnitEncryptionKey(),
    sig: await generateUnitSigningKey(),
  };
}

beforeAll(async () => {
  police = { id: randomUUID(), root: await generateRootKey() };
  municipality = { id: randomUUID(), root: await generateRootKey() };
  P = await makeUnit(police);
  C = await makeUnit(municipality);
  N = await makeUnit(municipality);
});

async function expectRejected(
  set: DirectoryUnitKeySet,
  reason: RegExp,
  options: Parameters<typeof verifyUnitKeySet>[1] = {},
): Promise<KeyTrustError> {
  const err = await verifyUnitKeySet(set, options).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(KeyTrustError);
  const trustError = err as KeyTrustError;
  expect(trustError.unitId).toBe(set.unitId);
  expect(trustError.message).toContain(set.unitId);
  expect(trustError.reason).toMatch(reason);
  return trustError;
}

describe('verifyUnitKeySet', () => {
  it('accepts keys signed by the unit’s own organisation root and returns clean public JWKs', async () => {
    const verified = await verifyUnitKeySet(await servedSet(P), {
      trustedRootFingerprints: { [police.id]: [police.root.kid] },
    });
    expect(verified).toEqual({
      unitId: P.id,
      organisationId: police.id,
      encryptionKeys: [
        {
          kty: 'OKP',
          crv: 'X25519',
          x: P.enc.publicJwk.x,
          kid: P.enc.kid,
          use: 'enc',
          alg: 'ECDH-ES+A256KW',
        },
      ],
      signingKeys: [
        {
          kty: 'OKP',
          crv: 'Ed25519',
          x: P.sig.publicJwk.x,
          kid: P.sig.kid,
          use: 'sig',
          alg: 'EdDSA',
        },
      ],
    });
    expect(verified.encryptionKeys[0]).not.toHaveProperty('d');
  });

  it('accepts an organisation without pins unless pinning is required', async () => {
    const set = await servedSet(C);
    await expect(verifyUnitKeySet(set)).resolves.toMatchObject({ unitId: C.id });
    await expect(
      verifyUnitKeySet(set, { trustedRootFingerprints: { [police.id]: [police.root.kid] } }),
    ).resolves.toMatchObject({ unitId: C.id });
    const err = await expectRejected(set, /is not pinned/, {
      trustedRootFingerprints: { [police.id]: [police.root.kid] },
      requirePinnedRoots: true,
    });
    // It says what to do: compare the fingerprint out of band, then pin it.
    expect(err).toBeInstanceOf(RootKeyNotPinnedError);
    expect(err.message).toContain(
      `organisation ${C.org.id}'s root key is not pinned (the keys of unit ${C.id} depend on it): compare fingerprint ${C.org.root.kid}`,
    );
    expect(err.message).toContain(`samverkan keys pin ${C.org.id} ${C.org.root.kid}`);
    expect(err.message).not.toContain('(none)');
  });

  it('refuses a key whose statement is signed by a root key of another organisation', async () => {
    // The directory serves the police root key beside the municipality's, and a statement for
    // unit C signed by it (e.g. the hub or a rogue police admin trying to add a key for C).
    const forged = await servedKey(C, 'enc', police.root);
    const set: DirectoryUnitKeySet = {
      unitId: C.id,
      organisationId: municipality.id,
      rootKeys: [servedRoot(municipality), servedRoot(police)],
      keys: [forged],
    };
    const err = await expectRejected(set, /belongs to another organisation/);
    expect(err.kid).toBe(C.enc.kid);
  });

  it('refuses a foreign root key relabelled as the unit’s organisation when roots are pinned', async () => {
    const forged = await servedKey(C, 'enc', police.root);
    const set: DirectoryUnitKeySet = {
      unitId: C.id,
      organisationId: municipality.id,
      rootKeys: [servedRoot(police, { organisationId: municipality.id })],
      keys: [forged],
    };
    await expectRejected(set, /not pinned/, {
      trustedRootFingerprints: { [municipality.id]: [municipality.root.kid] },
    });
  });

  it('refuses a root key of the hub’s own that is not pinned, whatever fingerprint is served', async () => {
    const hubRoot = await generateRootKey();
    const hubEnc = await generateUnitEncryptionKey();
    const signed = await signUnitKey(hubRoot, {
      unit: C.id,
      org: municipality.id,
      use: 'enc',
      jwk: publicOf(hubEnc.publicJwk),
    });
    const set: DirectoryUnitKeySet = {
      unitId: C.id,
      organisationId: municipality.id,
      rootKeys: [
        servedRoot(municipality),
        // The served fingerprint claims to be the real one; it is never trusted.
        {
          kid: hubRoot.kid,
          organisationId: municipality.id,
          jwk: hubRoot.publicJwk,
          fingerprint: municipality.root.kid,
          status: 'active',
        },
      ],
      keys: [
        {
          ...(await servedKey(C, 'enc')),
          kid: hubEnc.kid,
          jwk: hubEnc.publicJwk,
          signed,
          rootKid: hubRoot.kid,
        },
      ],
    };
    const err = await expectRejected(set, /not pinned/, {
      trustedRootFingerprints: { [municipality.id]: [municipality.root.kid] },
    });
    expect(err.kid).toBe(hubEnc.kid);
  });

  it('refuses a served jwk that differs from the signed one', async () => {
    const other = await generateUnitEncryptionKey();
    const key = await servedKey(C, 'enc');
    // Same kid and statement, but the hub swaps in a public key it holds the private half of.
    const set: DirectoryUnitKeySet = {
      ...(await servedSet(C)),
      keys: [{ ...key, jwk: { ...other.publicJwk, kid: key.kid } }],
    };
    await expectRejected(set, /served key differs from the signed key/);
  });

  it('refuses a kid that is not the thumbprint of the signed key', async () => {
    const key = await servedKey(C, 'enc');
    const set: DirectoryUnitKeySet = {
      ...(await servedSet(C)),
      keys: [{ ...key, kid: N.enc.kid, jwk: publicOf(key.jwk) }],
    };
    await expectRejected(set, /kid is not the thumbprint/);
  });

  it('refuses a statement for another unit, another use, or with a broken signature', async () => {
    // C's own key, served for N (same organisation, same root): the statement names C.
    const forN: DirectoryUnitKeySet = {
      unitId: N.id,
      organisationId: municipality.id,
      rootKeys: [servedRoot(municipality)],
      keys: [{ ...(await servedKey(C, 'enc')), unitId: N.id }],
    };
    await expectRejected(forN, /names another unit/);

    // An encryption key statement served as a signing key (with an Ed25519 jwk substituted).
    const encStatement = await servedKey(C, 'enc');
    const asSig: DirectoryUnitKeySet = {
      ...(await servedSet(C)),
      keys: [{ ...encStatement, use: 'sig', alg: 'EdDSA', jwk: C.sig.publicJwk, kid: C.sig.kid }],
    };
    await expectRejected(asSig, /for use enc, not sig/);

    const good = await servedKey(C, 'sig');
    const [h, p, s] = good.signed.split('.');
    const flipped = `${s![0] === 'A' ? 'B' : 'A'}${s!.slice(1)}`;
    const broken: DirectoryUnitKeySet = {
      ...(await servedSet(C)),
      keys: [{ ...good, signed: `${h}.${p}.${flipped}` }],
    };
    await expectRejected(broken, /does not verify/);
  });

  it('refuses keys signed by a revoked root key or an unknown root key', async () => {
    const set = await servedSet(P);
    await expectRejected(
      { ...set, rootKeys: [servedRoot(police, { status: 'revoked' })] },
      /not active/,
    );
    await expectRejected({ ...set, rootKeys: [] }, /not among the organisation's root keys/);
  });

  it('refuses a root key served under a kid that is not its thumbprint', async () => {
    const set = await servedSet(P);
    const statement = await new CompactSign(
      new TextEncoder().encode(
        JSON.stringify({
          unit: P.id,
          org: police.id,
          use: 'enc',
          jwk: publicOf(P.enc.publicJwk),
          iat: 1,
        }),
      ),
    )
      .setProtectedHeader({ alg: 'EdDSA', kid: 'made-up-kid', typ: 'unit-key+jws' })
      .sign(await importJWK(police.root.privateJwk, 'EdDSA'));
    await expectRejected(
      {
        ...set,
        rootKeys: [servedRoot(police, { kid: 'made-up-kid' })],
        keys: [{ ...(await servedKey(P, 'enc')), signed: statement, rootKid: 'made-up-kid' }],
      },
      /kid that is not its thumbprint/,
    );
  });

  it('leaves out revoked keys and keeps retired signing keys for old envelopes', async () => {
    const retiredSig = await generateUnitSigningKey();
    const retiredEnc = await generateUnitEncryptionKey();
    const older: Unit = { ...P, enc: retiredEnc, sig: retiredSig };
    const set: DirectoryUnitKeySet = {
      ...(await servedSet(P)),
      keys: [
        await servedKey(P, 'enc'),
        await servedKey(P, 'sig'),
        await servedKey(older, 'enc', police.root, { status: 'retired' }),
        await servedKey(older, 'sig', police.root, { status: 'retired' }),
        { ...(await servedKey(older, 'enc')), status: 'revoked', signed: 'garbage' },
      ],
    };
    const verified = await verifyUnitKeySet(set);
    expect(verified.encryptionKeys.map((k) => k.kid)).toEqual([P.enc.kid]);
    expect(verified.signingKeys.map((k) => k.kid)).toEqual([P.sig.kid, retiredSig.kid]);
  });

  it('one forged key makes the whole set untrusted', async () => {
    const set = await servedSet(C);
    set.keys.push({ ...(await servedKey(C, 'enc')), jwk: N.enc.publicJwk });
    await expectRejected(set, /served key differs/);
  });

  it('verifyKeysResponse verifies every unit of a response', async () => {
    const trust = {
      trustedRootFingerprints: {
        [police.id]: [police.root.kid],
        [municipality.id]: [municipality.root.kid],
      },
    };
    const result = await verifyKeysResponse(
      { units: [await servedSet(P), await servedSet(C), await servedSet(N)] },
      trust,
    );
    expect([...result.keys()]).toEqual([P.id, C.id, N.id]);
    expect(result.get(N.id)!.encryptionKeys[0]!.kid).toBe(N.enc.kid);
  });

  it('rootKeyFingerprint is the RFC 7638 thumbprint shown for out-of-band comparison', async () => {
    await expect(rootKeyFingerprint(police.root.publicJwk)).resolves.toBe(
      await calculateJwkThumbprint(publicOf(police.root.publicJwk), 'sha256'),
    );
    await expect(rootKeyFingerprint(P.enc.publicJwk)).rejects.toThrow(TypeError);
  });
});
