import {
  base64url,
  calculateJwkThumbprint,
  CompactSign,
  generateKeyPair,
  importJWK,
  type JWK,
} from 'jose';
import {
  generateRootKey,
  generateUnitEncryptionKey,
  generateUnitSigningKey,
  ProblemError,
  signUnitKey,
  type KeyPairJwk,
} from '@samverkan/shared';
import { DirectoryProblems as P } from './errors';
import {
  hasPrivateMaterial,
  normalisePublicJwk,
  verifySignedUnitKey,
  type RootKeyRef,
} from './unit-keys';

const ORG = '10000000-0000-4000-8000-000000000581';
const OTHER_ORG = '20000000-0000-4000-8000-000000000005';
const UNIT = { id: '11000000-0000-4000-8000-000000000001', organisationId: ORG };

let root: KeyPairJwk;
let otherRoot: KeyPairJwk;
let encKey: KeyPairJwk;
let sigKey: KeyPairJwk;
let roots: Map<string, RootKeyRef>;

const findRootKey = async (kid: string) => roots.get(kid);
const rootRef = (
  key: KeyPairJwk,
  organisationId = ORG,
  status: RootKeyRef['status'] = 'active',
): RootKeyRef => ({
  kid: key.kid,
  organisationId,
  status,
  jwk: key.publicJwk as Record<string, string>,
});

/** Signs an arbitrary payload with the given root key (EdDSA, kid = root kid) unless told otherwise. */
async function signRaw(
  payload: unknown,
  key: KeyPairJwk = root,
  header: Record<string, unknown> = {},
): Promise<string> {
  return new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
    .setProtectedHeader({ alg: 'EdDSA', kid: key.kid, typ: 'unit-key+jws', ...header })
    .sign(await importJWK(key.privateJwk, 'EdDSA'));
}

async function expectRefusal(
  promise: Promise<unknown>,
  definition: (typeof P)[keyof typeof P],
  detail?: RegExp,
): Promise<void> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ProblemError);
  expect((err as ProblemError).definition).toBe(definition);
  if (detail) {
    expect((err as ProblemError).message).toMatch(detail);
  }
}

const statement = (jwk: JWK, overrides: Record<string, unknown> = {}) => ({
  unit: UNIT.id,
  org: ORG,
  use: 'enc',
  jwk,
  ...overrides,
});

beforeAll(async () => {
  [root, otherRoot, encKey, sigKey] = await Promise.all([
    generateRootKey(),
    generateRootKey(),
    generateUnitEncryptionKey(),
    generateUnitSigningKey(),
  ]);
});

beforeEach(() => {
  roots = new Map([
    [root.kid, rootRef(root)],
    [otherRoot.kid, rootRef(otherRoot, OTHER_ORG)],
  ]);
});

describe('verifySignedUnitKey', () => {
  it('accepts an encryption key signed by an active root key of the unit’s organisation', async () => {
    const signed = await signUnitKey(root, {
      unit: UNIT.id,
      org: ORG,
      use: 'enc',
      jwk: encKey.publicJwk,
    });
    const verified = await verifySignedUnitKey(signed, UNIT, findRootKey);
    expect(verified).toEqual({
      use: 'enc',
      rootKid: root.kid,
      jwk: {
        kty: 'OKP',
        crv: 'X25519',
        x: encKey.publicJwk.x,
        kid: encKey.kid,
        alg: 'ECDH-ES+A256KW',
        use: 'enc',
      },
    });
    expect(verified.jwk.kid).toBe(
      await calculateJwkThumbprint({ kty: 'OKP', crv: 'X25519', x: encKey.publicJwk.x! }, 'sha256'),
    );
  });

  it('accepts a signing key, given without kid, alg or use', async () => {
    const { kty, crv, x } = sigKey.publicJwk;
    const signed = await signUnitKey(root, {
      unit: UNIT.id,
      org: ORG,
      use: 'sig',
      jwk: { kty, crv, x },
    });
    const verified = await verifySignedUnitKey(signed, UNIT, findRootKey);
    expect(verified.jwk).toEqual({
      kty: 'OKP',
      crv: 'Ed25519',
      x,
      kid: sigKey.kid,
      alg: 'EdDSA',
      use: 'sig',
    });
  });

  describe('refuses, as key-private-material', () => {
    it('a private JWK pasted instead of a signed statement', async () => {
      await expectRefusal(
        verifySignedUnitKey(JSON.stringify(encKey.privateJwk), UNIT, findRootKey),
        P.keyPrivateMaterial,
      );
      await expectRefusal(
        verifySignedUnitKey(
          `  ${JSON.stringify({ kty: 'oct', k: 'c2VjcmV0' })}`,
          UNIT,
          findRootKey,
        ),
        P.keyPrivateMaterial,
      );
    });

    it('a statement carrying a private JWK, before anything else is checked', async () => {
      await expectRefusal(
        verifySignedUnitKey(await signRaw(statement(encKey.privateJwk)), UNIT, findRootKey),
        P.keyPrivateMaterial,
      );
      // even with a wrong algorithm, unknown root and other unit
      const wrong = `${base64url.encode(JSON.stringify({ alg: 'none' }))}.${base64url.encode(
        JSON.stringify(statement(encKey.privateJwk, { unit: 'x', org: 'y' })),
      )}.`;
      await expectRefusal(verifySignedUnitKey(wrong, UNIT, findRootKey), P.keyPrivateMaterial);
    });
  });

  describe('refuses private material hidden anywhere in the statement (found by the hostile review)', () => {
    const secret = () => ({ ...encKey.privateJwk });
    it.each([
      ['an extra payload member', () => statement(encKey.publicJwk, { backup: secret() })],
      ['a nested extra member', () => statement(encKey.publicJwk, { x: { y: [1, secret()] } })],
      [
        'an extra member of the JWK',
        () => statement({ ...encKey.publicJwk, priv: secret() } as JWK),
      ],
      ['a bare d beside the payload', () => statement(encKey.publicJwk, { d: 'c2VjcmV0' })],
    ])('%s', async (_name, payload) => {
      await expectRefusal(
        verifySignedUnitKey(await signRaw(payload()), UNIT, findRootKey),
        P.keyPrivateMaterial,
      );
    });

    it('a JWK in the protected header', async () => {
      const signed = await signRaw(statement(encKey.publicJwk), root, { jwk: secret() });
      await expectRefusal(verifySignedUnitKey(signed, UNIT, findRootKey), P.keyPrivateMaterial);
    });
  });

  describe('refuses members outside the documented shape, as key-malformed', () => {
    it.each([
      ['an extra payload member', statement({} as JWK, { note: 'hello' })],
      ['an extra JWK member', statement({ key_ops: ['deriveBits'] } as JWK)],
    ])('%s', async (_name, payload) => {
      const jwk = { ...encKey.publicJwk, ...(payload.jwk as object) };
      await expectRefusal(
        verifySignedUnitKey(await signRaw({ ...payload, jwk }), UNIT, findRootKey),
        P.keyMalformed,
        /key_ops|note/,
      );
    });

    it('an extra header member, or another typ', async () => {
      await expectRefusal(
        verifySignedUnitKey(
          await signRaw(statement(encKey.publicJwk), root, { x5u: 'https://evil.example' }),
          UNIT,
          findRootKey,
        ),
        P.keyMalformed,
        /x5u/,
      );
      await expectRefusal(
        verifySignedUnitKey(
          await signRaw(statement(encKey.publicJwk), root, { typ: 'JWT' }),
          UNIT,
          findRootKey,
        ),
        P.keyMalformed,
        /typ/,
      );
    });

    it('an iat that is not whole seconds', async () => {
      await expectRefusal(
        verifySignedUnitKey(
          await signRaw(statement(encKey.publicJwk, { iat: 'yesterday' })),
          UNIT,
          findRootKey,
        ),
        P.keyMalformed,
        /iat/,
      );
    });
  });

  describe('refuses, as key-malformed', () => {
    it('a public JWK pasted instead of a signed statement', async () => {
      await expectRefusal(
        verifySignedUnitKey(JSON.stringify(encKey.publicJwk), UNIT, findRootKey),
        P.keyMalformed,
        /compact JWS/,
      );
      await expectRefusal(verifySignedUnitKey('{not json', UNIT, findRootKey), P.keyMalformed);
    });

    it('something that is not a compact JWS', async () => {
      for (const bad of ['', 'abc', 'a.b', 'a.b.c.d', 'a.b.c.d.e']) {
        await expectRefusal(verifySignedUnitKey(bad, UNIT, findRootKey), P.keyMalformed);
      }
    });

    it('a header or payload that is not base64url JSON', async () => {
      const header = base64url.encode(JSON.stringify({ alg: 'EdDSA', kid: root.kid }));
      await expectRefusal(
        verifySignedUnitKey(`${header}.${base64url.encode('not json')}.sig`, UNIT, findRootKey),
        P.keyMalformed,
      );
      await expectRefusal(
        verifySignedUnitKey(`%%%.${base64url.encode('{}')}.sig`, UNIT, findRootKey),
        P.keyMalformed,
      );
    });

    it('a payload that is not an object', async () => {
      for (const payload of [[1, 2], 'text', 42, null]) {
        await expectRefusal(
          verifySignedUnitKey(await signRaw(payload), UNIT, findRootKey),
          P.keyMalformed,
        );
      }
    });

    it('a JWS that is not EdDSA or does not name its root key', async () => {
      const es = await generateKeyPair('ES256');
      const es256 = await new CompactSign(
        new TextEncoder().encode(JSON.stringify(statement(encKey.publicJwk))),
      )
        .setProtectedHeader({ alg: 'ES256', kid: root.kid })
        .sign(es.privateKey);
      await expectRefusal(
        verifySignedUnitKey(es256, UNIT, findRootKey),
        P.keyMalformed,
        /alg EdDSA/,
      );
      const noKid = await new CompactSign(
        new TextEncoder().encode(JSON.stringify(statement(encKey.publicJwk))),
      )
        .setProtectedHeader({ alg: 'EdDSA' })
        .sign(await importJWK(root.privateJwk, 'EdDSA'));
      await expectRefusal(verifySignedUnitKey(noKid, UNIT, findRootKey), P.keyMalformed, /kid/);
    });

    it('a use other than enc or sig, or no JWK', async () => {
      await expectRefusal(
        verifySignedUnitKey(
          await signRaw(statement(encKey.publicJwk, { use: 'both' })),
          UNIT,
          findRootKey,
        ),
        P.keyMalformed,
      );
      await expectRefusal(
        verifySignedUnitKey(
          await signRaw(statement(encKey.publicJwk, { use: undefined })),
          UNIT,
          findRootKey,
        ),
        P.keyMalformed,
      );
      await expectRefusal(
        verifySignedUnitKey(
          await signRaw({ unit: UNIT.id, org: ORG, use: 'enc' }),
          UNIT,
          findRootKey,
        ),
        P.keyMalformed,
      );
      await expectRefusal(
        verifySignedUnitKey(await signRaw(statement('x' as unknown as JWK)), UNIT, findRootKey),
        P.keyMalformed,
      );
    });

    it('a key of the wrong curve for its use, or with a conflicting use, alg or kid', async () => {
      // an Ed25519 key published for encryption
      await expectRefusal(
        verifySignedUnitKey(await signRaw(statement(sigKey.publicJwk)), UNIT, findRootKey),
        P.keyMalformed,
      );
      // an X25519 key published for signing
      await expectRefusal(
        verifySignedUnitKey(
          await signRaw(statement(encKey.publicJwk, { use: 'sig' })),
          UNIT,
          findRootKey,
        ),
        P.keyMalformed,
      );
      const { kty, crv, x } = encKey.publicJwk;
      for (const jwk of [
        { kty, crv, x, use: 'sig' },
        { kty, crv, x, alg: 'EdDSA' },
        { kty, crv, x, kid: 'my-own-name' },
        { kty, crv, x: `${x}AA` },
        { kty: 'EC', crv: 'P-256', x, y: x },
      ]) {
        await expectRefusal(
          verifySignedUnitKey(await signRaw(statement(jwk as JWK)), UNIT, findRootKey),
          P.keyMalformed,
        );
      }
    });
  });

  describe('refuses, as key-signature-invalid', () => {
    it('a statement naming a root key that is not registered', async () => {
      const stranger = await generateRootKey();
      await expectRefusal(
        verifySignedUnitKey(
          await signRaw(statement(encKey.publicJwk), stranger),
          UNIT,
          findRootKey,
        ),
        P.keySignatureInvalid,
        /No root key/,
      );
    });

    it('a statement signed by a revoked root key', async () => {
      roots.set(root.kid, rootRef(root, ORG, 'revoked'));
      await expectRefusal(
        verifySignedUnitKey(await signRaw(statement(encKey.publicJwk)), UNIT, findRootKey),
        P.keySignatureInvalid,
        /revoked/,
      );
    });

    it('a statement whose signature is not the root key’s', async () => {
      // names the organisation's root key but is signed with another key
      const forged = await signRaw(statement(encKey.publicJwk), { ...otherRoot, kid: root.kid });
      await expectRefusal(
        verifySignedUnitKey(forged, UNIT, findRootKey),
        P.keySignatureInvalid,
        /does not verify/,
      );
    });

    it('a statement changed after signing', async () => {
      const signed = await signUnitKey(root, {
        unit: UNIT.id,
        org: ORG,
        use: 'enc',
        jwk: encKey.publicJwk,
      });
      const [header, , signature] = signed.split('.');
      const other = await generateUnitEncryptionKey();
      const swapped = `${header}.${base64url.encode(JSON.stringify(statement(other.publicJwk)))}.${signature}`;
      await expectRefusal(verifySignedUnitKey(swapped, UNIT, findRootKey), P.keySignatureInvalid);
    });
  });

  describe('refuses, as key-wrong-organisation', () => {
    it('a statement signed by another organisation’s root key', async () => {
      const signed = await signUnitKey(otherRoot, {
        unit: UNIT.id,
        org: ORG,
        use: 'enc',
        jwk: encKey.publicJwk,
      });
      await expectRefusal(verifySignedUnitKey(signed, UNIT, findRootKey), P.keyWrongOrganisation);
    });

    it('a statement that names another organisation', async () => {
      const signed = await signUnitKey(root, {
        unit: UNIT.id,
        org: OTHER_ORG,
        use: 'enc',
        jwk: encKey.publicJwk,
      });
      await expectRefusal(
        verifySignedUnitKey(signed, UNIT, findRootKey),
        P.keyWrongOrganisation,
        /names another organisation/,
      );
    });
  });

  it('refuses, as key-unit-mismatch, a statement for another unit', async () => {
    const signed = await signUnitKey(root, {
      unit: '11000000-0000-4000-8000-000000000002',
      org: ORG,
      use: 'enc',
      jwk: encKey.publicJwk,
    });
    await expectRefusal(verifySignedUnitKey(signed, UNIT, findRootKey), P.keyUnitMismatch);
  });
});

describe('hasPrivateMaterial', () => {
  it('spots private and symmetric JWK members', () => {
    for (const m of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k', 'oth']) {
      expect(hasPrivateMaterial({ kty: 'X', [m]: 'v' })).toBe(true);
    }
    expect(hasPrivateMaterial({ kty: 'OKP', crv: 'X25519', x: 'abc' })).toBe(false);
    expect(hasPrivateMaterial(null)).toBe(false);
    expect(hasPrivateMaterial('d')).toBe(false);
  });

  it('looks at every depth', () => {
    expect(hasPrivateMaterial({ a: [{ b: { k: 'c2VjcmV0' } }] })).toBe(true);
    expect(hasPrivateMaterial([[{ oth: [] }]])).toBe(true);
    expect(hasPrivateMaterial({ a: [{ b: { x: 'd' } }] })).toBe(false);
  });
});

describe('normalisePublicJwk', () => {
  it('uses the given problem for a malformed key', async () => {
    await expectRefusal(
      normalisePublicJwk({ kty: 'RSA' }, 'sig', P.rootKeyMalformed),
      P.rootKeyMalformed,
    );
    await expectRefusal(
      normalisePublicJwk({ ...root.privateJwk }, 'sig', P.rootKeyMalformed),
      P.keyPrivateMaterial,
    );
  });

  it('refuses members a public JWK does not have (root keys too)', async () => {
    await expectRefusal(
      normalisePublicJwk({ ...root.publicJwk, comment: 'x' }, 'sig', P.rootKeyMalformed),
      P.rootKeyMalformed,
      /comment/,
    );
    await expectRefusal(
      normalisePublicJwk(
        { ...root.publicJwk, extra: { d: 'c2VjcmV0' } },
        'sig',
        P.rootKeyMalformed,
      ),
      P.keyPrivateMaterial,
    );
  });
});
