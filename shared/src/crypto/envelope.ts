import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import {
  base64url,
  calculateJwkThumbprint,
  decodeProtectedHeader,
  errors as joseErrors,
  GeneralEncrypt,
  generalDecrypt,
  importJWK,
  jwtVerify,
  SignJWT,
  type GeneralJWE,
  type JWK,
  type JWTPayload,
} from 'jose';
import { canonicalJson } from '../audit/hash-chain';

/**
 * The end-to-end encrypted referral envelope (DESIGN §4): sign, then encrypt.
 *
 * - Inner JWT, signed by the sending unit's Ed25519 key (`alg: EdDSA`), `typ` by kind; claims
 *   `iss` (sender unit), `aud` (every addressed unit, sorted), `sub` (referral id), `jti`, `iat`
 *   and `doc` (the document).
 * - Plaintext `{"v":1,"jws":"…","pad":"   …"}`, padded with spaces to exactly one of
 *   ENVELOPE_SIZE_BUCKETS bytes, so that its length says little about the content.
 * - Outer JWE in General JSON Serialization: protected `{enc: A256GCM, cty: typ}`, `aad` = the
 *   canonical JSON (RFC 8785) of `{rid, from, to, iat}`, one recipient `{alg: ECDH-ES+A256KW,
 *   kid}` per encryption key of every addressed unit and of the sender's own unit.
 *
 * Nothing here is specific to jose: it is plain RFC 7516 General JSON and RFC 7519 JWT, so any
 * JOSE library that has X25519 ECDH-ES+A256KW, A256GCM and EdDSA (e.g. Python's jwcrypto) can
 * build or open an envelope. One detail for such producers: with a single recipient jwcrypto
 * writes the flattened serialization; an envelope always has at least two (sender and recipient),
 * and the checks below refuse the flattened form.
 */

export type EnvelopeKind = 'referral' | 'message' | 'field_request';

export const ENVELOPE_TYP: Readonly<Record<EnvelopeKind, string>> = {
  referral: 'referral+jwt',
  message: 'referral-message+jwt',
  field_request: 'field-request+jwt',
};

/** Plaintext sizes in bytes: 2 KiB, 8 KiB, 32 KiB, 128 KiB, 512 KiB, 1 MiB. */
export const ENVELOPE_SIZE_BUCKETS = [2048, 8192, 32768, 131072, 524288, 1048576] as const;

/** Most recipient entries an envelope may carry (as openapi/referrals.yaml allows). */
export const ENVELOPE_MAX_RECIPIENT_ENTRIES = 200;

const KEY_ALG = 'ECDH-ES+A256KW';
const CONTENT_ENC = 'A256GCM';
const MAX_ID_LENGTH = 200;
const MAX_ADDRESSED_UNITS = 50;

/** The routing metadata in clear, bound to the ciphertext as JWE additional authenticated data. */
export interface EnvelopeAad {
  rid: string;
  from: string;
  to: string[];
  iat: number;
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
  | 'aad_mismatch';

export interface DocumentProblem {
  /** JSON Pointer to the field, `''` for the document itself. */
  path: string;
  message: string;
}

export class EnvelopeError extends Error {
  constructor(
    readonly code: EnvelopeErrorCode,
    message: string,
    readonly problems: DocumentProblem[] = [],
  ) {
    super(message);
    this.name = 'EnvelopeError';
  }
}

// ----- referral document schema -------------------------------------------------------------

export const REFERRAL_DOCUMENT_SCHEMA_PATH = path.resolve(
  __dirname,
  '../../../openapi/referral-document.schema.json',
);

let referralValidator: ValidateFunction | undefined;

function referralDocumentValidator(): ValidateFunction {
  if (!referralValidator) {
    const ajv = new Ajv({ allErrors: true, strict: true });
    addFormats(ajv);
    const schema = JSON.parse(fs.readFileSync(REFERRAL_DOCUMENT_SCHEMA_PATH, 'utf8')) as object;
    referralValidator = ajv.compile(schema);
  }
  return referralValidator;
}

/** Checks a referral document against openapi/referral-document.schema.json. */
export function validateReferralDocument(document: unknown): DocumentProblem[] {
  const validate = referralDocumentValidator();
  if (validate(document)) {
    return [];
  }
  return (validate.errors ?? []).map((e) => {
    const missing = (e.params as { missingProperty?: unknown }).missingProperty;
    const extra = (e.params as { additionalProperty?: unknown }).additionalProperty;
    const at =
      typeof missing === 'string'
        ? `${e.instancePath}/${missing}`
        : typeof extra === 'string'
          ? `${e.instancePath}/${extra}`
          : e.instancePath;
    return { path: at, message: e.message ?? 'is invalid' };
  });
}

// ----- seal ---------------------------------------------------------------------------------

export interface SealEnvelopeInput {
  kind: EnvelopeKind;
  /** Referral id. */
  rid: string;
  /** Sending unit id. */
  from: string;
  /** Addressed unit ids: the recipient and any copy units. */
  to: string[];
  /** Seconds since the epoch; now by default. */
  iat?: number;
  document: Record<string, unknown>;
  sender: { signingKey: { kid: string; privateJwk: JWK } };
  /** Verified public encryption keys (see verifyUnitKeySet) of every unit in `to`. */
  recipients: Array<{ unitId: string; encryptionKeys: JWK[] }>;
  /** The sending unit's own active encryption keys, so that it can read what it sent. */
  senderEncryptionKeys: JWK[];
  /** Validate a referral document against its schema before signing (default true). */
  validate?: boolean;
}

export interface SealedEnvelope extends EnvelopeAad {
  jwe: GeneralJweEnvelope;
}

export async function sealEnvelope(input: SealEnvelopeInput): Promise<SealedEnvelope> {
  const typ = typOf(input.kind);
  const iat = input.iat ?? Math.floor(Date.now() / 1000);
  const aad = checkAad(
    { rid: input.rid, from: input.from, to: input.to, iat },
    'malformed',
    'invalid_recipients',
  );
  const to = [...aad.to].sort();

  if (!isRecord(input.document)) {
    throw new EnvelopeError('invalid_document', 'the document must be a JSON object');
  }
  if (input.kind === 'referral' && input.validate !== false) {
    const problems = validateReferralDocument(input.document);
    if (problems.length > 0) {
      throw new EnvelopeError(
        'invalid_document',
        `the referral document is invalid: ${problems.map((p) => `${p.path || '/'} ${p.message}`).join('; ')}`,
        problems,
      );
    }
  }

  const recipientKeys = await recipientKeyList(input, to);

  const signingKey = input.sender.signingKey;
  const signingPrivate = await importSigningKey(signingKey);
  const jws = await new SignJWT({ doc: input.document })
    .setProtectedHeader({ alg: 'EdDSA', kid: signingKey.kid, typ })
    .setIssuer(aad.from)
    .setAudience(to)
    .setSubject(aad.rid)
    .setJti(randomUUID())
    .setIssuedAt(iat)
    .sign(signingPrivate);

  const encrypt = new GeneralEncrypt(paddedPlaintext(jws))
    .setProtectedHeader({ enc: CONTENT_ENC, cty: typ })
    .setAdditionalAuthenticatedData(
      new TextEncoder().encode(canonicalJson({ rid: aad.rid, from: aad.from, to, iat })),
    );
  for (const { kid, jwk } of recipientKeys) {
    encrypt.addRecipient(await importJWK(jwk, KEY_ALG)).setUnprotectedHeader({ alg: KEY_ALG, kid });
  }
  const jwe = await encrypt.encrypt();
  // What leaves here must pass the server's shape check.
  envelopeRoutingInfo(jwe);
  return { jwe: jwe as GeneralJweEnvelope, rid: aad.rid, from: aad.from, to, iat };
}

function typOf(kind: unknown): string {
  if (typeof kind !== 'string' || !Object.hasOwn(ENVELOPE_TYP, kind)) {
    throw new EnvelopeError('wrong_kind', `unknown envelope kind ${String(kind)}`);
  }
  return ENVELOPE_TYP[kind as EnvelopeKind];
}

async function recipientKeyList(
  input: SealEnvelopeInput,
  to: string[],
): Promise<Array<{ kid: string; jwk: JWK }>> {
  const byUnit = new Map<string, JWK[]>();
  for (const recipient of input.recipients) {
    if (!to.includes(recipient.unitId)) {
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
  const units: Array<[string, JWK[]]> = to.map((unitId) => [unitId, byUnit.get(unitId) ?? []]);
  units.push([input.from, input.senderEncryptionKeys]);

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

async function importSigningKey(signingKey: { kid: string; privateJwk: JWK }) {
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

function paddedPlaintext(jws: string): Uint8Array {
  // Spaces are one byte each in UTF-8 and need no escaping in JSON, so padding is exact.
  const unpadded = Buffer.byteLength(JSON.stringify({ v: 1, jws, pad: '' }), 'utf8');
  const bucket = ENVELOPE_SIZE_BUCKETS.find((size) => size >= unpadded);
  if (bucket === undefined) {
    throw new EnvelopeError(
      'too_large',
      `the signed document is ${unpadded} bytes; an envelope holds at most ${ENVELOPE_SIZE_BUCKETS.at(-1)}`,
    );
  }
  return new TextEncoder().encode(
    JSON.stringify({ v: 1, jws, pad: ' '.repeat(bucket - unpadded) }),
  );
}

// ----- open ---------------------------------------------------------------------------------

export interface OpenEnvelopeOptions {
  /** The unit opening the envelope. */
  unitId: string;
  /** The unit's private encryption keys (current and retired). */
  decryptionKeys: Array<{ kid: string; privateJwk: JWK }>;
  /**
   * The sending unit's signing keys, verified with verifyUnitKeySet; or a function that fetches
   * them for `aad.from` (the sender is known only once the envelope is parsed).
   */
  senderSigningKeys: JWK[] | ((aad: EnvelopeAad) => JWK[] | Promise<JWK[]>);
  expected?: { rid?: string; kind?: EnvelopeKind };
}

export interface OpenedEnvelope<D = Record<string, unknown>> {
  kind: EnvelopeKind;
  document: D;
  claims: EnvelopeClaims;
  aad: EnvelopeAad;
}

export async function openEnvelope<D = Record<string, unknown>>(
  jwe: unknown,
  options: OpenEnvelopeOptions,
): Promise<OpenedEnvelope<D>> {
  const info = envelopeRoutingInfo(jwe);
  const envelope = jwe as GeneralJweEnvelope;
  const { aad, kind } = info;
  const typ = ENVELOPE_TYP[kind];
  if (options.expected?.kind !== undefined && options.expected.kind !== kind) {
    throw new EnvelopeError('wrong_kind', `expected a ${options.expected.kind}, got a ${kind}`);
  }
  if (options.expected?.rid !== undefined && options.expected.rid !== aad.rid) {
    throw new EnvelopeError('wrong_referral', `the envelope belongs to referral ${aad.rid}`);
  }

  const ours = new Map<string, JWK>();
  for (const key of options.decryptionKeys) {
    ours.set(key.kid, key.privateJwk);
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
        const privateJwk = typeof kid === 'string' ? ours.get(kid) : undefined;
        if (!privateJwk) {
          throw new Error('no key');
        }
        return importJWK(privateJwk, KEY_ALG);
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

  const jws = parsePlaintext(plaintext);
  const claims = await verifyInnerJwt(jws, typ, aad, options.senderSigningKeys);

  if (claims.iss !== aad.from) {
    throw new EnvelopeError('aad_mismatch', 'the signed sender differs from the routing sender');
  }
  const aud = [...claims.aud].sort();
  const to = [...aad.to].sort();
  if (aud.length !== to.length || aud.some((unit, i) => unit !== to[i])) {
    throw new EnvelopeError(
      'aad_mismatch',
      'the signed audience differs from the routing recipients',
    );
  }
  if (claims.sub !== aad.rid) {
    throw new EnvelopeError('aad_mismatch', 'the signed referral id differs from the routing one');
  }
  if (claims.iat !== aad.iat) {
    throw new EnvelopeError('aad_mismatch', 'the signed time differs from the routing time');
  }
  if (!aad.to.includes(options.unitId) && aad.from !== options.unitId) {
    throw new EnvelopeError(
      'not_a_recipient',
      `unit ${options.unitId} is neither the sender nor addressed`,
    );
  }
  return { kind, document: claims.doc as D, claims: omitDoc(claims), aad };
}

function omitDoc(claims: EnvelopeClaims & { doc: unknown }): EnvelopeClaims {
  const { iss, aud, sub, jti, iat } = claims;
  return { iss, aud, sub, jti, iat };
}

function parsePlaintext(plaintext: Uint8Array): string {
  let body: unknown;
  try {
    body = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(plaintext));
  } catch {
    throw new EnvelopeError('malformed', 'the plaintext is not UTF-8 JSON');
  }
  if (
    !isRecord(body) ||
    !hasExactly(body, ['jws', 'pad', 'v']) ||
    body.v !== 1 ||
    typeof body.jws !== 'string' ||
    typeof body.pad !== 'string' ||
    !/^ *$/.test(body.pad)
  ) {
    throw new EnvelopeError('malformed', 'the plaintext must be {"v":1,"jws":"…","pad":"  …"}');
  }
  return body.jws;
}

async function verifyInnerJwt(
  jws: string,
  typ: string,
  aad: EnvelopeAad,
  senderSigningKeys: OpenEnvelopeOptions['senderSigningKeys'],
): Promise<EnvelopeClaims & { doc: Record<string, unknown> }> {
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
  return { iss, aud, sub, jti, iat, doc };
}

// ----- routing info (server side) -----------------------------------------------------------

export interface EnvelopeRoutingInfo {
  aad: EnvelopeAad;
  kind: EnvelopeKind;
  recipientKids: string[];
  enc: typeof CONTENT_ENC;
  /** Size of the envelope serialised as JSON, in bytes. */
  sizeBytes: number;
}

const TOP_LEVEL_MEMBERS = ['aad', 'ciphertext', 'iv', 'protected', 'recipients', 'tag'];
const RECIPIENT_HEADER_MEMBERS = new Set(['alg', 'kid', 'epk', 'apu', 'apv']);
const B64URL = /^[A-Za-z0-9_-]+$/;
const KID = /^[A-Za-z0-9_-]{1,100}$/;
const KIND_BY_TYP = new Map(
  (Object.entries(ENVELOPE_TYP) as Array<[EnvelopeKind, string]>).map(([k, t]) => [t, k]),
);

/**
 * The shape check the hub can make without decrypting: the General JSON structure, the routing
 * metadata in `aad` and the key ids of the recipient entries. Throws EnvelopeError `malformed`.
 */
export function envelopeRoutingInfo(jwe: unknown): EnvelopeRoutingInfo {
  const bad = (why: string): EnvelopeError => new EnvelopeError('malformed', `envelope: ${why}`);
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
  if (base64url.decode(jwe.iv as string).length !== 12) {
    throw bad('iv must be 96 bits');
  }
  if (base64url.decode(jwe.tag as string).length !== 16) {
    throw bad('tag must be 128 bits');
  }

  const protectedHeader = decodeJsonMember(jwe.protected as string);
  if (!isRecord(protectedHeader)) {
    throw bad('protected is not a JSON object');
  }
  if (!hasExactly(protectedHeader, ['cty', 'enc']) || protectedHeader.enc !== CONTENT_ENC) {
    throw bad('the protected header must be exactly {enc: A256GCM, cty}');
  }
  const kind = typeof protectedHeader.cty === 'string' && KIND_BY_TYP.get(protectedHeader.cty);
  if (!kind) {
    throw bad(`unknown content type ${String(protectedHeader.cty)}`);
  }

  const aadText = decodeUtf8(jwe.aad as string);
  const aadValue = aadText === undefined ? undefined : parseJson(aadText);
  if (aadValue === undefined) {
    throw bad('aad is not UTF-8 JSON');
  }
  if (!isRecord(aadValue) || !hasExactly(aadValue, ['from', 'iat', 'rid', 'to'])) {
    throw bad('aad must be exactly {rid, from, to, iat}');
  }
  if (canonicalJson(aadValue) !== aadText) {
    throw bad('aad is not canonical JSON (RFC 8785)');
  }
  const aad = checkAad(aadValue, 'malformed');

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
    if (!isBase64url(recipient.encrypted_key)) {
      throw bad('encrypted_key must be a non-empty base64url string');
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
      throw bad('a recipient needs its X25519 epk in its header');
    }
    recipientKids.push(header.kid);
  }

  return {
    aad,
    kind,
    recipientKids,
    enc: CONTENT_ENC,
    sizeBytes: Buffer.byteLength(JSON.stringify(jwe), 'utf8'),
  };
}

// ----- helpers ------------------------------------------------------------------------------

function checkAad(
  value: Record<string, unknown>,
  code: EnvelopeErrorCode,
  toCode: EnvelopeErrorCode = code,
): EnvelopeAad {
  const { rid, from, to, iat } = value;
  const isId = (v: unknown): v is string =>
    typeof v === 'string' && v.length > 0 && v.length <= MAX_ID_LENGTH;
  if (!isId(rid) || !isId(from)) {
    throw new EnvelopeError(code, 'rid and from must be non-empty strings');
  }
  if (
    !Array.isArray(to) ||
    to.length === 0 ||
    to.length > MAX_ADDRESSED_UNITS ||
    !to.every(isId) ||
    new Set(to).size !== to.length
  ) {
    throw new EnvelopeError(toCode, `to must list 1 to ${MAX_ADDRESSED_UNITS} distinct unit ids`);
  }
  if (typeof iat !== 'number' || !Number.isSafeInteger(iat) || iat < 0) {
    throw new EnvelopeError(code, 'iat must be a whole number of seconds');
  }
  return { rid, from, to: [...to], iat };
}

function isX25519Epk(epk: unknown): boolean {
  return (
    isRecord(epk) &&
    !('d' in epk) &&
    epk.kty === 'OKP' &&
    epk.crv === 'X25519' &&
    isBase64url(epk.x)
  );
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

function decodeUtf8(b64: string): string | undefined {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(base64url.decode(b64));
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
