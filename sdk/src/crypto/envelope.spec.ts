/**
 * Envelope version 2 (docs/envelope.md): a nested JWT in a General JSON JWE, with every clear
 * metadata member bound as additional authenticated data and signed inside. Envelopes built "with
 * jose directly" below are what any other JOSE producer would send; the conformance vectors
 * (sdk/conformance) add an independent implementation (Python's jwcrypto).
 */
import { randomUUID } from 'node:crypto';
import {
  base64url,
  compactVerify,
  decodeProtectedHeader,
  GeneralEncrypt,
  generalDecrypt,
  importJWK,
  SignJWT,
  type CryptoKey,
  type GeneralJWE,
  type JWK,
} from 'jose';
import { canonicalJson } from './canonical-json';
import {
  verifyUnitKeySet,
  type DirectoryUnitKeySet,
  type VerifiedUnitKeys,
} from './directory-keys';
import {
  compareRecord,
  ENVELOPE_SIZE_BUCKETS,
  EnvelopeError,
  envelopeRoutingInfo,
  openEnvelope,
  referralMetadata,
  sameValue,
  sealEnvelope,
  utf8Length,
  validateReferralDocument,
  type EnvelopeErrorCode,
  type EnvelopeMetadataInput,
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

const META = {
  category: 'trafficking_sexual',
  urgency: 'acute',
  ageBand: 'adult',
  gender: 'female',
  citizenshipGroup: 'eu',
  municipalityCode: '0581',
  legalBasis: 'consent',
};

function referralMetaFor(to: Unit[], overrides: Record<string, unknown> = {}) {
  return referralMetadata({
    ...META,
    id: randomUUID(),
    senderUnitId: P.id,
    recipientUnitId: to[0]!.id,
    copyUnitIds: to.slice(1).map((u) => u.id),
    ...overrides,
  });
}

function sealFromP(
  to: Unit[],
  overrides: Partial<SealEnvelopeInput> = {},
): ReturnType<typeof sealEnvelope> {
  return sealEnvelope({
    meta: referralMetaFor(to),
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
const encodeText = (text: string) => base64url.encode(new TextEncoder().encode(text));
const decodeAad = (jwe: GeneralJweEnvelope): Record<string, unknown> =>
  JSON.parse(new TextDecoder().decode(base64url.decode(jwe.aad))) as Record<string, unknown>;

/** Decrypts as C and returns the compact JWS inside (what any JOSE library sees). */
async function innerJws(jwe: GeneralJweEnvelope, unit: Unit = C): Promise<string> {
  const { plaintext } = await generalDecrypt(
    jwe as GeneralJWE,
    await importJWK(unit.enc[0]!.privateJwk, 'ECDH-ES+A256KW'),
  );
  return new TextDecoder().decode(plaintext);
}

/** Encrypts a plaintext with any aad for the given keys, as a recipient holding the JWS could. */
async function encryptRaw(
  plaintext: string,
  aadText: string,
  recipients: KeyPairJwk[],
  cty = 'JWT',
): Promise<GeneralJWE> {
  const encrypt = new GeneralEncrypt(new TextEncoder().encode(plaintext))
    .setProtectedHeader({ enc: 'A256GCM', cty })
    .setAdditionalAuthenticatedData(new TextEncoder().encode(aadText));
  for (const key of recipients) {
    encrypt
      .addRecipient(await importJWK(key.publicJwk, 'ECDH-ES+A256KW'))
      .setUnprotectedHeader({ alg: 'ECDH-ES+A256KW', kid: key.kid });
  }
  return encrypt.encrypt();
}

/** A version 1 envelope, exactly as the SDK sealed them before version 2. */
async function v1Envelope(to: Unit[]): Promise<{ jwe: GeneralJWE; rid: string }> {
  const rid = randomUUID();
  const iat = Math.floor(Date.now() / 1000);
  const aud = to.map((u) => u.id).sort();
  const jws = await new SignJWT({ doc: referralDocument() })
    .setProtectedHeader({ alg: 'EdDSA', kid: P.sig.kid, typ: 'referral+jwt' })
    .setIssuer(P.id)
    .setAudience(aud)
    .setSubject(rid)
    .setJti(randomUUID())
    .setIssuedAt(iat)
    .sign(await importJWK(P.sig.privateJwk, 'EdDSA'));
  const plaintext = JSON.stringify({ v: 1, jws, pad: '    ' });
  const jwe = await encryptRaw(
    plaintext,
    canonicalJson({ rid, from: P.id, to: aud, iat }),
    [...to.flatMap((u) => u.enc), ...P.enc],
    'referral+jwt',
  );
  return { jwe, rid };
}

// ----- tests

describe('sealEnvelope / openEnvelope (version 2)', () => {
  it('round trip: P seals a referral to C with N in copy; C, N and P (sender copy) open it', async () => {
    const sealed = await sealFromP([C, N]);
    for (const unit of [C, N]) {
      const opened = await openAs(unit, sealed.jwe, {
        expected: { rid: sealed.rid, kind: 'referral' },
      });
      expect(opened).toMatchObject({ version: 2, kind: 'referral', document: referralDocument() });
      expect(opened.metadata).toEqual(sealed.metadata);
    }
    const own = await openEnvelope(sealed.jwe, {
      unitId: P.id,
      decryptionKeys: [{ kid: P.enc[0]!.kid, privateJwk: P.enc[0]!.privateJwk }],
      senderSigningKeys: P.trusted.signingKeys,
    });
    expect(own.claims.iss).toBe(P.id);
    // Either of C's two active keys (a rotation overlap) opens it.
    await expect(openAs(C, sealed.jwe, { keyIndex: 1 })).resolves.toMatchObject({ version: 2 });
  });

  it('is a nested JWT: protected {enc, cty: JWT}, plaintext the compact JWS, aad the canonical metadata', async () => {
    const sealed = await sealFromP([C, N]);
    const jwe = sealed.jwe;
    expect(JSON.parse(new TextDecoder().decode(base64url.decode(jwe.protected)))).toEqual({
      enc: 'A256GCM',
      cty: 'JWT',
    });
    const aad = decodeAad(jwe);
    expect(aad).toEqual({
      v: 2,
      kind: 'referral',
      referralId: sealed.rid,
      senderUnitId: P.id,
      recipientUnitId: C.id,
      copyUnitIds: [N.id],
      ...META,
      forwardedFromId: null,
      iat: sealed.iat,
    });
    expect(new TextDecoder().decode(base64url.decode(jwe.aad))).toBe(canonicalJson(aad));
    expect(jwe.recipients.map((r) => Object.keys(r.header).sort())).toEqual(
      jwe.recipients.map(() => ['alg', 'epk', 'kid']),
    );
    expect(jwe.recipients.map((r) => r.header.kid).sort()).toEqual(
      [...C.enc, ...N.enc, ...P.enc].map((k) => k.kid).sort(),
    );

    const jws = await innerJws(jwe);
    expect(decodeProtectedHeader(jws)).toEqual({
      alg: 'EdDSA',
      kid: P.sig.kid,
      typ: 'referral+jwt',
    });
    const { payload } = await compactVerify(jws, await importJWK(P.sig.publicJwk, 'EdDSA'));
    const claims = JSON.parse(new TextDecoder().decode(payload)) as Record<string, unknown>;
    expect(Object.keys(claims).sort()).toEqual([
      'aad',
      'aud',
      'doc',
      'iat',
      'iss',
      'jti',
      'pad',
      'sub',
    ]);
    expect(claims).toMatchObject({
      iss: P.id,
      aud: [C.id, N.id].sort(),
      sub: sealed.rid,
      iat: sealed.iat,
      aad,
      doc: referralDocument(),
    });
    expect(claims.pad).toMatch(/^ *$/);
  });

  it('seals messages and field requests with their own typ and metadata', async () => {
    const referralId = randomUUID();
    const messageId = randomUUID();
    const message = await sealFromP([C], {
      meta: {
        kind: 'message',
        referralId,
        messageId,
        senderUnitId: P.id,
        recipientUnitIds: [C.id],
      },
      document: { messageId, text: 'hej' },
    });
    const openedMessage = await openAs(C, message.jwe, { expected: { rid: referralId } });
    expect(openedMessage).toMatchObject({ kind: 'message', document: { text: 'hej' } });
    expect(openedMessage.metadata).toMatchObject({ messageId, recipientUnitIds: [C.id] });
    expect(decodeProtectedHeader(await innerJws(message.jwe)).typ).toBe('referral-message+jwt');

    const fieldRequestId = randomUUID();
    const fr = await sealFromP([C, N], {
      meta: {
        kind: 'field_request',
        fieldRequestId,
        operationId: randomUUID(),
        requesterUnitId: P.id,
        participantUnitIds: [N.id, C.id],
        urgency: 'acute',
        neededBy: '2026-12-01T22:00:00.000Z',
        estimatedPersons: { adults: 2, children: 0, unknown: 1 },
        languages: ['ro'],
        flags: { childSuspected: false, protectedHousingLikely: true, buyerPresent: false },
      },
      document: { address: 'Testgatan 1' },
    });
    const openedFr = await openAs(N, fr.jwe, { expected: { rid: fieldRequestId } });
    expect(openedFr.kind).toBe('field_request');
    expect(openedFr.metadata).toMatchObject({ participantUnitIds: [C.id, N.id].sort() });
  });

  it('checks the expected id and kind', async () => {
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

  it('a unit that is not addressed cannot open it', async () => {
    const sealed = await sealFromP([C]);
    await expectEnvelopeError(openAs(N, sealed.jwe), 'not_a_recipient');
  });
});

describe('version 1 envelopes', () => {
  it('still open, with the version and only the routing metadata', async () => {
    const { jwe, rid } = await v1Envelope([C]);
    expect(envelopeRoutingInfo(jwe)).toMatchObject({ version: 1, kind: 'referral' });
    const opened = await openAs(C, jwe, { expected: { rid, kind: 'referral' } });
    expect(opened).toMatchObject({ version: 1, document: referralDocument(), metadata: undefined });
    expect(opened.aad).toMatchObject({ rid, from: P.id, to: [C.id] });
  });
});

describe('tampering', () => {
  it('an aad with a member changed no longer decrypts', async () => {
    const sealed = await sealFromP([C, N]);
    for (const change of [{ category: 'other' }, { copyUnitIds: [] }, { ageBand: 'child' }]) {
      const tampered = clone(sealed.jwe);
      tampered.aad = encodeText(canonicalJson({ ...sealed.metadata, ...change }));
      await expectEnvelopeError(openAs(C, tampered), 'decryption_failed');
    }
  });

  it('a recipient that re-encrypts the signed JWS under other metadata is caught by the signed aad claim', async () => {
    const sealed = await sealFromP([C]);
    const jws = await innerJws(sealed.jwe);
    const forged = { ...sealed.metadata, category: 'other' };
    const jwe = await encryptRaw(jws, canonicalJson(forged), [...C.enc, ...P.enc]);
    const err = await expectEnvelopeError(openAs(C, jwe), 'aad_mismatch');
    expect(err.field).toBe('aad');
  });

  it('a recipient cannot re-send the signed content to a unit of its choice', async () => {
    const sealed = await sealFromP([C]);
    const jws = await innerJws(sealed.jwe);
    const resent = referralMetaFor([N], { id: sealed.rid });
    const jwe = await encryptRaw(jws, canonicalJson({ ...resent, v: 2, iat: sealed.iat }), [
      ...N.enc,
      ...P.enc,
    ]);
    const err = await expectEnvelopeError(openAs(N, jwe), 'aad_mismatch');
    expect(err.field).toBe('aud');
  });

  it('a JWS signed by another unit’s key is refused', async () => {
    const sealed = await sealEnvelope({
      meta: referralMetaFor([C]),
      document: referralDocument(),
      sender: { signingKey: { kid: N.sig.kid, privateJwk: N.sig.privateJwk } },
      recipients: [{ unitId: C.id, encryptionKeys: C.trusted.encryptionKeys }],
      senderEncryptionKeys: P.trusted.encryptionKeys,
    });
    await expectEnvelopeError(openAs(C, sealed.jwe), 'bad_signature');
  });

  it('a changed ciphertext or protected header does not decrypt', async () => {
    const sealed = await sealFromP([C]);
    const ct = clone(sealed.jwe);
    ct.ciphertext = base64url.encode(
      base64url.decode(ct.ciphertext).map((b, i) => (i === 0 ? b ^ 1 : b)),
    );
    await expectEnvelopeError(openAs(C, ct), 'decryption_failed');
  });
});

describe("the hub's record against the signed metadata", () => {
  it('passes when every member matches (unit lists as sets, times as instants)', async () => {
    const sealed = await sealFromP([C, N]);
    const opened = await openAs(C, sealed.jwe);
    const record = {
      ...sealed.metadata,
      copyUnitIds: [
        ...(sealed.metadata.kind === 'referral' ? sealed.metadata.copyUnitIds : []),
      ].reverse(),
      status: 'sent',
    };
    expect(() => compareRecord(opened, record)).not.toThrow();
  });

  it.each([
    ['senderUnitId', () => randomUUID()],
    ['copyUnitIds', () => []],
    ['category', () => 'other'],
    ['ageBand', () => 'child'],
    ['legalBasis', () => 'legal_duty'],
    ['forwardedFromId', () => randomUUID()],
  ])('names %s when the hub shows another value', async (field, value) => {
    const sealed = await sealFromP([C, N]);
    const opened = await openAs(C, sealed.jwe);
    let err: unknown;
    try {
      compareRecord(opened, { ...sealed.metadata, [field]: value() });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(EnvelopeError);
    expect(err).toMatchObject({ code: 'record_mismatch', field });
    expect((err as Error).message).toContain(field);
  });
});

describe('padding', () => {
  const plaintextLength = (jwe: GeneralJweEnvelope) => base64url.decode(jwe.ciphertext).length;

  it('documents of very different small sizes give a JWS as long as the 2 KiB bucket (or one byte less)', async () => {
    const small = await sealFromP([C], {
      document: referralDocument({ situation: { summary: 'x' } }),
    });
    const larger = await sealFromP([C], {
      document: referralDocument({ situation: { summary: 'y'.repeat(300) } }),
    });
    for (const sealed of [small, larger]) {
      expect(plaintextLength(sealed.jwe)).toBeGreaterThanOrEqual(2047);
      expect(plaintextLength(sealed.jwe)).toBeLessThanOrEqual(2048);
    }
  });

  it('a 20 KB document lands in the 32 KiB bucket and still opens', async () => {
    const document = referralDocument({
      attachments: [{ name: 'note.txt', mediaType: 'text/plain', dataBase64: 'QUJD'.repeat(5000) }],
    });
    const sealed = await sealFromP([C], { document });
    expect(ENVELOPE_SIZE_BUCKETS).toContain(32768);
    expect(plaintextLength(sealed.jwe)).toBeGreaterThanOrEqual(32767);
    expect(plaintextLength(sealed.jwe)).toBeLessThanOrEqual(32768);
    await expect(openAs(C, sealed.jwe)).resolves.toMatchObject({ document });
  });

  it('refuses content larger than the largest bucket', async () => {
    await expectEnvelopeError(
      sealFromP([C], { document: { text: 'z'.repeat(800_000) }, validate: false }),
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
  });

  it('refuses metadata that is not of the documented shape, naming the member', async () => {
    const bad = async (meta: Record<string, unknown>, field: string) => {
      const err = await expectEnvelopeError(
        sealFromP([C], { meta: meta as unknown as EnvelopeMetadataInput }),
        'malformed',
      );
      expect(err.field).toBe(field);
    };
    await bad({ ...referralMetaFor([C]), referralId: '' }, 'referralId');
    await bad({ ...referralMetaFor([C]), category: 7 }, 'category');
    await bad({ ...referralMetaFor([C]), extra: 'x' }, 'extra');
    await bad({ ...referralMetaFor([C]), copyUnitIds: [C.id] }, 'copyUnitIds');
    await expectEnvelopeError(sealFromP([C], { iat: -1 }), 'malformed');
  });

  it('refuses a signing key whose kid is not its thumbprint', async () => {
    await expectEnvelopeError(
      sealFromP([C], { sender: { signingKey: { kid: N.sig.kid, privateJwk: P.sig.privateJwk } } }),
      'invalid_key',
    );
  });
});

describe("envelopeRoutingInfo (the hub's shape check)", () => {
  let sealed: Awaited<ReturnType<typeof sealEnvelope>>;
  beforeAll(async () => {
    sealed = await sealFromP([C, N]);
  });

  it('reads the version, metadata and key ids without decrypting, also after a JSON round trip', () => {
    const info = envelopeRoutingInfo(JSON.parse(JSON.stringify(sealed.jwe)));
    expect(info).toMatchObject({ version: 2, kind: 'referral', metadata: sealed.metadata });
    expect(info.aad).toEqual({
      rid: sealed.rid,
      from: P.id,
      to: [C.id, N.id].sort(),
      iat: sealed.iat,
    });
    expect(info.recipientKids).toHaveLength(4);
  });

  it('refuses what is not an envelope, or not of the shape', () => {
    expectMalformed(null);
    expectMalformed({ ...sealed.jwe, extra: 1 }, /unexpected member/);
    expectMalformed({ ...sealed.jwe, aad: 'not base64url!' });
    expectMalformed({ ...sealed.jwe, protected: encodeText('{"enc":"A256GCM","cty":"other"}') });
  });

  it('refuses a non-canonical aad or one with members of another kind', () => {
    const meta = sealed.metadata as unknown as Record<string, unknown>;
    expectMalformed({ ...sealed.jwe, aad: encodeText(JSON.stringify(meta, null, 1)) }, /canonical/);
    expectMalformed({ ...sealed.jwe, aad: encodeText(canonicalJson({ ...meta, v: 3 })) }, /aad\.v/);
    expectMalformed(
      { ...sealed.jwe, aad: encodeText(canonicalJson({ ...meta, messageId: 'x' })) },
      /messageId/,
    );
  });

  it('refuses garbage key material in a recipient entry', () => {
    const garbage = clone(sealed.jwe);
    garbage.recipients[0]!.encrypted_key = base64url.encode(new Uint8Array(7));
    expectMalformed(garbage, /40-byte/);
    const badEpk = clone(sealed.jwe);
    badEpk.recipients[0]!.header.epk = { kty: 'OKP', crv: 'X25519', x: 'AAAA' } as JWK;
    expectMalformed(badEpk, /epk/);
  });

  it('measures iv, tag and wrapped keys to the byte, one byte off either way refused', () => {
    // The lengths are counted from the base64url text; every length of text is covered here.
    for (const [bytes, pattern] of [
      [11, /96 bits/],
      [13, /96 bits/],
    ] as const) {
      expectMalformed({ ...sealed.jwe, iv: base64url.encode(new Uint8Array(bytes)) }, pattern);
    }
    for (const bytes of [15, 17]) {
      expectMalformed({ ...sealed.jwe, tag: base64url.encode(new Uint8Array(bytes)) }, /128 bits/);
    }
    for (const bytes of [39, 41, 42]) {
      const wrong = clone(sealed.jwe);
      wrong.recipients[0]!.encrypted_key = base64url.encode(new Uint8Array(bytes));
      expectMalformed(wrong, /40-byte/);
    }
    expect(() =>
      envelopeRoutingInfo({ ...sealed.jwe, iv: base64url.encode(new Uint8Array(12).fill(255)) }),
    ).not.toThrow();
  });

  it('counts the stored size in UTF-8 bytes, ASCII or not', () => {
    const info = envelopeRoutingInfo(sealed.jwe);
    expect(info.sizeBytes).toBe(Buffer.byteLength(info.json));
    expect(utf8Length('åäö – 🙂')).toBe(Buffer.byteLength('åäö – 🙂'));
  });
});

describe('keys as non-extractable CryptoKeys (a browser)', () => {
  it('seals with a non-extractable signing key and opens with non-extractable decryption keys', async () => {
    const signing = (await importJWK(P.sig.privateJwk, 'EdDSA', {
      extractable: false,
    })) as CryptoKey;
    expect(signing.extractable).toBe(false);
    const sealed = await sealFromP([C], {
      sender: { signingKey: { kid: P.sig.kid, privateKey: signing } },
    });
    const decryption = await Promise.all(
      C.enc.map(async (k) => ({
        kid: k.kid,
        privateKey: (await importJWK(k.privateJwk, 'ECDH-ES+A256KW', {
          extractable: false,
        })) as CryptoKey,
      })),
    );
    const opened = await openEnvelope(sealed.jwe, {
      unitId: C.id,
      decryptionKeys: decryption,
      senderSigningKeys: P.trusted.signingKeys,
    });
    expect(opened.document).toEqual(referralDocument());
    expect(opened.aad.from).toBe(P.id);
  });

  it('refuses a CryptoKey that is not a private Ed25519 key as the signing key', async () => {
    const wrong = (await importJWK(C.enc[0]!.privateJwk, 'ECDH-ES+A256KW')) as CryptoKey;
    await expectEnvelopeError(
      sealFromP([C], { sender: { signingKey: { kid: P.sig.kid, privateKey: wrong } } }),
      'invalid_key',
    );
  });
});

describe('the routing info helpers', () => {
  it('counts UTF-8 bytes as TextEncoder encodes them, surrogate pairs and lone ones alike', () => {
    const texts = [
      '',
      'abc',
      'åäö',
      '€',
      '😀',
      'a😀b',
      '\ud800',
      '\udc00x',
      'x\ud800',
      '\ud800\ud800',
    ];
    for (let i = 0; i < 500; i++) {
      texts.push(
        String.fromCharCode(
          ...Array.from({ length: 12 }, (_, j) => ((i * 7919 + j * 104729) % 0xffff) + 1),
        ),
      );
    }
    for (const text of texts) {
      expect(utf8Length(text)).toBe(new TextEncoder().encode(text).length);
    }
  });

  it('compares members: primitives exactly, objects by canonical JSON, unit lists as sets', () => {
    expect(sameValue('category', 'a', 'a')).toBe(true);
    expect(sameValue('category', 'a', 'b')).toBe(false);
    expect(sameValue('version', 1, '1')).toBe(false);
    expect(sameValue('legalBasis', null, 'consent')).toBe(false);
    expect(sameValue('x', { b: 1, a: [2] }, { a: [2], b: 1 })).toBe(true);
    expect(sameValue('x', { a: 1 }, { a: 2 })).toBe(false);
    expect(sameValue('copyUnitIds', ['b', 'a'], ['a', 'b'])).toBe(true);
    expect(sameValue('x', undefined, null)).toBe(false);
  });
});
