/**
 * The envelope is standard JOSE: a JWE in General JSON Serialization (RFC 7516 §7.2.1) with
 * per-recipient `ECDH-ES+A256KW` on X25519 (RFC 8037) and `A256GCM`, around a JWT (RFC 7519)
 * signed with EdDSA/Ed25519. Nothing in it is specific to jose, so Python's jwcrypto (JWE with
 * `aad=` and one `add_recipient(key, header={"alg": "ECDH-ES+A256KW", "kid": …})` per key, and
 * `jwt.JWT(header={"alg": "EdDSA", "kid": …, "typ": "referral+jwt"}, claims=…)` inside) can produce
 * and consume it, as DESIGN §4 requires. These tests stay within Node; the envelopes built "with
 * jose directly" below are what any other producer would send.
 */
import { randomUUID } from 'node:crypto';
import {
  base64url,
  decodeProtectedHeader,
  GeneralEncrypt,
  generalDecrypt,
  importJWK,
  jwtVerify,
  SignJWT,
  type GeneralJWE,
  type JWK,
} from 'jose';
import { canonicalJson } from '../audit/hash-chain';
import {
  verifyUnitKeySet,
  type DirectoryUnitKeySet,
  type VerifiedUnitKeys,
} from './directory-keys';
import {
  ENVELOPE_SIZE_BUCKETS,
  EnvelopeError,
  envelopeRoutingInfo,
  openEnvelope,
  sealEnvelope,
  validateReferralDocument,
  type EnvelopeAad,
  type EnvelopeErrorCode,
  type GeneralJweEnvelope,
  type SealEnvelopeInput,
} from './envelope';
import {
  generateRootKey,
  generateUnitEncryptionKey,
  generateUnitSigningKey,
  signUnitKey,
  type KeyPairJwk,
} from './unit-keys';

// ----- a fake directory: police unit P; coordinator unit C and NGO unit N of a second organisation

interface Org {
  id: string;
  root: KeyPairJwk;
}
interface Unit {
  id: string;
  org: Org;
  enc: KeyPairJwk[];
  sig: KeyPairJwk;
  trusted: VerifiedUnitKeys;
}

const publicOf = (jwk: JWK): JWK => ({ kty: jwk.kty, crv: jwk.crv, x: jwk.x });

async function makeUnit(org: Org, encKeys = 1): Promise<Unit> {
  const id = randomUUID();
  const enc: KeyPairJwk[] = [];
  for (let i = 0; i < encKeys; i++) {
    enc.push(await generateUnitEncryptionKey());
  }
  const sig = await generateUnitSigningKey();
  const served = async (pair: KeyPairJwk, use: 'enc' | 'sig') => ({
    kid: pair.kid,
    unitId: id,
    organisationId: org.id,
    use,
    jwk: pair.publicJwk,
    signed: await signUnitKey(org.root, {
      unit: id,
      org: org.id,
      use,
      jwk: publicOf(pair.publicJwk),
    }),
    rootKid: org.root.kid,
    status: 'active',
  });
  const set: DirectoryUnitKeySet = {
    unitId: id,
    organisationId: org.id,
    rootKeys: [
      { kid: org.root.kid, organisationId: org.id, jwk: org.root.publicJwk, status: 'active' },
    ],
    keys: [...(await Promise.all(enc.map((k) => served(k, 'enc')))), await served(sig, 'sig')],
  };
  // Clients only ever use keys that passed the trust checks, pinned to the organisation root.
  const trusted = await verifyUnitKeySet(set, {
    trustedRootFingerprints: { [org.id]: [org.root.kid] },
    requirePinnedRoots: true,
  });
  return { id, org, enc, sig, trusted };
}

let P: Unit;
let C: Unit;
let N: Unit;

beforeAll(async () => {
  const police: Org = { id: randomUUID(), root: await generateRootKey() };
  const region: Org = { id: randomUUID(), root: await generateRootKey() };
  P = await makeUnit(police);
  C = await makeUnit(region, 2); // two active keys, as during a rotation overlap
  N = await makeUnit(region);
});

// ----- helpers

function referralDocument(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    version: 1,
    person: {
      alias: 'A',
      ageBand: 'adult',
      gender: 'female',
      languages: ['ro', 'en'],
      interpreterNeeded: true,
    },
    situation: {
      summary: 'Met during an operation; wants protected housing tonight.',
      exploitation: ['trafficking_sexual'],
      risks: ['exploiter nearby'],
    },
    requests: ['protected_housing', 'support_talks'],
    consent: { given: true, recordedAt: '2025-03-01T21:15:00Z', scope: 'housing and support' },
    senderContact: { role: 'officer', unitName: 'Trafficking group', phone: '+46 10 000 00 00' },
    ...overrides,
  };
}

function sealFromP(
  to: Unit[],
  overrides: Partial<SealEnvelopeInput> = {},
): ReturnType<typeof sealEnvelope> {
  return sealEnvelope({
    kind: 'referral',
    rid: randomUUID(),
    from: P.id,
    to: to.map((u) => u.id),
    document: referralDocument(),
    sender: { signingKey: { kid: P.sig.kid, privateJwk: P.sig.privateJwk } },
    recipients: to.map((u) => ({ unitId: u.id, encryptionKeys: u.trusted.encryptionKeys })),
    senderEncryptionKeys: P.trusted.encryptionKeys,
    ...overrides,
  });
}

function openAs(
  unit: Unit,
  jwe: unknown,
  options: {
    expected?: { rid?: string; kind?: 'referral' | 'message' | 'field_request' };
    keyIndex?: number;
  } = {},
) {
  const keys = options.keyIndex === undefined ? unit.enc : [unit.enc[options.keyIndex]!];
  return openEnvelope(jwe, {
    unitId: unit.id,
    decryptionKeys: keys.map((k) => ({ kid: k.kid, privateJwk: k.privateJwk })),
    senderSigningKeys: P.trusted.signingKeys,
    expected: options.expected,
  });
}

async function expectEnvelopeError(
  promise: Promise<unknown>,
  code: EnvelopeErrorCode,
): Promise<EnvelopeError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(EnvelopeError);
  expect((err as EnvelopeError).code).toBe(code);
  return err as EnvelopeError;
}

function expectMalformed(jwe: unknown, message?: RegExp): void {
  let err: unknown;
  try {
    envelopeRoutingInfo(jwe);
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(EnvelopeError);
  expect((err as EnvelopeError).code).toBe('malformed');
  if (message) {
    expect((err as EnvelopeError).message).toMatch(message);
  }
}

const clone = <T>(value: T): T => structuredClone(value);
const encodeJson = (value: unknown, text = canonicalJson(value)) =>
  base64url.encode(new TextEncoder().encode(text));
const decodeAad = (jwe: GeneralJweEnvelope): EnvelopeAad =>
  JSON.parse(new TextDecoder().decode(base64url.decode(jwe.aad))) as EnvelopeAad;

/** A JWT signed as a sender would, built with jose alone. */
async function signInner(
  signer: KeyPairJwk,
  claims: { iss: string; aud: string[]; sub: string; iat: number },
  options: { typ?: string; kid?: string; doc?: Record<string, unknown> } = {},
): Promise<string> {
  return new SignJWT({ doc: options.doc ?? referralDocument() })
    .setProtectedHeader({
      alg: 'EdDSA',
      kid: options.kid ?? signer.kid,
      typ: options.typ ?? 'referral+jwt',
    })
    .setIssuer(claims.iss)
    .setAudience(claims.aud)
    .setSubject(claims.sub)
    .setJti(randomUUID())
    .setIssuedAt(claims.iat)
    .sign(await importJWK(signer.privateJwk, 'EdDSA'));
}

/** An envelope built with jose directly, as another JOSE library would build it. */
async function rawEnvelope(
  jws: string,
  aad: EnvelopeAad,
  recipients: KeyPairJwk[],
  cty = 'referral+jwt',
): Promise<GeneralJWE> {
  const plaintext = new TextEncoder().encode(JSON.stringify({ v: 1, jws, pad: '    ' }));
  const encrypt = new GeneralEncrypt(plaintext)
    .setProtectedHeader({ enc: 'A256GCM', cty })
    .setAdditionalAuthenticatedData(new TextEncoder().encode(canonicalJson(aad)));
  for (const key of recipients) {
    encrypt
      .addRecipient(await importJWK(key.publicJwk, 'ECDH-ES+A256KW'))
      .setUnprotectedHeader({ alg: 'ECDH-ES+A256KW', kid: key.kid });
  }
  return encrypt.encrypt();
}

// ----- tests

describe('sealEnvelope / openEnvelope', () => {
  it('round trip: P seals a referral to C; C and P (sender copy) open it', async () => {
    const document = referralDocument();
    const sealed = await sealFromP([C], { document, iat: 1_740_000_000 });
    expect(sealed).toMatchObject({ from: P.id, to: [C.id], iat: 1_740_000_000 });

    const atC = await openAs(C, sealed.jwe, { expected: { rid: sealed.rid, kind: 'referral' } });
    expect(atC.kind).toBe('referral');
    expect(atC.document).toEqual(document);
    expect(atC.aad).toEqual({ rid: sealed.rid, from: P.id, to: [C.id], iat: 1_740_000_000 });
    expect(atC.claims).toEqual({
      iss: P.id,
      aud: [C.id],
      sub: sealed.rid,
      jti: expect.stringMatching(/^[0-9a-f-]{36}$/),
      iat: 1_740_000_000,
    });

    // Each of C's overlapping keys opens it on its own.
    await expect(openAs(C, sealed.jwe, { keyIndex: 1 })).resolves.toMatchObject({ document });
    const atP = await openAs(P, sealed.jwe);
    expect(atP.document).toEqual(document);
    expect(atP.claims.jti).toBe(atC.claims.jti);
  });

  it('has the JOSE shape of DESIGN §4', async () => {
    const sealed = await sealFromP([C, N]);
    const { jwe } = sealed;
    expect(Object.keys(jwe).sort()).toEqual([
      'aad',
      'ciphertext',
      'iv',
      'protected',
      'recipients',
      'tag',
    ]);
    expect(JSON.parse(new TextDecoder().decode(base64url.decode(jwe.protected)))).toEqual({
      enc: 'A256GCM',
      cty: 'referral+jwt',
    });
    const to = [C.id, N.id].sort();
    expect(new TextDecoder().decode(base64url.decode(jwe.aad))).toBe(
      canonicalJson({ rid: sealed.rid, from: P.id, to, iat: sealed.iat }),
    );
    // One entry per active encryption key of every addressed unit and of the sender.
    const kids = [...C.enc, ...N.enc, ...P.enc].map((k) => k.kid);
    expect(jwe.recipients.map((r) => r.header.kid).sort()).toEqual(kids.sort());
    for (const recipient of jwe.recipients) {
      expect(recipient.header).toEqual({
        alg: 'ECDH-ES+A256KW',
        kid: expect.any(String),
        epk: { kty: 'OKP', crv: 'X25519', x: expect.any(String) },
      });
    }
    const opened = await openAs(N, jwe);
    expect(opened.claims.aud).toEqual(to);
    // Inside: {"v":1,"jws":…,"pad":…} and a JWT signed by P's unit key.
    const { plaintext } = await generalDecrypt(
      jwe,
      await importJWK(N.enc[0]!.privateJwk, 'ECDH-ES+A256KW'),
    );
    const body = JSON.parse(new TextDecoder().decode(plaintext)) as {
      v: number;
      jws: string;
      pad: string;
    };
    expect(Object.keys(body)).toEqual(['v', 'jws', 'pad']);
    expect(body.v).toBe(1);
    expect(body.pad).toMatch(/^ +$/);
    expect(decodeProtectedHeader(body.jws)).toEqual({
      alg: 'EdDSA',
      kid: P.sig.kid,
      typ: 'referral+jwt',
    });
    const { payload } = await jwtVerify(body.jws, await importJWK(P.sig.publicJwk, 'EdDSA'));
    expect(payload).toEqual({
      iss: P.id,
      aud: to,
      sub: sealed.rid,
      jti: expect.any(String),
      iat: sealed.iat,
      doc: referralDocument(),
    });
  });

  it('a unit that is not addressed cannot open it', async () => {
    const sealed = await sealFromP([C]);
    await expectEnvelopeError(openAs(N, sealed.jwe), 'not_a_recipient');
  });

  it('takes the sender signing keys from a resolver given the routing metadata', async () => {
    const sealed = await sealFromP([C]);
    const seen: EnvelopeAad[] = [];
    const opened = await openEnvelope(sealed.jwe, {
      unitId: C.id,
      decryptionKeys: C.enc.map((k) => ({ kid: k.kid, privateJwk: k.privateJwk })),
      senderSigningKeys: (aad) => {
        seen.push(aad);
        return aad.from === P.id ? P.trusted.signingKeys : [];
      },
    });
    expect(opened.claims.iss).toBe(P.id);
    expect(seen).toEqual([{ rid: sealed.rid, from: P.id, to: [C.id], iat: sealed.iat }]);
  });

  it('checks the expected referral id and kind', async () => {
    const sealed = await sealFromP([C]);
    await expectEnvelopeError(
      openAs(C, sealed.jwe, { expected: { rid: randomUUID() } }),
      'wrong_referral',
    );
    await expectEnvelopeError(
      openAs(C, sealed.jwe, { expected: { kind: 'message' } }),
      'wrong_kind',
    );
  });

  it('seals messages and field requests with their own typ, without the referral schema', async () => {
    const message = await sealFromP([C], {
      kind: 'message',
      document: { text: 'Can you call me?' },
    });
    expect(envelopeRoutingInfo(message.jwe).kind).toBe('message');
    await expect(openAs(C, message.jwe, { expected: { kind: 'message' } })).resolves.toMatchObject({
      kind: 'message',
      document: { text: 'Can you call me?' },
    });
    const fieldRequest = await sealFromP([C, N], {
      kind: 'field_request',
      document: { address: 'Drottninggatan 1' },
    });
    expect(
      JSON.parse(new TextDecoder().decode(base64url.decode(fieldRequest.jwe.protected))),
    ).toEqual({
      enc: 'A256GCM',
      cty: 'field-request+jwt',
    });
    await expect(openAs(N, fieldRequest.jwe)).resolves.toMatchObject({ kind: 'field_request' });
  });
});

describe('tampering', () => {
  it('an aad with a recipient dropped or the rid changed no longer decrypts', async () => {
    const sealed = await sealFromP([C, N]);
    const aad = decodeAad(sealed.jwe);

    const dropped = clone(sealed.jwe);
    dropped.aad = encodeJson({ ...aad, to: [C.id] });
    expect(envelopeRoutingInfo(dropped).aad.to).toEqual([C.id]); // the shape is still fine
    await expectEnvelopeError(openAs(C, dropped), 'decryption_failed');
    await expectEnvelopeError(openAs(P, dropped), 'decryption_failed');

    const otherRid = clone(sealed.jwe);
    otherRid.aad = encodeJson({ ...aad, rid: randomUUID() });
    await expectEnvelopeError(openAs(C, otherRid), 'decryption_failed');

    const added = clone(sealed.jwe);
    added.aad = encodeJson({ ...aad, to: [...aad.to, randomUUID()].sort() });
    await expectEnvelopeError(openAs(C, added), 'decryption_failed');
  });

  it('a changed ciphertext, tag or protected header does not decrypt', async () => {
    const { jwe } = await sealFromP([C]);
    const flip = (s: string) => `${s[0] === 'A' ? 'B' : 'A'}${s.slice(1)}`;
    await expectEnvelopeError(
      openAs(C, { ...jwe, ciphertext: flip(jwe.ciphertext) }),
      'decryption_failed',
    );
    await expectEnvelopeError(openAs(C, { ...jwe, tag: flip(jwe.tag) }), 'decryption_failed');
    const otherCty = encodeJson({ enc: 'A256GCM', cty: 'referral-message+jwt' });
    await expectEnvelopeError(openAs(C, { ...jwe, protected: otherCty }), 'decryption_failed');
  });

  it('removing a unit’s recipient entries shuts that unit out; the others still open it', async () => {
    const { jwe } = await sealFromP([C]);
    const cKids = new Set(C.enc.map((k) => k.kid));
    const withoutC = { ...jwe, recipients: jwe.recipients.filter((r) => !cKids.has(r.header.kid)) };
    await expectEnvelopeError(openAs(C, withoutC), 'not_a_recipient');
    await expect(openAs(P, withoutC)).resolves.toMatchObject({ aad: { to: [C.id] } });
  });

  it('an inner JWT signed by another unit’s key is refused', async () => {
    const rid = randomUUID();
    const aad = { rid, from: P.id, to: [C.id], iat: 1_740_000_000 };
    const claims = { iss: P.id, aud: [C.id], sub: rid, iat: aad.iat };

    // N signs with its own key, claiming to be P.
    const byN = await signInner(N.sig, claims);
    await expectEnvelopeError(
      openAs(C, await rawEnvelope(byN, aad, [...C.enc, ...P.enc])),
      'bad_signature',
    );

    // N signs with its own key but names P's key id.
    const byNasP = await signInner(N.sig, claims, { kid: P.sig.kid });
    const err = await expectEnvelopeError(
      openAs(C, await rawEnvelope(byNasP, aad, [...C.enc, ...P.enc])),
      'bad_signature',
    );
    expect(err.message).toMatch(/does not verify/);

    // Built the same way but signed by P, it opens: the raw construction itself is sound.
    const byP = await signInner(P.sig, claims);
    await expect(
      openAs(C, await rawEnvelope(byP, aad, [...C.enc, ...P.enc])),
    ).resolves.toMatchObject({
      claims: { iss: P.id },
    });
  });

  it('an aad `to` that differs from the signed `aud` is an aad_mismatch', async () => {
    const rid = randomUUID();
    const iat = 1_740_000_000;
    const jws = await signInner(P.sig, { iss: P.id, aud: [C.id, N.id], sub: rid, iat });
    const jwe = await rawEnvelope(jws, { rid, from: P.id, to: [C.id], iat }, [...C.enc, ...P.enc]);
    await expectEnvelopeError(openAs(C, jwe), 'aad_mismatch');
  });

  it('a recipient cannot re-send the sender’s signed referral to a unit of its choice', async () => {
    // C received P's referral and re-wraps the very same signed JWT for N.
    const sealed = await sealFromP([C]);
    const { claims } = await openAs(C, sealed.jwe);
    const original = await signInner(P.sig, { ...claims, aud: [C.id] });
    const forwarded = await rawEnvelope(
      original,
      { rid: sealed.rid, from: P.id, to: [N.id], iat: claims.iat },
      [...N.enc, ...C.enc],
    );
    await expectEnvelopeError(openAs(N, forwarded), 'aad_mismatch');
  });

  it('a signed sub, iss or iat that differs from the aad is an aad_mismatch', async () => {
    const rid = randomUUID();
    const iat = 1_740_000_000;
    const aad = { rid, from: P.id, to: [C.id], iat };
    const keys = [...C.enc, ...P.enc];
    const otherSub = await signInner(P.sig, { iss: P.id, aud: [C.id], sub: randomUUID(), iat });
    await expectEnvelopeError(openAs(C, await rawEnvelope(otherSub, aad, keys)), 'aad_mismatch');
    const otherIss = await signInner(P.sig, { iss: N.id, aud: [C.id], sub: rid, iat });
    await expectEnvelopeError(openAs(C, await rawEnvelope(otherIss, aad, keys)), 'aad_mismatch');
    const otherIat = await signInner(P.sig, { iss: P.id, aud: [C.id], sub: rid, iat: iat + 1 });
    await expectEnvelopeError(openAs(C, await rawEnvelope(otherIat, aad, keys)), 'aad_mismatch');
  });

  it('an inner typ that differs from the envelope kind is refused', async () => {
    const rid = randomUUID();
    const aad = { rid, from: P.id, to: [C.id], iat: 1_740_000_000 };
    const jws = await signInner(
      P.sig,
      { iss: P.id, aud: [C.id], sub: rid, iat: aad.iat },
      { typ: 'referral-message+jwt' },
    );
    await expectEnvelopeError(openAs(C, await rawEnvelope(jws, aad, C.enc)), 'wrong_kind');
  });

  it('a plaintext that is not {v, jws, pad} is malformed', async () => {
    const aad = { rid: randomUUID(), from: P.id, to: [C.id], iat: 1 };
    const encrypt = new GeneralEncrypt(new TextEncoder().encode('{"v":2,"jws":"x","pad":""}'))
      .setProtectedHeader({ enc: 'A256GCM', cty: 'referral+jwt' })
      .setAdditionalAuthenticatedData(new TextEncoder().encode(canonicalJson(aad)));
    encrypt
      .addRecipient(await importJWK(C.enc[0]!.publicJwk, 'ECDH-ES+A256KW'))
      .setUnprotectedHeader({ alg: 'ECDH-ES+A256KW', kid: C.enc[0]!.kid });
    await expectEnvelopeError(openAs(C, await encrypt.encrypt()), 'malformed');
  });
});

describe('padding', () => {
  const plaintextLength = (jwe: GeneralJweEnvelope) => base64url.decode(jwe.ciphertext).length;

  it('documents of very different small sizes give ciphertexts of equal length', async () => {
    const small = await sealFromP([C], {
      document: referralDocument({ situation: { summary: 'x' } }),
    });
    const larger = await sealFromP([C], {
      document: referralDocument({ situation: { summary: 'y'.repeat(300) } }),
    });
    expect(plaintextLength(small.jwe)).toBe(2048);
    expect(plaintextLength(larger.jwe)).toBe(2048);
    expect(small.jwe.ciphertext.length).toBe(larger.jwe.ciphertext.length);
  });

  it('a 20 KB document lands in the 32 KiB bucket', async () => {
    const document = referralDocument({
      attachments: [{ name: 'note.txt', mediaType: 'text/plain', dataBase64: 'QUJD'.repeat(5000) }],
    });
    expect(JSON.stringify(document).length).toBeGreaterThan(20_000);
    const sealed = await sealFromP([C], { document });
    expect(ENVELOPE_SIZE_BUCKETS).toContain(32768);
    expect(plaintextLength(sealed.jwe)).toBe(32768);
    await expect(openAs(C, sealed.jwe)).resolves.toMatchObject({ document });
  });

  it('refuses content larger than the largest bucket', async () => {
    await expectEnvelopeError(
      sealFromP([C], { kind: 'message', document: { text: 'z'.repeat(800_000) } }),
      'too_large',
    );
  });
});

describe('referral document schema', () => {
  it('refuses a document without situation.summary before signing', async () => {
    const document = referralDocument({ situation: { risks: ['x'] } });
    expect(validateReferralDocument(document)).toEqual([
      { path: '/situation/summary', message: expect.stringContaining('summary') },
    ]);
    // A signing key that cannot be used: the document is refused before it is ever needed.
    const err = await expectEnvelopeError(
      sealFromP([C], {
        document,
        sender: { signingKey: { kid: 'nope', privateJwk: { kty: 'OKP' } } },
      }),
      'invalid_document',
    );
    expect(err.problems).toEqual([{ path: '/situation/summary', message: expect.any(String) }]);
    // The same broken key with a valid document fails on the key instead.
    await expectEnvelopeError(
      sealFromP([C], { sender: { signingKey: { kid: 'nope', privateJwk: { kty: 'OKP' } } } }),
      'invalid_key',
    );
  });

  it('refuses unknown properties at any level', async () => {
    const top = await expectEnvelopeError(
      sealFromP([C], { document: referralDocument({ name: 'x' }) }),
      'invalid_document',
    );
    expect(top.problems).toEqual([{ path: '/name', message: expect.any(String) }]);
    const nested = referralDocument();
    (nested.person as Record<string, unknown>).personalNumber = '19900101-1234';
    const deep = await expectEnvelopeError(
      sealFromP([C], { document: nested }),
      'invalid_document',
    );
    expect(deep.problems).toEqual([
      { path: '/person/personalNumber', message: expect.any(String) },
    ]);
  });

  it('checks values, limits and formats', () => {
    expect(validateReferralDocument(referralDocument())).toEqual([]);
    const paths = (doc: Record<string, unknown>) =>
      validateReferralDocument(doc).map((p) => p.path);
    expect(paths(referralDocument({ version: 2 }))).toEqual(['/version']);
    expect(paths(referralDocument({ requests: [] }))).toEqual(['/requests']);
    expect(paths(referralDocument({ requests: ['money'] }))).toEqual(['/requests/0']);
    expect(paths(referralDocument({ person: { ageBand: 'adult', birthYear: 1850 } }))).toEqual([
      '/person/birthYear',
    ]);
    expect(paths(referralDocument({ person: { ageBand: 'teen' } }))).toEqual(['/person/ageBand']);
    expect(paths(referralDocument({ person: { ageBand: 'adult', languages: ['SV'] } }))).toEqual([
      '/person/languages/0',
    ]);
    expect(paths(referralDocument({ consent: { given: true, recordedAt: 'yesterday' } }))).toEqual([
      '/consent/recordedAt',
    ]);
    expect(paths(referralDocument({ situation: { summary: 's'.repeat(10_001) } }))).toEqual([
      '/situation/summary',
    ]);
    const attachment = { name: 'a', mediaType: 'text/plain', dataBase64: 'QQ==' };
    expect(paths(referralDocument({ attachments: Array(6).fill(attachment) }))).toEqual([
      '/attachments',
    ]);
    expect(paths(referralDocument({ justification: 'Acute danger tonight.' }))).toEqual([]);
  });

  it('can be skipped on request (validate: false)', async () => {
    const sealed = await sealFromP([C], { document: { anything: true }, validate: false });
    await expect(openAs(C, sealed.jwe)).resolves.toMatchObject({ document: { anything: true } });
  });
});

describe('sealing inputs', () => {
  it('needs keys for every addressed unit and for the sender, and only for those', async () => {
    await expectEnvelopeError(
      sealFromP([C], { recipients: [{ unitId: C.id, encryptionKeys: [] }] }),
      'invalid_recipients',
    );
    await expectEnvelopeError(sealFromP([C], { recipients: [] }), 'invalid_recipients');
    await expectEnvelopeError(
      sealFromP([C], {
        recipients: [
          { unitId: C.id, encryptionKeys: C.trusted.encryptionKeys },
          { unitId: N.id, encryptionKeys: N.trusted.encryptionKeys },
        ],
      }),
      'invalid_recipients',
    );
    await expectEnvelopeError(sealFromP([C], { senderEncryptionKeys: [] }), 'invalid_recipients');
    await expectEnvelopeError(sealFromP([C], { to: [C.id, C.id] }), 'invalid_recipients');
    await expectEnvelopeError(sealFromP([C], { to: [] }), 'invalid_recipients');
    await expectEnvelopeError(sealFromP([C], { rid: '' }), 'malformed');
    await expectEnvelopeError(sealFromP([C], { iat: -1 }), 'malformed');
  });

  it('refuses an encryption key whose kid is not its thumbprint, or that is not X25519', async () => {
    const wrongKid = { ...C.trusted.encryptionKeys[0]!, kid: N.enc[0]!.kid };
    await expectEnvelopeError(
      sealFromP([C], { recipients: [{ unitId: C.id, encryptionKeys: [wrongKid] }] }),
      'invalid_key',
    );
    await expectEnvelopeError(
      sealFromP([C], { recipients: [{ unitId: C.id, encryptionKeys: [C.sig.publicJwk] }] }),
      'invalid_key',
    );
  });

  it('refuses an envelope with a single recipient key (a unit addressing only itself)', async () => {
    await expectEnvelopeError(
      sealFromP([P], {
        kind: 'message',
        document: { text: 'note to self' },
        recipients: [{ unitId: P.id, encryptionKeys: P.trusted.encryptionKeys }],
      }),
      'invalid_recipients',
    );
  });

  it('refuses a signing key whose kid is not its thumbprint', async () => {
    await expectEnvelopeError(
      sealFromP([C], { sender: { signingKey: { kid: N.sig.kid, privateJwk: P.sig.privateJwk } } }),
      'invalid_key',
    );
  });
});

describe('envelopeRoutingInfo', () => {
  let jwe: GeneralJweEnvelope;
  let sealed: Awaited<ReturnType<typeof sealEnvelope>>;
  beforeAll(async () => {
    sealed = await sealFromP([C]);
    jwe = sealed.jwe;
  });

  it('reads the routing metadata and key ids without decrypting', () => {
    const info = envelopeRoutingInfo(jwe);
    expect(info.aad).toEqual({ rid: sealed.rid, from: P.id, to: [C.id], iat: sealed.iat });
    expect(info.kind).toBe('referral');
    expect(info.enc).toBe('A256GCM');
    expect([...info.recipientKids].sort()).toEqual([...C.enc, ...P.enc].map((k) => k.kid).sort());
    expect(info.sizeBytes).toBe(Buffer.byteLength(JSON.stringify(jwe)));
  });

  it('accepts the envelope after a JSON round trip (as the server receives it)', () => {
    expect(envelopeRoutingInfo(JSON.parse(JSON.stringify(jwe))).aad.rid).toBe(sealed.rid);
  });

  it('throws malformed for what is not an envelope', () => {
    expectMalformed(null, /not a JSON object/);
    expectMalformed('eyJhbGciOi...', /not a JSON object/);
    expectMalformed([jwe], /not a JSON object/);
  });

  it('throws malformed for a missing or mistyped member', () => {
    const { ciphertext: _ciphertext, ...noCiphertext } = jwe;
    expectMalformed(noCiphertext, /ciphertext/);
    expectMalformed({ ...jwe, iv: 42 }, /iv/);
    expectMalformed({ ...jwe, unprotected: {} }, /unexpected member unprotected/);
    expectMalformed({ ...jwe, recipients: [] }, /recipients/);
    expectMalformed({ ...jwe, recipients: {} }, /recipients/);
  });

  it('throws malformed for an aad that is not base64url', () => {
    expectMalformed({ ...jwe, aad: 'eyJ+aWQiOjF9/' }, /aad/);
    expectMalformed({ ...jwe, aad: `${jwe.aad}=` }, /aad/);
    expectMalformed({ ...jwe, aad: '' }, /aad/);
  });

  it('throws malformed for an aad that is not canonical JSON of exactly {rid, from, to, iat}', () => {
    const aad = decodeAad(jwe);
    const reordered = `{"rid":${JSON.stringify(aad.rid)},"from":${JSON.stringify(aad.from)},"to":${JSON.stringify(aad.to)},"iat":${aad.iat}}`;
    expectMalformed({ ...jwe, aad: encodeJson(null, reordered) }, /canonical/);
    expectMalformed({ ...jwe, aad: encodeJson(null, JSON.stringify(aad, null, 1)) }, /canonical/);
    expectMalformed({ ...jwe, aad: encodeJson(null, 'not json') }, /JSON/);
    expectMalformed({ ...jwe, aad: encodeJson({ ...aad, category: 'x' }) }, /exactly/);
    expectMalformed({ ...jwe, aad: encodeJson({ ...aad, to: [] }) }, /to must list/);
    expectMalformed({ ...jwe, aad: encodeJson({ ...aad, iat: 1.5 }) }, /iat/);
  });

  it('throws malformed for a recipient with another alg or without a kid', () => {
    const withAlg = (alg: string) => ({
      ...jwe,
      recipients: jwe.recipients.map((r, i) =>
        i === 0 ? { ...r, header: { ...r.header, alg } } : r,
      ),
    });
    expectMalformed(withAlg('RSA-OAEP'), /alg/);
    expectMalformed(withAlg('ECDH-ES'), /alg/);
    const noKid = clone(jwe);
    delete (noKid.recipients[0]!.header as Partial<GeneralJweEnvelope['recipients'][0]['header']>)
      .kid;
    expectMalformed(noKid, /kid/);
    const duplicate = { ...jwe, recipients: [jwe.recipients[0]!, jwe.recipients[0]!] };
    expectMalformed(duplicate, /twice/);
  });

  it('throws malformed for a single-recipient form with epk in the protected header', async () => {
    // What jose writes for one recipient; an envelope always has at least two.
    const single = await rawEnvelope('x.y.z', decodeAad(jwe), [C.enc[0]!]);
    expect(Object.keys(decodeProtectedHeader(single))).toContain('epk');
    expectMalformed(single, /protected header/);
    const noEpk = clone(jwe);
    delete noEpk.recipients[1]!.header.epk;
    expectMalformed(noEpk, /epk/);
  });

  it('throws malformed for a protected header other than {enc: A256GCM, cty}', () => {
    expectMalformed(
      { ...jwe, protected: encodeJson({ enc: 'A128GCM', cty: 'referral+jwt' }) },
      /protected/,
    );
    expectMalformed(
      { ...jwe, protected: encodeJson({ enc: 'A256GCM', cty: 'referral+jwt', zip: 'DEF' }) },
      /protected/,
    );
    expectMalformed(
      { ...jwe, protected: encodeJson({ enc: 'A256GCM', cty: 'text/plain' }) },
      /content type/,
    );
  });
});
