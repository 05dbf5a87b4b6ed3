import {
  base64url,
  calculateJwkThumbprint,
  CompactSign,
  decodeProtectedHeader,
  errors as joseErrors,
  GeneralEncrypt,
  generalDecrypt,
  importJWK,
  jwtVerify,
  type CryptoKey,
  type GeneralJWE,
  type JWK,
  type JWTPayload,
} from 'jose';
import { canonicalJson } from './canonical-json';
import { validateReferralDocument, type DocumentProblem } from './referral-document';

export { validateReferralDocument, type DocumentProblem };

/**
 * The end-to-end encrypted envelope, version 2 (docs/envelope.md is the normative text): a nested
 * JWT (RFC 7519 §5.2) that any JOSE library opens without project-specific unwrapping.
 *
 * - Inner JWS (compact), signed by the sending unit's Ed25519 key: header
 *   `{alg: EdDSA, kid, typ}` (`typ` by kind, e.g. `referral+jwt`), claims `iss` (sender unit),
 *   `aud` (addressed units, sorted), `sub` (referral or field request id), `jti`, `iat`, `aad`
 *   (the clear metadata, the same object as the JWE aad), `doc` (the content) and `pad` (spaces,
 *   so that the JWS is as long as its size bucket).
 * - Outer JWE, General JSON Serialization: protected `{enc: A256GCM, cty: JWT}`; plaintext = the
 *   compact JWS; `aad` = RFC 8785 canonical JSON of every member the hub shows in clear (kind,
 *   ids, units, category, urgency, …, `iat`, and `v: 2`); one recipient `{alg: ECDH-ES+A256KW,
 *   kid, epk}` per encryption key of every addressed unit and of the sender's own unit.
 *
 * Version 1 (protected `cty` = the kind's typ, plaintext `{"v":1,"jws":…,"pad":…}`, aad
 * `{rid, from, to, iat}`) is still opened, never sealed.
 *
 * This module is isomorphic: jose on WebCrypto, no Node built-ins, so that the SDK, the CLI and a
 * browser use the same code.
 */

export type EnvelopeKind = 'referral' | 'message' | 'field_request';
export type EnvelopeVersion = 1 | 2;

/** The inner JWS `typ` of each kind (in version 1 also the JWE `cty`). */
export const ENVELOPE_TYP: Readonly<Record<EnvelopeKind, string>> = {
  referral: 'referral+jwt',
  message: 'referral-message+jwt',
  field_request: 'field-request+jwt',
};

/** Plaintext (compact JWS) sizes in bytes: 2 KiB, 8 KiB, 32 KiB, 128 KiB, 512 KiB, 1 MiB. */
export const ENVELOPE_SIZE_BUCKETS = [2048, 8192, 32768, 131072, 524288, 1048576] as const;

/** Most recipient entries an envelope may carry (as openapi/referrals.yaml allows). */
export const ENVELOPE_MAX_RECIPIENT_ENTRIES = 200;

export const ENVELOPE_VERSION = 2;

const KEY_ALG = 'ECDH-ES+A256KW';
const CONTENT_ENC = 'A256GCM';
const MAX_ID_LENGTH = 200;
const MAX_TEXT_LENGTH = 100;
const MAX_ADDRESSED_UNITS = 50;

// ----- clear metadata (v2 aad) --------------------------------------------------------------

/** What the hub shows in clear about a referral (sent or forwarded), bound into a v2 envelope. */
export interface ReferralMetadata {
  kind: 'referral';
  referralId: string;
  senderUnitId: string;
  recipientUnitId: string;
  /** Sorted. */
  copyUnitIds: string[];
  category: string;
  urgency: string;
  ageBand: string;
  gender: string;
  citizenshipGroup: string;
  municipalityCode: string;
  legalBasis: string;
  /** The referral a coordinator forwarded this one from, or null. */
  forwardedFromId: string | null;
}

/** A message on a referral's thread. */
export interface MessageMetadata {
  kind: 'message';
  referralId: string;
  messageId: string;
  senderUnitId: string;
  /** The other units of the referral, sorted. */
  recipientUnitIds: string[];
}

/** A field request during an operation week. */
export interface FieldRequestMetadata {
  kind: 'field_request';
  fieldRequestId: string;
  operationId: string;
  requesterUnitId: string;
  /** The participating social-services units, sorted. */
  participantUnitIds: string[];
  urgency: string;
  /** RFC 3339 time; compared as an instant. */
  neededBy: string;
  estimatedPersons: { adults: number; children: number; unknown: number };
  languages: string[];
  flags: { childSuspected: boolean; protectedHousingLikely: boolean; buyerPresent: boolean };
}

export type EnvelopeMetadata = ReferralMetadata | MessageMetadata | FieldRequestMetadata;

/** The v2 additional authenticated data: the metadata with the version and the signing time. */
export type EnvelopeAadV2 = EnvelopeMetadata & { v: 2; iat: number };

/** The members of each kind's v2 aad, in the order the spec lists them. */
export const AAD_MEMBERS: Readonly<Record<EnvelopeKind, readonly string[]>> = {
  referral: [
    'v',
    'kind',
    'referralId',
    'senderUnitId',
    'recipientUnitId',
    'copyUnitIds',
    'category',
    'urgency',
    'ageBand',
    'gender',
    'citizenshipGroup',
    'municipalityCode',
    'legalBasis',
    'forwardedFromId',
    'iat',
  ],
  message: ['v', 'kind', 'referralId', 'messageId', 'senderUnitId', 'recipientUnitIds', 'iat'],
  field_request: [
    'v',
    'kind',
    'fieldRequestId',
    'operationId',
    'requesterUnitId',
    'participantUnitIds',
    'urgency',
    'neededBy',
    'estimatedPersons',
    'languages',
    'flags',
    'iat',
  ],
};

/**
 * Who an envelope is from and for, in every version: `rid` is the referral id (referrals and
 * messages) or the field request id, `to` the addressed units (sorted in v2).
 */
export interface EnvelopeAad {
  rid: string;
  from: string;
  to: string[];
  iat: number;
}

/** The routing view of v2 metadata: sender, addressed units and the id the JWT's `sub` names. */
export function routingOf(meta: EnvelopeMetadata, iat: number): EnvelopeAad {
  switch (meta.kind) {
    case 'referral':
      return {
        rid: meta.referralId,
        from: meta.senderUnitId,
        to: [meta.recipientUnitId, ...meta.copyUnitIds].sort(),
        iat,
      };
    case 'message':
      return {
        rid: meta.referralId,
        from: meta.senderUnitId,
        to: [...meta.recipientUnitIds].sort(),
        iat,
      };
    case 'field_request':
      return {
        rid: meta.fieldRequestId,
        from: meta.requesterUnitId,
        to: [...meta.participantUnitIds].sort(),
        iat,
      };
  }
}

export interface EnvelopeRecipientHeader {
  alg: typeof KEY_ALG;
  kid: string;
  epk?: JWK;
  [parameter: string]: unknown;
}

/** An envelope as stored and relayed by the hub: a JWE in General JSON Serialization. */
export interface GeneralJweEnvelope {
  protected: string;
  aad: string;
  iv: string;
  ciphertext: string;
  tag: string;
  recipients: Array<{ header: EnvelopeRecipientHeader; encrypted_key: string }>;
}

export interface EnvelopeClaims {
  iss: string;
  aud: string[];
  sub: string;
  jti: string;
  iat: number;
}

export type EnvelopeErrorCode =
  | 'malformed'
  | 'invalid_document'
  | 'invalid_recipients'
  | 'invalid_key'
  | 'too_large'
  | 'not_a_recipient'
  | 'decryption_failed'
  | 'wrong_kind'
  | 'wrong_referral'
  | 'bad_signature'
  | 'aad_mismatch'
  | 'record_mismatch';

export class EnvelopeError extends Error {
  constructor(
    readonly code: EnvelopeErrorCode,
    message: string,
    readonly problems: DocumentProblem[] = [],
    /** The metadata member concerned (`record_mismatch`, `aad_mismatch`), where one is. */
    readonly field?: string,
  ) {
    super(message);
    this.name = 'EnvelopeError';
  }
}

// ----- seal ---------------------------------------------------------------------------------

/** Referral metadata as a sender gives it: copy units and the forwarded-from id may be left out. */
export type ReferralMetadataInput = Omit<ReferralMetadata, 'copyUnitIds' | 'forwardedFromId'> & {
  copyUnitIds?: string[];
  forwardedFromId?: string | null;
};

export type EnvelopeMetadataInput = ReferralMetadataInput | MessageMetadata | FieldRequestMetadata;

/** Picks a referral's clear metadata out of a send body (`ReferralCreate`) or a `Referral`. */
export function referralMetadata(
  body: Omit<ReferralMetadataInput, 'kind' | 'referralId'> & { id: string },
): ReferralMetadata {
  return {
    kind: 'referral',
    referralId: body.id,
    senderUnitId: body.senderUnitId,
    recipientUnitId: body.recipientUnitId,
    copyUnitIds: [...(body.copyUnitIds ?? [])].sort(),
    category: body.category,
    urgency: body.urgency,
    ageBand: body.ageBand,
    gender: body.gender,
    citizenshipGroup: body.citizenshipGroup,
    municipalityCode: body.municipalityCode,
    legalBasis: body.legalBasis,
    forwardedFromId: body.forwardedFromId ?? null,
  };
}

/**
 * A unit's private key as the envelope takes it: a JWK (the SDK's key store) or a CryptoKey,
 * which in a browser is non-extractable (usable by the page, never readable by it), with its kid.
 */
export type PrivateKeyRef = { kid: string } & ({ privateJwk: JWK } | { privateKey: CryptoKey });

export interface SealEnvelopeInput {
  /** Everything the hub will show in clear about the item (the kind included). */
  meta: EnvelopeMetadataInput;
  /** Seconds since the epoch; now by default. */
  iat?: number;
  document: Record<string, unknown>;
  sender: { signingKey: PrivateKeyRef };
  /** Verified public encryption keys (see verifyUnitKeySet) of every addressed unit. */
  recipients: Array<{ unitId: string; encryptionKeys: JWK[] }>;
  /** The sending unit's own active encryption keys, so that it can read what it sent. */
  senderEncryptionKeys: JWK[];
  /** Validate a referral document against its schema before signing (default true). */
  validate?: boolean;
}

export interface SealedEnvelope extends EnvelopeAad {
  jwe: GeneralJweEnvelope;
  /** The additional authenticated data as sealed. */
  metadata: EnvelopeAadV2;
}

export async function sealEnvelope(input: SealEnvelopeInput): Promise<SealedEnvelope> {
  if (!isRecord(input.meta)) {
    throw new EnvelopeError('malformed', 'meta must describe the item');
  }
  const kind = input.meta.kind;
  const typ = typOf(kind);
  const iat = input.iat ?? Math.floor(Date.now() / 1000);
  const metadata = checkMetadata(
    { ...normaliseMetadata(input.meta), v: ENVELOPE_VERSION, iat },
    'malformed',
  );
  const routing = routingOf(metadata, iat);

  if (!isRecord(input.document)) {
    throw new EnvelopeError('invalid_document', 'the document must be a JSON object');
  }
  if (kind === 'referral' && input.validate !== false) {
    const problems = validateReferralDocument(input.document);
    if (problems.length > 0) {
      throw new EnvelopeError(
        'invalid_document',
        `the referral document is invalid: ${problems.map((p) => `${p.path || '/'} ${p.message}`).join('; ')}`,
        problems,
      );
    }
  }

  const recipientKeys = await recipientKeyList(input, routing);
  const signingKey = input.sender.signingKey;
  const signingPrivate = await importSigningKey(signingKey);
  const aadText = canonicalJson(metadata);
  const claims = {
    iss: routing.from,
    aud: routing.to,
    sub: routing.rid,
    jti: globalThis.crypto.randomUUID(),
    iat,
    aad: metadata,
    doc: input.document,
  };
  const jws = await signPadded(claims, { alg: 'EdDSA', kid: signingKey.kid, typ }, signingPrivate);

  const encrypt = new GeneralEncrypt(new TextEncoder().encode(jws))
    .setProtectedHeader({ enc: CONTENT_ENC, cty: 'JWT' })
    .setAdditionalAuthenticatedData(new TextEncoder().encode(aadText));
  for (const { kid, jwk } of recipientKeys) {
    encrypt.addRecipient(await importJWK(jwk, KEY_ALG)).setUnprotectedHeader({ alg: KEY_ALG, kid });
  }
  const jwe = await encrypt.encrypt();
  // What leaves here must pass the server's shape check.
  envelopeRoutingInfo(jwe);
  return { jwe: jwe as GeneralJweEnvelope, ...routing, metadata };
}

/** Sorted unit lists, so that the canonical aad does not depend on the order a caller used. */
function normaliseMetadata(meta: EnvelopeMetadataInput): EnvelopeMetadata {
  switch (meta.kind) {
    case 'referral':
      return {
        ...meta,
        copyUnitIds: Array.isArray(meta.copyUnitIds) ? [...meta.copyUnitIds].sort() : [],
        forwardedFromId: meta.forwardedFromId ?? null,
      };
    case 'message':
      return {
        ...meta,
        recipientUnitIds: Array.isArray(meta.recipientUnitIds)
          ? [...meta.recipientUnitIds].sort()
          : meta.recipientUnitIds,
      };
    case 'field_request':
      return {
        ...meta,
        participantUnitIds: Array.isArray(meta.participantUnitIds)
          ? [...meta.participantUnitIds].sort()
          : meta.participantUnitIds,
      };
    default:
      return meta;
  }
}

/**
 * Signs the claims with a `pad` claim of spaces that makes the compact JWS as long as possible
 * without exceeding the smallest size bucket it fits in (base64url grows in steps of 4/3, so the
 * result is the bucket's size or one byte less).
 */
async function signPadded(
  claims: Record<string, unknown>,
  header: { alg: 'EdDSA'; kid: string; typ: string },
  key: Parameters<CompactSign['sign']>[0],
): Promise<string> {
  const encoder = new TextEncoder();
  const headerLength = base64url.encode(JSON.stringify(header)).length;
  // An Ed25519 signature is 64 bytes: 86 base64url characters.
  const compactLength = (payloadBytes: number) =>
    headerLength + 1 + Math.ceil((payloadBytes * 4) / 3) + 1 + 86;
  const unpadded = encoder.encode(JSON.stringify({ ...claims, pad: '' })).length;
  const bucket = ENVELOPE_SIZE_BUCKETS.find((size) => size >= compactLength(unpadded));
  if (bucket === undefined) {
    throw new EnvelopeError(
      'too_large',
      `the signed document is ${compactLength(unpadded)} bytes; an envelope holds at most ${ENVELOPE_SIZE_BUCKETS.at(-1)}`,
    );
  }
  let padBytes = Math.floor(((bucket - headerLength - 88) * 3) / 4) - unpadded;
  while (padBytes > 0 && compactLength(unpadded + padBytes) > bucket) {
    padBytes -= 1;
  }
  const payload = encoder.encode(JSON.stringify({ ...claims, pad: ' '.repeat(padBytes) }));
  return new CompactSign(payload).setProtectedHeader(header).sign(key);
}

function typOf(kind: unknown): string {
  if (typeof kind !== 'string' || !Object.hasOwn(ENVELOPE_TYP, kind)) {
    throw new EnvelopeError('wrong_kind', `unknown envelope kind ${String(kind)}`);
  }
  return ENVELOPE_TYP[kind as EnvelopeKind];
}

async function recipientKeyList(
  input: SealEnvelopeInput,
  routing: EnvelopeAad,
): Promise<Array<{ kid: string; jwk: JWK }>> {
  const byUnit = new Map<string, JWK[]>();
  for (const recipient of input.recipients) {
    if (!routing.to.includes(recipient.unitId)) {
      throw new EnvelopeError(
        'invalid_recipients',
        `keys were given for unit ${recipient.unitId}, which is not addressed`,
      );
    }
    byUnit.set(recipient.unitId, [
      ...(byUnit.get(recipient.unitId) ?? []),
      ...recipient.encryptionKeys,
    ]);
  }
  const units: Array<[string, JWK[]]> = routing.to.map((unitId) => [
    unitId,
    byUnit.get(unitId) ?? [],
  ]);
  units.push([routing.from, input.senderEncryptionKeys]);

  const keys = new Map<string, JWK>();
  for (const [unitId, jwks] of units) {
    if (jwks.length === 0) {
      throw new EnvelopeError('invalid_recipients', `unit ${unitId} has no encryption key`);
    }
    for (const jwk of jwks) {
      const pub = okpPublic(jwk, 'X25519');
      if (!pub) {
        throw new EnvelopeError(
          'invalid_key',
          `an encryption key of unit ${unitId} is not a public X25519 OKP JWK`,
        );
      }
      const kid = await calculateJwkThumbprint(pub, 'sha256');
      if (jwk.kid !== undefined && jwk.kid !== kid) {
        throw new EnvelopeError(
          'invalid_key',
          `encryption key ${jwk.kid} of unit ${unitId}: the kid is not its thumbprint`,
        );
      }
      keys.set(kid, pub);
    }
  }
  // With one recipient, JOSE libraries move `epk` into the protected header (jose) or write the
  // flattened serialization (jwcrypto); keeping at least two keeps one format for everyone.
  if (keys.size < 2) {
    throw new EnvelopeError(
      'invalid_recipients',
      'an envelope needs at least two recipient keys: the sender and another unit',
    );
  }
  if (keys.size > ENVELOPE_MAX_RECIPIENT_ENTRIES) {
    throw new EnvelopeError('invalid_recipients', 'too many recipient keys');
  }
  return [...keys].map(([kid, jwk]) => ({ kid, jwk }));
}

async function importSigningKey(signingKey: PrivateKeyRef) {
  if ('privateKey' in signingKey) {
    // A CryptoKey (in a browser, non-extractable): its kid was checked when it was imported.
    const key = signingKey.privateKey;
    if (
      key.type !== 'private' ||
      key.algorithm.name !== 'Ed25519' ||
      typeof signingKey.kid !== 'string'
    ) {
      throw new EnvelopeError('invalid_key', 'the signing key must be a private Ed25519 key');
    }
    return key;
  }
  const jwk = signingKey.privateJwk;
  if (
    !isRecord(jwk) ||
    jwk.kty !== 'OKP' ||
    jwk.crv !== 'Ed25519' ||
    typeof jwk.d !== 'string' ||
    typeof signingKey.kid !== 'string'
  ) {
    throw new EnvelopeError(
      'invalid_key',
      'the signing key must be a private Ed25519 OKP JWK with a kid',
    );
  }
  // A kid that is not the key's thumbprint would make every recipient fail to find the key.
  if (typeof jwk.x === 'string') {
    const kid = await calculateJwkThumbprint({ kty: 'OKP', crv: 'Ed25519', x: jwk.x }, 'sha256');
    if (kid !== signingKey.kid) {
      throw new EnvelopeError('invalid_key', 'the signing key kid is not its thumbprint');
    }
  }
  try {
    return await importJWK(jwk, 'EdDSA');
  } catch {
    throw new EnvelopeError('invalid_key', 'the signing key cannot be imported');
  }
}

// ----- open ---------------------------------------------------------------------------------

export interface OpenEnvelopeOptions {
  /** The unit opening the envelope. */
  unitId: string;
  /** The unit's private encryption keys (current and retired). */
  decryptionKeys: PrivateKeyRef[];
  /**
   * The sending unit's signing keys, verified with verifyUnitKeySet; or a function that fetches
   * them for `aad.from` (the sender is known only once the envelope is parsed).
   */
  senderSigningKeys: JWK[] | ((aad: EnvelopeAad) => JWK[] | Promise<JWK[]>);
  expected?: { rid?: string; kind?: EnvelopeKind };
}

export interface OpenedEnvelope<D = Record<string, unknown>> {
  version: EnvelopeVersion;
  kind: EnvelopeKind;
  document: D;
  claims: EnvelopeClaims;
  /** Sender, addressed units, id and time, in every version. */
  aad: EnvelopeAad;
  /** The clear metadata the sender signed (version 2); undefined for a version 1 envelope. */
  metadata?: EnvelopeAadV2;
}

/**
 * Opens an envelope (docs/envelope.md, "Opening"): shape, decryption with the unit's own key,
 * the sender's signature, then every binding between the signed claims and the clear metadata.
 * Comparing the hub's record with the result is the caller's last step (see compareRecord).
 */
export async function openEnvelope<D = Record<string, unknown>>(
  jwe: unknown,
  options: OpenEnvelopeOptions,
): Promise<OpenedEnvelope<D>> {
  const info = envelopeRoutingInfo(jwe);
  const envelope = jwe as GeneralJweEnvelope;
  const { aad, kind, version } = info;
  const typ = ENVELOPE_TYP[kind];
  if (options.expected?.kind !== undefined && options.expected.kind !== kind) {
    throw new EnvelopeError('wrong_kind', `expected a ${options.expected.kind}, got a ${kind}`);
  }
  if (options.expected?.rid !== undefined && options.expected.rid !== aad.rid) {
    throw new EnvelopeError('wrong_referral', `the envelope belongs to item ${aad.rid}`);
  }

  const ours = new Map<string, PrivateKeyRef>();
  for (const key of options.decryptionKeys) {
    ours.set(key.kid, key);
  }
  const entries = envelope.recipients.filter((r) => ours.has(r.header.kid));
  if (entries.length === 0) {
    throw new EnvelopeError(
      'not_a_recipient',
      `none of the keys of unit ${options.unitId} is a recipient of the envelope`,
    );
  }
  let plaintext: Uint8Array;
  try {
    const result = await generalDecrypt(
      { ...envelope, recipients: entries } as GeneralJWE,
      async (_protectedHeader, token) => {
        const kid = token.header?.kid;
        const key = typeof kid === 'string' ? ours.get(kid) : undefined;
        if (!key) {
          throw new Error('no key');
        }
        return 'privateKey' in key ? key.privateKey : importJWK(key.privateJwk, KEY_ALG);
      },
      { keyManagementAlgorithms: [KEY_ALG], contentEncryptionAlgorithms: [CONTENT_ENC] },
    );
    plaintext = result.plaintext;
  } catch {
    // Wrong key, or ciphertext, tag, protected header or aad changed after sealing.
    throw new EnvelopeError(
      'decryption_failed',
      'the envelope does not decrypt: it was altered or is not for these keys',
    );
  }

  const jws = version === 2 ? parseV2Plaintext(plaintext) : parseV1Plaintext(plaintext);
  const claims = await verifyInnerJwt(jws, typ, aad, options.senderSigningKeys);

  if (claims.iss !== aad.from) {
    throw new EnvelopeError(
      'aad_mismatch',
      'the signed sender (iss) differs from the sender in the clear metadata',
      [],
      'iss',
    );
  }
  const aud = [...claims.aud].sort();
  const to = [...aad.to].sort();
  if (aud.length !== to.length || aud.some((unit, i) => unit !== to[i])) {
    throw new EnvelopeError(
      'aad_mismatch',
      'the signed audience (aud) differs from the addressed units in the clear metadata',
      [],
      'aud',
    );
  }
  if (claims.sub !== aad.rid) {
    throw new EnvelopeError(
      'aad_mismatch',
      'the signed subject (sub) differs from the id in the clear metadata',
      [],
      'sub',
    );
  }
  if (claims.iat !== aad.iat) {
    throw new EnvelopeError(
      'aad_mismatch',
      'the signed time (iat) differs from the time in the clear metadata',
      [],
      'iat',
    );
  }
  if (version === 2) {
    // The JWE aad is authenticated only by the content key, which every recipient holds; the
    // signed copy is what proves that the sender, not another recipient, chose this metadata.
    if (!isRecord(claims.aad) || canonicalJson(claims.aad) !== info.aadText) {
      throw new EnvelopeError(
        'aad_mismatch',
        'the signed metadata (aad claim) differs from the envelope’s authenticated data',
        [],
        'aad',
      );
    }
  }
  if (!aad.to.includes(options.unitId) && aad.from !== options.unitId) {
    throw new EnvelopeError(
      'not_a_recipient',
      `unit ${options.unitId} is neither the sender nor addressed`,
    );
  }
  return {
    version,
    kind,
    document: claims.doc as D,
    claims: { iss: claims.iss, aud: claims.aud, sub: claims.sub, jti: claims.jti, iat: claims.iat },
    aad,
    metadata: info.metadata,
  };
}

function parseV2Plaintext(plaintext: Uint8Array): string {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(plaintext);
  } catch {
    throw new EnvelopeError('malformed', 'the plaintext is not a compact JWS');
  }
  if (!/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(text)) {
    throw new EnvelopeError('malformed', 'the plaintext is not a compact JWS');
  }
  return text;
}

function parseV1Plaintext(plaintext: Uint8Array): string {
  let body: unknown;
  try {
    body = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(plaintext));
  } catch {
    throw new EnvelopeError('malformed', 'the version 1 plaintext is not UTF-8 JSON');
  }
  if (
    !isRecord(body) ||
    !hasExactly(body, ['jws', 'pad', 'v']) ||
    body.v !== 1 ||
    typeof body.jws !== 'string' ||
    typeof body.pad !== 'string' ||
    !/^ *$/.test(body.pad)
  ) {
    throw new EnvelopeError(
      'malformed',
      'a version 1 plaintext must be {"v":1,"jws":"…","pad":"  …"}',
    );
  }
  return body.jws;
}

async function verifyInnerJwt(
  jws: string,
  typ: string,
  aad: EnvelopeAad,
  senderSigningKeys: OpenEnvelopeOptions['senderSigningKeys'],
): Promise<EnvelopeClaims & { doc: Record<string, unknown>; aad?: unknown }> {
  let header: { alg?: unknown; kid?: unknown; typ?: unknown };
  try {
    header = decodeProtectedHeader(jws);
  } catch {
    throw new EnvelopeError('malformed', 'the signed content is not a JWS');
  }
  if (header.typ !== typ) {
    throw new EnvelopeError(
      'wrong_kind',
      `the signed content has typ ${String(header.typ)}, expected ${typ}`,
    );
  }
  if (header.alg !== 'EdDSA' || typeof header.kid !== 'string') {
    throw new EnvelopeError('bad_signature', 'the signature must be EdDSA and name its key');
  }
  const keys =
    typeof senderSigningKeys === 'function' ? await senderSigningKeys(aad) : senderSigningKeys;
  let pub: JWK | undefined;
  for (const key of keys) {
    const candidate = okpPublic(key, 'Ed25519');
    const kid = key.kid ?? (candidate && (await calculateJwkThumbprint(candidate, 'sha256')));
    if (candidate && kid === header.kid) {
      pub = candidate;
      break;
    }
  }
  if (!pub) {
    throw new EnvelopeError(
      'bad_signature',
      `key ${header.kid} is not a signing key of unit ${aad.from}`,
    );
  }

  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(jws, await importJWK(pub, 'EdDSA'), {
      algorithms: ['EdDSA'],
      typ,
    }));
  } catch (err) {
    if (err instanceof joseErrors.JWSSignatureVerificationFailed) {
      throw new EnvelopeError(
        'bad_signature',
        `the signature does not verify with key ${header.kid}`,
      );
    }
    if (err instanceof joseErrors.JWTClaimValidationFailed && err.claim === 'typ') {
      throw new EnvelopeError('wrong_kind', `the signed content is not a ${typ}`);
    }
    throw new EnvelopeError(
      'malformed',
      `the signed content is not a valid JWT: ${(err as Error).message}`,
    );
  }

  const { iss, sub, jti, iat, doc } = payload;
  const aud = typeof payload.aud === 'string' ? [payload.aud] : payload.aud;
  if (
    typeof iss !== 'string' ||
    typeof sub !== 'string' ||
    typeof jti !== 'string' ||
    typeof iat !== 'number' ||
    !Array.isArray(aud) ||
    !isRecord(doc)
  ) {
    throw new EnvelopeError('malformed', 'the JWT must carry iss, aud, sub, jti, iat and doc');
  }
  return { iss, aud, sub, jti, iat, doc, aad: payload.aad };
}

// ----- the hub's record against the signed metadata ------------------------------------------

/**
 * The last check a recipient makes: every member the hub shows in clear must equal what the
 * sender signed. `record` is the hub's JSON for the item (`Referral`, `Message` plus its
 * referral's parties, or `FieldRequest`). Throws EnvelopeError `record_mismatch` naming the
 * first member that differs.
 */
export function compareRecord(
  opened: Pick<OpenedEnvelope, 'version' | 'aad' | 'metadata'>,
  record: Record<string, unknown>,
): void {
  const mismatch = (field: string): never => {
    throw new EnvelopeError(
      'record_mismatch',
      `the hub shows another ${field} than the sender signed: do not rely on the hub's record of this item`,
      [],
      field,
    );
  };
  const meta = opened.metadata;
  if (opened.version === 1 || !meta) {
    // Version 1 bound only the id, the sender and the addressed units.
    const from = record.senderUnitId ?? record.requesterUnitId;
    if (from !== opened.aad.from) {
      mismatch(record.senderUnitId !== undefined ? 'senderUnitId' : 'requesterUnitId');
    }
    return;
  }
  // The hub names an item's own id `id`; the aad names it by kind.
  const ownId = { referral: 'referralId', message: 'messageId', field_request: 'fieldRequestId' }[
    meta.kind
  ];
  for (const member of AAD_MEMBERS[meta.kind]) {
    if (member === 'v' || member === 'kind' || member === 'iat') {
      continue;
    }
    const signed = (meta as unknown as Record<string, unknown>)[member];
    const shown = member === ownId && !(member in record) ? record.id : record[member];
    if (!sameValue(member, signed, shown)) {
      mismatch(member);
    }
  }
}

/** Equality of one metadata member: unit lists as sets, times as instants, the rest exactly. */
export function sameValue(member: string, a: unknown, b: unknown): boolean {
  if (Array.isArray(a) && Array.isArray(b) && member.endsWith('UnitIds')) {
    const x = [...(a as unknown[])].map(String).sort();
    const y = [...(b as unknown[])].map(String).sort();
    return x.length === y.length && x.every((v, i) => v === y[i]);
  }
  if (member === 'neededBy' && typeof a === 'string' && typeof b === 'string') {
    const x = Date.parse(a);
    return !Number.isNaN(x) && x === Date.parse(b);
  }
  if (a === b) {
    return true;
  }
  // Two different primitives (or a primitive and an object) never have the same JSON.
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) {
    return false;
  }
  return canonicalJson(a) === canonicalJson(b);
}

// ----- routing info (server side) -----------------------------------------------------------

export interface EnvelopeRoutingInfo {
  version: EnvelopeVersion;
  aad: EnvelopeAad;
  /** The exact aad text (canonical JSON). */
  aadText: string;
  /** Version 2: the full clear metadata bound to the envelope. */
  metadata?: EnvelopeAadV2;
  kind: EnvelopeKind;
  recipientKids: string[];
  enc: typeof CONTENT_ENC;
  /** Size of the envelope serialised as JSON, in bytes. */
  sizeBytes: number;
  /** The envelope serialised as JSON (`JSON.stringify`), the text `sizeBytes` measures. */
  json: string;
}

const TOP_LEVEL_MEMBERS = ['aad', 'ciphertext', 'iv', 'protected', 'recipients', 'tag'];
const RECIPIENT_HEADER_MEMBERS = new Set(['alg', 'kid', 'epk', 'apu', 'apv']);
const B64URL = /^[A-Za-z0-9_-]+$/;
const NON_ASCII = /[^\x00-\x7f]/;
const KID = /^[A-Za-z0-9_-]{1,100}$/;
const KIND_BY_TYP = new Map(
  (Object.entries(ENVELOPE_TYP) as Array<[EnvelopeKind, string]>).map(([k, t]) => [t, k]),
);

/** A malformed envelope, and why (`envelopeRoutingInfo`). */
function bad(why: string): EnvelopeError {
  return new EnvelopeError('malformed', `envelope: ${why}`);
}

/**
 * How many bytes a base64url text (no padding; checked by `isBase64url` first) decodes to,
 * without decoding it: every 4 characters are 3 bytes, 2 and 3 trailing ones 1 and 2.
 */
function base64urlBytes(text: string): number {
  return Math.floor((text.length * 3) / 4);
}

/**
 * The shape check the hub can make without decrypting: the General JSON structure, the version,
 * the clear metadata in `aad` and the key ids of the recipient entries. Throws EnvelopeError
 * `malformed`.
 */
export function envelopeRoutingInfo(jwe: unknown): EnvelopeRoutingInfo {
  if (!isRecord(jwe)) {
    throw bad('not a JSON object');
  }
  for (const member of Object.keys(jwe)) {
    if (!TOP_LEVEL_MEMBERS.includes(member)) {
      throw bad(`unexpected member ${member}`);
    }
  }
  for (const member of ['protected', 'aad', 'iv', 'ciphertext', 'tag']) {
    if (!isBase64url(jwe[member])) {
      throw bad(`${member} must be a non-empty base64url string`);
    }
  }
  if (base64urlBytes(jwe.iv as string) !== 12) {
    throw bad('iv must be 96 bits');
  }
  if (base64urlBytes(jwe.tag as string) !== 16) {
    throw bad('tag must be 128 bits');
  }

  const protectedHeader = decodeJsonMember(jwe.protected as string);
  if (!isRecord(protectedHeader)) {
    throw bad('protected is not a JSON object');
  }
  if (!hasExactly(protectedHeader, ['cty', 'enc']) || protectedHeader.enc !== CONTENT_ENC) {
    throw bad('the protected header must be exactly {enc: A256GCM, cty}');
  }
  // The version is explicit: `cty: JWT` (a nested JWT) is version 2, a kind's typ is version 1.
  const v1Kind = typeof protectedHeader.cty === 'string' && KIND_BY_TYP.get(protectedHeader.cty);
  if (protectedHeader.cty !== 'JWT' && !v1Kind) {
    throw bad(`unknown content type ${String(protectedHeader.cty)}`);
  }
  const version: EnvelopeVersion = v1Kind ? 1 : 2;

  const aadText = decodeUtf8(jwe.aad as string);
  const aadValue = aadText === undefined ? undefined : parseJson(aadText);
  if (aadText === undefined || aadValue === undefined) {
    throw bad('aad is not UTF-8 JSON');
  }
  if (!isRecord(aadValue)) {
    throw bad('aad is not a JSON object');
  }
  if (canonicalJson(aadValue) !== aadText) {
    throw bad('aad is not canonical JSON (RFC 8785)');
  }
  let kind: EnvelopeKind;
  let aad: EnvelopeAad;
  let metadata: EnvelopeAadV2 | undefined;
  if (v1Kind) {
    if (!hasExactly(aadValue, ['from', 'iat', 'rid', 'to'])) {
      throw bad('a version 1 aad must be exactly {rid, from, to, iat}');
    }
    kind = v1Kind;
    aad = checkV1Aad(aadValue);
  } else {
    metadata = checkMetadata(aadValue, 'malformed');
    kind = metadata.kind;
    aad = routingOf(metadata, metadata.iat);
  }

  const recipients = jwe.recipients;
  if (!Array.isArray(recipients) || recipients.length === 0) {
    throw bad('recipients must be a non-empty array');
  }
  if (recipients.length > ENVELOPE_MAX_RECIPIENT_ENTRIES) {
    throw bad('too many recipients');
  }
  const recipientKids: string[] = [];
  for (const recipient of recipients as unknown[]) {
    if (!isRecord(recipient) || !hasExactly(recipient, ['encrypted_key', 'header'])) {
      throw bad('each recipient must be exactly {header, encrypted_key}');
    }
    // A256KW wraps the 256-bit content key into 40 bytes; anything else cannot be opened.
    if (!isBase64url(recipient.encrypted_key) || base64urlBytes(recipient.encrypted_key) !== 40) {
      throw bad('encrypted_key must be the base64url of a 40-byte A256KW-wrapped key');
    }
    const header = recipient.header;
    if (!isRecord(header)) {
      throw bad('a recipient header must be a JSON object');
    }
    for (const member of Object.keys(header)) {
      if (!RECIPIENT_HEADER_MEMBERS.has(member)) {
        throw bad(`unexpected recipient header member ${member}`);
      }
    }
    if (header.alg !== KEY_ALG) {
      throw bad(`a recipient's alg must be ${KEY_ALG}`);
    }
    if (typeof header.kid !== 'string' || !KID.test(header.kid)) {
      throw bad('a recipient must name its key in kid');
    }
    if (recipientKids.includes(header.kid)) {
      throw bad(`key ${header.kid} appears twice among the recipients`);
    }
    if (!isX25519Epk(header.epk)) {
      throw bad('a recipient needs its X25519 epk (a 32-byte public key) in its header');
    }
    recipientKids.push(header.kid);
  }

  const json = JSON.stringify(jwe);
  return {
    version,
    aad,
    aadText,
    metadata,
    kind,
    recipientKids,
    enc: CONTENT_ENC,
    sizeBytes: utf8Length(json),
    json,
  };
}

/** The length of `text` in UTF-8, in bytes, without encoding it (as TextEncoder would count). */
export function utf8Length(text: string): number {
  // An envelope's JSON is ASCII (base64url, key ids, member names): one regular expression
  // search says so at native speed, and the count is then its length.
  if (!NON_ASCII.test(text)) {
    return text.length;
  }
  let bytes = text.length;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) {
      continue;
    }
    if (c < 0x800) {
      bytes += 1;
      continue;
    }
    // Three bytes; a surrogate pair is two code units and four bytes, and a lone surrogate is
    // encoded as U+FFFD (three bytes).
    bytes += 2;
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        i++;
      }
    }
  }
  return bytes;
}

// ----- helpers ------------------------------------------------------------------------------

const isId = (v: unknown): v is string =>
  typeof v === 'string' && v.length > 0 && v.length <= MAX_ID_LENGTH;
const isText = (v: unknown): v is string =>
  typeof v === 'string' && v.length > 0 && v.length <= MAX_TEXT_LENGTH;
const isCount = (v: unknown): v is number =>
  typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
const isIdList = (v: unknown, min: number): v is string[] =>
  Array.isArray(v) &&
  v.length >= min &&
  v.length <= MAX_ADDRESSED_UNITS &&
  v.every(isId) &&
  new Set(v).size === v.length;

function checkV1Aad(value: Record<string, unknown>): EnvelopeAad {
  const { rid, from, to, iat } = value;
  if (!isId(rid) || !isId(from)) {
    throw new EnvelopeError('malformed', 'rid and from must be non-empty strings');
  }
  if (!isIdList(to, 1)) {
    throw new EnvelopeError(
      'malformed',
      `to must list 1 to ${MAX_ADDRESSED_UNITS} distinct unit ids`,
    );
  }
  if (!isCount(iat)) {
    throw new EnvelopeError('malformed', 'iat must be a whole number of seconds');
  }
  return { rid, from, to: [...to], iat };
}

/** Checks a v2 aad object member by member; the first wrong member is named. */
function checkMetadata(value: Record<string, unknown>, code: EnvelopeErrorCode): EnvelopeAadV2 {
  const fail = (field: string, why: string): never => {
    throw new EnvelopeError(code, `aad.${field} ${why}`, [], field);
  };
  if (value.v !== ENVELOPE_VERSION) {
    fail('v', `must be ${ENVELOPE_VERSION}`);
  }
  const kind = value.kind;
  if (typeof kind !== 'string' || !Object.hasOwn(AAD_MEMBERS, kind)) {
    fail('kind', 'must be referral, message or field_request');
  }
  const members = AAD_MEMBERS[kind as EnvelopeKind];
  for (const member of Object.keys(value)) {
    if (!members.includes(member)) {
      fail(member, `is not a member of a ${String(kind)} aad`);
    }
  }
  for (const member of members) {
    if (!(member in value)) {
      fail(member, 'is missing');
    }
  }
  if (!isCount(value.iat)) {
    fail('iat', 'must be a whole number of seconds since the epoch');
  }
  const ids = (names: string[]) => {
    for (const name of names) {
      if (!isId(value[name])) {
        fail(name, 'must be a non-empty id');
      }
    }
  };
  const texts = (names: string[]) => {
    for (const name of names) {
      if (!isText(value[name])) {
        fail(name, `must be a non-empty string of at most ${MAX_TEXT_LENGTH} characters`);
      }
    }
  };
  const sortedList = (name: string, min: number) => {
    const list = value[name];
    if (!isIdList(list, min)) {
      fail(name, `must list ${min} to ${MAX_ADDRESSED_UNITS} distinct unit ids`);
    }
    const ordered = [...(list as string[])].sort();
    if ((list as string[]).some((id, i) => id !== ordered[i])) {
      fail(name, 'must be sorted');
    }
  };
  switch (kind as EnvelopeKind) {
    case 'referral': {
      ids(['referralId', 'senderUnitId', 'recipientUnitId']);
      sortedList('copyUnitIds', 0);
      texts([
        'category',
        'urgency',
        'ageBand',
        'gender',
        'citizenshipGroup',
        'municipalityCode',
        'legalBasis',
      ]);
      if (value.forwardedFromId !== null && !isId(value.forwardedFromId)) {
        fail('forwardedFromId', 'must be an id or null');
      }
      const to = [value.recipientUnitId, ...(value.copyUnitIds as string[])];
      if (new Set(to).size !== to.length) {
        fail('copyUnitIds', 'must not repeat the recipient unit');
      }
      break;
    }
    case 'message':
      ids(['referralId', 'messageId', 'senderUnitId']);
      sortedList('recipientUnitIds', 1);
      break;
    case 'field_request': {
      ids(['fieldRequestId', 'operationId', 'requesterUnitId']);
      sortedList('participantUnitIds', 1);
      texts(['urgency']);
      if (typeof value.neededBy !== 'string' || Number.isNaN(Date.parse(value.neededBy))) {
        fail('neededBy', 'must be an RFC 3339 time');
      }
      const persons = value.estimatedPersons;
      if (
        !isRecord(persons) ||
        !hasExactly(persons, ['adults', 'children', 'unknown']) ||
        !Object.values(persons).every(isCount)
      ) {
        fail('estimatedPersons', 'must be {adults, children, unknown} of whole numbers');
      }
      if (
        !Array.isArray(value.languages) ||
        value.languages.length > 10 ||
        !value.languages.every((l) => typeof l === 'string' && /^[a-z]{2,3}$/.test(l))
      ) {
        fail('languages', 'must list language codes');
      }
      const flags = value.flags;
      if (
        !isRecord(flags) ||
        !hasExactly(flags, ['buyerPresent', 'childSuspected', 'protectedHousingLikely']) ||
        !Object.values(flags).every((f) => typeof f === 'boolean')
      ) {
        fail('flags', 'must be {childSuspected, protectedHousingLikely, buyerPresent} of booleans');
      }
      break;
    }
  }
  const meta = value as unknown as EnvelopeAadV2;
  const routing = routingOf(meta, meta.iat);
  if (routing.to.includes(routing.from)) {
    fail(
      meta.kind === 'field_request' ? 'participantUnitIds' : 'senderUnitId',
      'names the sender among the addressed units',
    );
  }
  return meta;
}

function isX25519Epk(epk: unknown): boolean {
  return isRecord(epk) && !('d' in epk) && okpPublic(epk, 'X25519') !== undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function hasExactly(value: Record<string, unknown>, members: string[]): boolean {
  const keys = Object.keys(value).sort();
  return keys.length === members.length && keys.every((k, i) => k === members[i]);
}

function isBase64url(value: unknown): value is string {
  // A length of 1 mod 4 is never the encoding of whole bytes.
  return typeof value === 'string' && B64URL.test(value) && value.length % 4 !== 1;
}

/** One decoder for every call: a fatal decoder used without `stream` keeps no state between calls. */
const UTF8 = new TextDecoder('utf-8', { fatal: true });

function decodeUtf8(b64: string): string | undefined {
  try {
    return UTF8.decode(base64url.decode(b64));
  } catch {
    return undefined;
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function decodeJsonMember(b64: string): unknown {
  const text = decodeUtf8(b64);
  return text === undefined ? undefined : parseJson(text);
}

function okpPublic(jwk: unknown, crv: 'X25519' | 'Ed25519'): JWK | undefined {
  if (!isRecord(jwk) || jwk.kty !== 'OKP' || jwk.crv !== crv || typeof jwk.x !== 'string') {
    return undefined;
  }
  return /^[A-Za-z0-9_-]{43}$/.test(jwk.x) ? { kty: 'OKP', crv, x: jwk.x } : undefined;
}
