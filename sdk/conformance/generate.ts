/**
 * Writes sdk/conformance/vectors.json: keys, a directory answer, envelopes and the outcome every
 * conforming recipient must reach (docs/envelope.md). Run `npx tsx sdk/conformance/generate.ts`
 * after a change to the envelope format; the vectors are committed and proven by
 * sdk/test/conformance.test.ts with this SDK and with Python's jwcrypto (jwcrypto_vectors.py).
 */
import fs from 'node:fs';
import path from 'node:path';
import { CompactSign, GeneralEncrypt, importJWK, type JWK } from 'jose';
import { canonicalJson } from '../src/crypto/canonical-json';
import type { DirectoryUnitKeySet } from '../src/crypto/directory-keys';
import {
  referralMetadata,
  sealEnvelope,
  type EnvelopeMetadataInput,
  type GeneralJweEnvelope,
} from '../src/crypto/envelope';
import {
  generateRootKey,
  generateUnitEncryptionKey,
  generateUnitSigningKey,
  signUnitKey,
  type KeyPairJwk,
} from '../src/crypto/unit-keys';

interface Unit {
  id: string;
  org: string;
  enc: KeyPairJwk;
  sig: KeyPairJwk;
}

const ORG_POLICE = '10000000-0000-4000-8000-000000000001';
const ORG_MUNICIPALITY = '10000000-0000-4000-8000-000000000002';
const ORG_COORDINATOR = '10000000-0000-4000-8000-000000000003';
const IAT = 1_798_000_000; // 2026-12-22, fixed so the vectors do not change meaning over time

const pub = (jwk: JWK): JWK => ({ kty: jwk.kty, crv: jwk.crv, x: jwk.x });

async function unit(id: string, org: string): Promise<Unit> {
  return { id, org, enc: await generateUnitEncryptionKey(), sig: await generateUnitSigningKey() };
}

async function keySet(
  u: Unit,
  roots: Record<string, KeyPairJwk>,
  signer: KeyPairJwk = roots[u.org]!,
): Promise<DirectoryUnitKeySet> {
  const served = async (pair: KeyPairJwk, use: 'enc' | 'sig') => ({
    kid: pair.kid,
    unitId: u.id,
    organisationId: u.org,
    use,
    alg: use === 'enc' ? 'ECDH-ES+A256KW' : 'EdDSA',
    jwk: pub(pair.publicJwk),
    signed: await signUnitKey(signer, { unit: u.id, org: u.org, use, jwk: pub(pair.publicJwk) }),
    rootKid: signer.kid,
    status: 'active',
  });
  const rootKeys = [roots[u.org]!, ...(signer === roots[u.org] ? [] : [signer])].map((r) => ({
    kid: r.kid,
    organisationId: u.org,
    jwk: pub(r.publicJwk),
    fingerprint: r.kid,
    status: 'active',
  }));
  return {
    unitId: u.id,
    organisationId: u.org,
    rootKeys,
    keys: [await served(u.enc, 'enc'), await served(u.sig, 'sig')],
  };
}

function toOf(meta: EnvelopeMetadataInput): string[] {
  return meta.kind === 'referral'
    ? [meta.recipientUnitId, ...(meta.copyUnitIds ?? [])]
    : meta.kind === 'message'
      ? meta.recipientUnitIds
      : meta.participantUnitIds;
}

async function main(): Promise<void> {
  const roots = {
    [ORG_POLICE]: await generateRootKey(),
    [ORG_MUNICIPALITY]: await generateRootKey(),
    [ORG_COORDINATOR]: await generateRootKey(),
  };
  const attackerRoot = await generateRootKey();
  const police = await unit('20000000-0000-4000-8000-000000000001', ORG_POLICE);
  const frideborg = await unit('20000000-0000-4000-8000-000000000002', ORG_MUNICIPALITY);
  const socialjour = await unit('20000000-0000-4000-8000-000000000003', ORG_MUNICIPALITY);
  const coordinator = await unit('20000000-0000-4000-8000-000000000004', ORG_COORDINATOR);
  const units = [police, frideborg, socialjour, coordinator];
  const byId = new Map(units.map((u) => [u.id, u]));
  const directory = { units: await Promise.all(units.map((u) => keySet(u, roots))) };
  const pins = Object.fromEntries(Object.entries(roots).map(([org, r]) => [org, [r.kid]]));

  const seal = async (
    from: Unit,
    meta: EnvelopeMetadataInput,
    document: Record<string, unknown>,
  ): Promise<GeneralJweEnvelope> =>
    (
      await sealEnvelope({
        meta,
        iat: IAT,
        document,
        validate: meta.kind === 'referral',
        sender: { signingKey: { kid: from.sig.kid, privateJwk: from.sig.privateJwk } },
        recipients: toOf(meta).map((id) => ({
          unitId: id,
          encryptionKeys: [pub({ ...byId.get(id)!.enc.publicJwk })],
        })),
        senderEncryptionKeys: [pub(from.enc.publicJwk)],
      })
    ).jwe;

  /** A JWE around any plaintext and aad, as a misbehaving producer (or recipient) could make. */
  const encryptRaw = async (plaintext: string, aad: unknown, to: Unit[], cty = 'JWT') => {
    const encrypt = new GeneralEncrypt(new TextEncoder().encode(plaintext))
      .setProtectedHeader({ enc: 'A256GCM', cty })
      .setAdditionalAuthenticatedData(new TextEncoder().encode(canonicalJson(aad)));
    for (const u of to) {
      encrypt
        .addRecipient(await importJWK(u.enc.publicJwk, 'ECDH-ES+A256KW'))
        .setUnprotectedHeader({ alg: 'ECDH-ES+A256KW', kid: u.enc.kid });
    }
    return encrypt.encrypt();
  };
  const signRaw = async (signer: KeyPairJwk, typ: string, claims: Record<string, unknown>) =>
    new CompactSign(new TextEncoder().encode(JSON.stringify(claims)))
      .setProtectedHeader({ alg: 'EdDSA', kid: signer.kid, typ })
      .sign(await importJWK(signer.privateJwk, 'EdDSA'));

  const document = {
    version: 1,
    person: { ageBand: 'adult', gender: 'female', languages: ['ro'] },
    situation: { summary: 'Conformance vector: met during an operation in Norrköping.' },
    requests: ['support_talks'],
    consent: { given: true },
    senderContact: { role: 'officer' },
  };
  const clear = {
    category: 'trafficking_sexual',
    urgency: 'acute',
    ageBand: 'adult',
    gender: 'female',
    citizenshipGroup: 'eu',
    municipalityCode: '0581',
    legalBasis: 'consent',
  };
  const referralId = '30000000-0000-4000-8000-000000000001';
  const referralMeta = referralMetadata({
    ...clear,
    id: referralId,
    senderUnitId: police.id,
    recipientUnitId: coordinator.id,
    copyUnitIds: [frideborg.id, socialjour.id],
  });
  const referralRecord = { ...referralMeta, id: referralId, status: 'sent' };
  const referral = await seal(police, referralMeta, document);

  const forwardedId = '30000000-0000-4000-8000-000000000002';
  const forwardedMeta = referralMetadata({
    ...clear,
    id: forwardedId,
    senderUnitId: coordinator.id,
    recipientUnitId: frideborg.id,
    forwardedFromId: referralId,
  });
  const forwarded = await seal(coordinator, forwardedMeta, document);

  const messageId = '30000000-0000-4000-8000-000000000003';
  const messageMeta = {
    kind: 'message' as const,
    referralId,
    messageId,
    senderUnitId: coordinator.id,
    recipientUnitIds: [police.id, frideborg.id, socialjour.id].sort(),
  };
  const message = await seal(coordinator, messageMeta, { messageId, text: 'Vi tar emot henne.' });

  const fieldRequestMeta = {
    kind: 'field_request' as const,
    fieldRequestId: '30000000-0000-4000-8000-000000000004',
    operationId: '40000000-0000-4000-8000-000000000001',
    requesterUnitId: police.id,
    participantUnitIds: [frideborg.id, socialjour.id].sort(),
    urgency: 'acute',
    neededBy: '2026-12-22T09:00:00.000Z',
    estimatedPersons: { adults: 2, children: 0, unknown: 1 },
    languages: ['ro'],
    flags: { childSuspected: false, protectedHousingLikely: true, buyerPresent: false },
  };
  const fieldRequest = await seal(police, fieldRequestMeta, { address: 'Testgatan 1, Norrköping' });

  // Refusals, each built as a producer or hub could misbehave.
  const aadV2 = { ...referralMeta, v: 2, iat: IAT };
  const tamperedAad: GeneralJweEnvelope = {
    ...referral,
    aad: Buffer.from(canonicalJson({ ...aadV2, category: 'other' })).toString('base64url'),
  };
  const claims = (overrides: Record<string, unknown>) => ({
    iss: police.id,
    aud: [coordinator.id, frideborg.id, socialjour.id].sort(),
    sub: referralId,
    jti: '50000000-0000-4000-8000-000000000001',
    iat: IAT,
    aad: aadV2,
    doc: document,
    pad: '',
    ...overrides,
  });
  const everyone = [coordinator, frideborg, socialjour, police];
  const wrongAud = await encryptRaw(
    await signRaw(police.sig, 'referral+jwt', claims({ aud: [coordinator.id] })),
    aadV2,
    everyone,
  );
  const wrongSub = await encryptRaw(
    await signRaw(police.sig, 'referral+jwt', claims({ sub: forwardedId })),
    aadV2,
    everyone,
  );
  const signedAadDiffers = await encryptRaw(
    await signRaw(police.sig, 'referral+jwt', claims({})),
    { ...aadV2, ageBand: 'child' },
    everyone,
  );
  const wrongTyp = await encryptRaw(
    await signRaw(police.sig, 'referral-message+jwt', claims({})),
    aadV2,
    everyone,
  );
  // The police unit's keys as a hub would serve them to swap in a signing key of its own.
  const forgedDirectory = {
    units: directory.units.map((s) => s),
  };
  const rogue = await unit(police.id, ORG_POLICE);
  forgedDirectory.units[0] = await keySet(rogue, roots, attackerRoot);
  const byRogue = await seal(rogue, referralMeta, document);
  const v1Rid = '30000000-0000-4000-8000-000000000005';
  const v1Jws = await signRaw(police.sig, 'referral+jwt', {
    doc: document,
    iss: police.id,
    aud: [coordinator.id],
    sub: v1Rid,
    jti: '50000000-0000-4000-8000-000000000002',
    iat: IAT,
  });
  const v1 = await encryptRaw(
    JSON.stringify({ v: 1, jws: v1Jws, pad: '    ' }),
    { from: police.id, iat: IAT, rid: v1Rid, to: [coordinator.id] },
    [coordinator, police],
    'referral+jwt',
  );

  const ok = (doc: unknown, metadata: unknown) => ({ ok: true, document: doc, metadata });
  const refused = (error: string, field?: string) => ({
    ok: false,
    error,
    ...(field ? { field } : {}),
  });
  const cases = [
    {
      name: 'referral to the coordinator with two copy units, opened by a copy unit',
      opener: frideborg.id,
      expected: { kind: 'referral', rid: referralId },
      envelope: referral,
      record: referralRecord,
      outcome: ok(document, aadV2),
    },
    {
      name: 'the same referral opened by its sender (its own copy)',
      opener: police.id,
      expected: { kind: 'referral', rid: referralId },
      envelope: referral,
      record: referralRecord,
      outcome: ok(document, aadV2),
    },
    {
      name: 'a forwarded referral (forwardedFromId bound)',
      opener: frideborg.id,
      expected: { kind: 'referral', rid: forwardedId },
      envelope: forwarded,
      record: { ...forwardedMeta, id: forwardedId, status: 'sent' },
      outcome: ok(document, { ...forwardedMeta, v: 2, iat: IAT }),
    },
    {
      name: 'a message on the referral',
      opener: police.id,
      expected: { kind: 'message', rid: referralId },
      envelope: message,
      record: messageMeta,
      outcome: ok({ messageId, text: 'Vi tar emot henne.' }, { ...messageMeta, v: 2, iat: IAT }),
    },
    {
      name: 'a field request to the social services units on shift',
      opener: socialjour.id,
      expected: { kind: 'field_request', rid: fieldRequestMeta.fieldRequestId },
      envelope: fieldRequest,
      record: { ...fieldRequestMeta, id: fieldRequestMeta.fieldRequestId, status: 'open' },
      outcome: ok({ address: 'Testgatan 1, Norrköping' }, { ...fieldRequestMeta, v: 2, iat: IAT }),
    },
    {
      name: 'a version 1 envelope stored before version 2 still opens',
      opener: coordinator.id,
      expected: { kind: 'referral', rid: v1Rid },
      envelope: v1,
      record: { senderUnitId: police.id },
      outcome: ok(document, null),
    },
    {
      name: 'tampered aad (category changed after sealing)',
      opener: coordinator.id,
      expected: { kind: 'referral', rid: referralId },
      envelope: tamperedAad,
      record: referralRecord,
      outcome: refused('decryption_failed'),
    },
    {
      name: "the hub's record shows another category than the sender signed",
      opener: coordinator.id,
      expected: { kind: 'referral', rid: referralId },
      envelope: referral,
      record: { ...referralRecord, category: 'other' },
      outcome: refused('record_mismatch', 'category'),
    },
    {
      name: "the hub's record hides a copy unit",
      opener: coordinator.id,
      expected: { kind: 'referral', rid: referralId },
      envelope: referral,
      record: { ...referralRecord, copyUnitIds: [frideborg.id] },
      outcome: refused('record_mismatch', 'copyUnitIds'),
    },
    {
      name: 'signed aud differs from the addressed units',
      opener: coordinator.id,
      expected: { kind: 'referral', rid: referralId },
      envelope: wrongAud,
      record: referralRecord,
      outcome: refused('aad_mismatch', 'aud'),
    },
    {
      name: 'signed sub differs from the referral id',
      opener: coordinator.id,
      expected: { kind: 'referral', rid: referralId },
      envelope: wrongSub,
      record: referralRecord,
      outcome: refused('aad_mismatch', 'sub'),
    },
    {
      name: 're-encrypted under other metadata than the sender signed (aad claim differs)',
      opener: coordinator.id,
      expected: { kind: 'referral', rid: referralId },
      envelope: signedAadDiffers,
      record: { ...referralRecord, ageBand: 'child' },
      outcome: refused('aad_mismatch', 'aad'),
    },
    {
      name: 'inner typ of another kind',
      opener: coordinator.id,
      expected: { kind: 'referral', rid: referralId },
      envelope: wrongTyp,
      record: referralRecord,
      outcome: refused('wrong_kind'),
    },
    {
      name: "signed by a key that the organisation's pinned root did not sign",
      opener: coordinator.id,
      expected: { kind: 'referral', rid: referralId },
      envelope: byRogue,
      record: referralRecord,
      directory: forgedDirectory,
      outcome: refused('untrusted_key'),
    },
    {
      name: "no recipient entry for the opener's key",
      opener: socialjour.id,
      expected: { kind: 'referral', rid: forwardedId },
      envelope: forwarded,
      record: { ...forwardedMeta, id: forwardedId },
      outcome: refused('not_a_recipient'),
    },
  ];

  const vectors = {
    description:
      'Envelope version 2 conformance vectors (docs/envelope.md). Private keys are test keys only.',
    pins,
    directory,
    privateKeys: Object.fromEntries(
      units.map((u) => [u.id, { enc: u.enc.privateJwk, sig: u.sig.privateJwk }]),
    ),
    cases,
  };
  const file = path.join(__dirname, 'vectors.json');
  fs.writeFileSync(file, `${JSON.stringify(vectors, null, 2)}\n`);
  process.stdout.write(`wrote ${path.relative(process.cwd(), file)} (${cases.length} cases)\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
