import {
  base64url,
  calculateJwkThumbprint,
  compactDecrypt,
  CompactEncrypt,
  CompactSign,
  compactVerify,
  decodeProtectedHeader,
  exportJWK,
  generateKeyPair,
  importJWK,
  SignJWT,
  type CryptoKey,
  type JWK,
} from 'jose';
import type { KeyPairJwk } from './unit-keys';

/**
 * Keys on people's devices (docs/architecture.md#keys-and-trust): each device (browser, CLI) has its own encryption
 * (X25519) and signing (Ed25519) keys, made on it. A unit's private keys reach a device only
 * inside a key box: a JWE sealed to the device's encryption key, holding a JWS signed with the
 * unit's signing key (which chains to the organisation root key through the directory's signed
 * key statements), so the hub stores boxes it can neither open nor forge. Before approving, the
 * approver and the new device compare a short code derived from the device's public keys and its
 * person, so a hub that swapped in keys of its own is caught.
 *
 * Isomorphic: jose on WebCrypto only. A browser generates the private keys non-extractable and
 * keeps the CryptoKeys in IndexedDB; the CLI generates them extractable to keep them in its 0600
 * key store. Every function takes either a CryptoKey or a private JWK.
 */

/** A private key as this module takes it: a (possibly non-extractable) CryptoKey or a JWK. */
export type PrivateKeyInput = CryptoKey | JWK;

export interface DeviceKey {
  /** RFC 7638 thumbprint of the public key */
  kid: string;
  /** the public JWK, with kid, use and alg */
  publicJwk: JWK;
  privateKey: CryptoKey;
}

export interface DeviceKeys {
  encryption: DeviceKey;
  signing: DeviceKey;
}

/** A person as the hub knows them: issuer and subject, never the subject alone. */
export interface PersonRef {
  iss: string;
  sub: string;
}

/** Who holds a box: a device (both keys) or a unit recovery key (an encryption key only). */
export interface BoxHolder {
  /** the device id the hub gave at enrolment, or `recovery:<kid>` for a recovery key */
  id: string;
  encryptionKid: string;
  signingKid?: string;
}

export type DeviceCryptoErrorCode =
  | 'device_key_malformed'
  | 'short_code_mismatch'
  | 'box_not_for_this_device'
  | 'box_signature_invalid'
  | 'box_malformed'
  | 'box_stale'
  | 'binding_invalid'
  | 'recovery_key_malformed';

export class DeviceCryptoError extends Error {
  constructor(
    readonly code: DeviceCryptoErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'DeviceCryptoError';
  }
}

export const KEY_BOX_TYP = 'unit-key-box+jwt';
export const KEY_BOX_JWE_TYP = 'unit-key-box+jwe';
export const DEVICE_BINDING_TYP = 'device-binding+jwt';
export const DPOP_TYP = 'dpop+jwt';
/** Largest key box the hub stores (a unit with many retired keys stays far below). */
export const KEY_BOX_MAX_LENGTH = 65536;

const B64URL_32_BYTES = /^[A-Za-z0-9_-]{43}$/;
const encoder = new TextEncoder();

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isCryptoKey(key: PrivateKeyInput): key is CryptoKey {
  return typeof (key as CryptoKey).type === 'string' && 'algorithm' in key;
}

/** The public members of an OKP key on `crv`, or undefined when it is not one. */
export function okpPublicJwk(jwk: unknown, crv: 'X25519' | 'Ed25519'): JWK | undefined {
  if (!isRecord(jwk) || jwk.kty !== 'OKP' || jwk.crv !== crv || typeof jwk.x !== 'string') {
    return undefined;
  }
  return B64URL_32_BYTES.test(jwk.x) ? { kty: 'OKP', crv, x: jwk.x } : undefined;
}

async function asKey(key: PrivateKeyInput, alg: string): Promise<CryptoKey> {
  if (isCryptoKey(key)) {
    return key;
  }
  return (await importJWK(key, alg)) as CryptoKey;
}

async function okpDeviceKey(
  alg: 'EdDSA' | 'ECDH-ES',
  crv: 'Ed25519' | 'X25519',
  extractable: boolean,
): Promise<DeviceKey> {
  const { publicKey, privateKey } = await generateKeyPair(alg, { crv, extractable });
  const pub = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(pub, 'sha256');
  const use = crv === 'X25519' ? 'enc' : 'sig';
  return {
    kid,
    publicJwk: { kty: 'OKP', crv, x: pub.x, kid, use, alg: use === 'enc' ? 'ECDH-ES+A256KW' : alg },
    privateKey,
  };
}

/**
 * A device's own key pairs. In a browser leave `extractable` false (the default): the private
 * keys can then be used but never read, not even by the page's own script.
 */
export async function generateDeviceKeys(
  options: { extractable?: boolean } = {},
): Promise<DeviceKeys> {
  const extractable = options.extractable ?? false;
  return {
    encryption: await okpDeviceKey('ECDH-ES', 'X25519', extractable),
    signing: await okpDeviceKey('EdDSA', 'Ed25519', extractable),
  };
}

/** The private JWKs of extractable device keys, for a key store file (the CLI). */
export async function exportDeviceKeys(keys: DeviceKeys): Promise<{ enc: JWK; sig: JWK }> {
  return {
    enc: { ...(await exportJWK(keys.encryption.privateKey)), ...meta(keys.encryption.publicJwk) },
    sig: { ...(await exportJWK(keys.signing.privateKey)), ...meta(keys.signing.publicJwk) },
  };
}

function meta(jwk: JWK): JWK {
  return { kid: jwk.kid, use: jwk.use, alg: jwk.alg };
}

/** Device keys from the private JWKs of a key store, checked to be what they claim. */
export async function importDeviceKeys(stored: { enc: JWK; sig: JWK }): Promise<DeviceKeys> {
  const one = async (jwk: JWK, crv: 'X25519' | 'Ed25519', alg: string): Promise<DeviceKey> => {
    const pub = okpPublicJwk(jwk, crv);
    if (!pub || typeof jwk.d !== 'string') {
      throw new DeviceCryptoError('device_key_malformed', `the stored ${crv} device key is broken`);
    }
    const kid = await calculateJwkThumbprint(pub, 'sha256');
    const use = crv === 'X25519' ? 'enc' : 'sig';
    return {
      kid,
      publicJwk: { ...pub, kid, use, alg: use === 'enc' ? 'ECDH-ES+A256KW' : 'EdDSA' },
      privateKey: (await importJWK({ ...pub, d: jwk.d }, alg)) as CryptoKey,
    };
  };
  return {
    encryption: await one(stored.enc, 'X25519', 'ECDH-ES+A256KW'),
    signing: await one(stored.sig, 'Ed25519', 'EdDSA'),
  };
}

/**
 * The code both screens show before an approval: 20 digits in groups of five, from SHA-256 over
 * the device's two key thumbprints and its person. 66 bits, so a hub cannot grind keys of its
 * own that give the same code; the person is inside, so a device cannot be moved to another.
 */
export async function deviceShortCode(input: {
  encryptionJwk: JWK;
  signingJwk: JWK;
  person: PersonRef;
}): Promise<string> {
  const enc = okpPublicJwk(input.encryptionJwk, 'X25519');
  const sig = okpPublicJwk(input.signingJwk, 'Ed25519');
  if (!enc || !sig) {
    throw new DeviceCryptoError('device_key_malformed', 'the device keys are not X25519/Ed25519');
  }
  const text = [
    'samverkan-device-code-v1',
    await calculateJwkThumbprint(enc, 'sha256'),
    await calculateJwkThumbprint(sig, 'sha256'),
    input.person.iss,
    input.person.sub,
  ].join('\n');
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', encoder.encode(text)));
  let n = 0n;
  for (const byte of digest.subarray(0, 10)) {
    n = (n << 8n) | BigInt(byte);
  }
  const digits = (n % 10n ** 20n).toString().padStart(20, '0');
  return digits.match(/\d{5}/g)!.join(' ');
}

/** Compares a code as a person typed it (spaces, dashes ignored) with the computed one. */
export function shortCodesMatch(typed: string, computed: string): boolean {
  const clean = (s: string) => s.replace(/[\s-]/g, '');
  const a = clean(typed);
  const b = clean(computed);
  if (a.length !== b.length) {
    return false;
  }
  let diff = 0;
  for (let i = 0; i < a.length; i += 1) {
    diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  }
  return diff === 0;
}

// ----- the binding -----------------------------------------------------------------------------

/** What an approver signs: this device key belongs to this person and holds this unit's keys. */
export interface DeviceBindingClaims {
  /** the unit */
  iss: string;
  org: string;
  /** the device id (or `recovery:<kid>`) */
  sub: string;
  cnf: { enc: string; sig?: string };
  /** the device's person; absent for a recovery key */
  person?: PersonRef;
  approvedBy: PersonRef;
  /** the approving device, when a device (not the organisation admin's key store) approved */
  approvedByDevice?: string;
  iat: number;
}

/** Signs a binding with the unit's current signing key (root-signed in the directory). */
export async function signDeviceBinding(
  unitSigningKey: { kid: string; privateKey: PrivateKeyInput },
  claims: Omit<DeviceBindingClaims, 'iat'> & { iat?: number },
): Promise<string> {
  const payload: DeviceBindingClaims = { ...claims, iat: claims.iat ?? now() };
  return new CompactSign(encoder.encode(JSON.stringify(payload)))
    .setProtectedHeader({ alg: 'EdDSA', kid: unitSigningKey.kid, typ: DEVICE_BINDING_TYP })
    .sign(await asKey(unitSigningKey.privateKey, 'EdDSA'));
}

/**
 * Verifies a binding against the unit's signing keys (verified against the organisation root
 * beforehand, e.g. with verifyUnitKeySet) and that it binds the expected holder.
 */
export async function verifyDeviceBinding(
  binding: string,
  unitSigningKeys: JWK[],
  expected: { unitId: string; holder: BoxHolder; person?: PersonRef },
): Promise<DeviceBindingClaims> {
  const claims = await verifySignedByUnit(
    binding,
    DEVICE_BINDING_TYP,
    unitSigningKeys,
    (reason) => new DeviceCryptoError('binding_invalid', `the device binding ${reason}`),
  );
  const c = claims as unknown as DeviceBindingClaims;
  const fail = (reason: string) =>
    new DeviceCryptoError('binding_invalid', `the device binding ${reason}`);
  if (c.iss !== expected.unitId) {
    throw fail('names another unit');
  }
  checkHolder(c.sub, c.cnf, expected.holder, fail);
  if (
    expected.person &&
    (c.person?.iss !== expected.person.iss || c.person?.sub !== expected.person.sub)
  ) {
    throw fail('names another person');
  }
  return c;
}

function checkHolder(
  sub: unknown,
  cnf: unknown,
  holder: BoxHolder,
  fail: (reason: string) => Error,
): void {
  if (sub !== holder.id) {
    throw fail(`is for ${String(sub)}, not ${holder.id}`);
  }
  if (!isRecord(cnf) || cnf.enc !== holder.encryptionKid) {
    throw fail('names another encryption key');
  }
  if (holder.signingKid !== undefined && cnf.sig !== holder.signingKid) {
    throw fail('names another signing key');
  }
}

async function verifySignedByUnit(
  jws: string,
  typ: string,
  unitSigningKeys: JWK[],
  fail: (reason: string) => Error,
): Promise<Record<string, unknown>> {
  let header: { alg?: unknown; kid?: unknown; typ?: unknown };
  try {
    header = decodeProtectedHeader(jws);
  } catch {
    throw fail('is not a JWS');
  }
  if (header.alg !== 'EdDSA' || header.typ !== typ || typeof header.kid !== 'string') {
    throw fail(`must be an EdDSA ${typ} naming the unit's signing key`);
  }
  const key = unitSigningKeys.find((k) => k.kid === header.kid);
  if (!key) {
    throw fail(`is signed with ${header.kid}, not a signing key of the unit`);
  }
  let payload: Uint8Array;
  try {
    ({ payload } = await compactVerify(jws, await importJWK(key, 'EdDSA'), {
      algorithms: ['EdDSA'],
    }));
  } catch {
    throw fail(`does not verify with the unit's signing key ${header.kid}`);
  }
  try {
    const parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(payload)) as unknown;
    if (isRecord(parsed)) {
      return parsed;
    }
  } catch {
    // fall through
  }
  throw fail('is not a JSON object');
}

// ----- key boxes -------------------------------------------------------------------------------

/** The unit keys inside a box: current and retired, oldest first (the key store's shape). */
export interface UnitKeyRingJwk {
  enc: KeyPairJwk[];
  sig: KeyPairJwk[];
}

export interface KeyBoxClaims {
  /** the unit */
  iss: string;
  org: string;
  /** the holder: device id or `recovery:<kid>` */
  sub: string;
  cnf: { enc: string; sig?: string };
  person?: PersonRef;
  keys: UnitKeyRingJwk;
  /**
   * root key fingerprints per organisation that the approver trusts (compared out of band), so
   * a new device can check the keys of the units it will read from
   */
  pins?: Record<string, string[]>;
  iat: number;
  jti: string;
}

export interface SealKeyBoxInput {
  unitId: string;
  organisationId: string;
  holder: BoxHolder;
  /** the holder's public encryption key (X25519), as the hub served it */
  holderEncryptionJwk: JWK;
  person?: PersonRef;
  keys: UnitKeyRingJwk;
  /** root fingerprints the sealer trusts, passed on to the holder under the unit's signature */
  pins?: Record<string, string[]>;
  /** the unit's current signing key: it signs the box, so the holder knows who sealed it */
  unitSigningKey: { kid: string; privateKey: PrivateKeyInput };
}

/** Sign (unit key), then encrypt (holder key): a compact JWE the hub stores and cannot open. */
export async function sealKeyBox(input: SealKeyBoxInput): Promise<string> {
  const holderJwk = okpPublicJwk(input.holderEncryptionJwk, 'X25519');
  if (!holderJwk) {
    throw new DeviceCryptoError('device_key_malformed', 'the holder key is not an X25519 key');
  }
  const kid = await calculateJwkThumbprint(holderJwk, 'sha256');
  if (kid !== input.holder.encryptionKid) {
    throw new DeviceCryptoError('device_key_malformed', 'the holder key is not the one named');
  }
  const claims: KeyBoxClaims = {
    iss: input.unitId,
    org: input.organisationId,
    sub: input.holder.id,
    cnf: {
      enc: input.holder.encryptionKid,
      ...(input.holder.signingKid ? { sig: input.holder.signingKid } : {}),
    },
    ...(input.person ? { person: input.person } : {}),
    keys: {
      enc: input.keys.enc.map(ringEntry),
      sig: input.keys.sig.map(ringEntry),
    },
    ...(input.pins ? { pins: input.pins } : {}),
    iat: now(),
    jti: crypto.randomUUID(),
  };
  const jws = await new CompactSign(encoder.encode(JSON.stringify(claims)))
    .setProtectedHeader({ alg: 'EdDSA', kid: input.unitSigningKey.kid, typ: KEY_BOX_TYP })
    .sign(await asKey(input.unitSigningKey.privateKey, 'EdDSA'));
  return new CompactEncrypt(encoder.encode(jws))
    .setProtectedHeader({
      alg: 'ECDH-ES+A256KW',
      enc: 'A256GCM',
      kid,
      typ: KEY_BOX_JWE_TYP,
      cty: 'JWT',
    })
    .encrypt(await importJWK(holderJwk, 'ECDH-ES+A256KW'));
}

function ringEntry(pair: KeyPairJwk): KeyPairJwk {
  return { kid: pair.kid, publicJwk: pair.publicJwk, privateJwk: pair.privateJwk };
}

export interface OpenKeyBoxInput {
  holder: BoxHolder;
  holderEncryptionKey: PrivateKeyInput;
  unitId: string;
  /** the unit's signing keys (active and retired), verified against the organisation root */
  unitSigningKeys: JWK[];
  /** the unit's active key ids as the directory lists them (root-verified): all must be inside */
  activeKids?: string[];
  /** key ids this holder held before: a box without any of them is an old box replayed */
  heldKids?: string[];
  /** the newest box this holder opened before (its `iat`): an older box is replayed */
  notBefore?: number;
}

/**
 * Opens a key box: decrypts it with the holder's key, verifies the unit's signature, checks it
 * is this holder's box for this unit, and checks each private key against its public half. A box
 * that is not the newest (missing a key the directory lists as active, or one the holder had) is
 * refused as stale: a hub that replays an old box after a rotation is caught.
 */
export async function openKeyBox(
  jwe: string,
  input: OpenKeyBoxInput,
): Promise<{ claims: KeyBoxClaims; keys: UnitKeyRingJwk }> {
  let header: { kid?: unknown; typ?: unknown; alg?: unknown; enc?: unknown };
  try {
    header = decodeProtectedHeader(jwe);
  } catch {
    throw new DeviceCryptoError('box_malformed', 'the key box is not a JWE');
  }
  if (header.typ !== KEY_BOX_JWE_TYP || header.alg !== 'ECDH-ES+A256KW') {
    throw new DeviceCryptoError('box_malformed', 'the key box is not a unit-key-box+jwe');
  }
  if (header.kid !== input.holder.encryptionKid) {
    throw new DeviceCryptoError(
      'box_not_for_this_device',
      `the key box is sealed to ${String(header.kid)}, not to this device's key`,
    );
  }
  let inner: string;
  try {
    const { plaintext } = await compactDecrypt(
      jwe,
      await asKey(input.holderEncryptionKey, 'ECDH-ES+A256KW'),
      { keyManagementAlgorithms: ['ECDH-ES+A256KW'], contentEncryptionAlgorithms: ['A256GCM'] },
    );
    inner = new TextDecoder('utf-8', { fatal: true }).decode(plaintext);
  } catch {
    throw new DeviceCryptoError(
      'box_not_for_this_device',
      "the key box does not open with this device's key",
    );
  }
  const fail = (reason: string) =>
    new DeviceCryptoError('box_signature_invalid', `the key box ${reason}`);
  const claims = (await verifySignedByUnit(
    inner,
    KEY_BOX_TYP,
    input.unitSigningKeys,
    fail,
  )) as unknown as KeyBoxClaims;
  const malformed = (reason: string) =>
    new DeviceCryptoError('box_malformed', `the key box ${reason}`);
  if (claims.iss !== input.unitId) {
    throw malformed(`holds the keys of unit ${String(claims.iss)}, not ${input.unitId}`);
  }
  checkHolder(
    claims.sub,
    claims.cnf,
    input.holder,
    (reason) => new DeviceCryptoError('box_not_for_this_device', `the key box ${reason}`),
  );
  if (
    !isRecord(claims.keys) ||
    !Array.isArray(claims.keys.enc) ||
    !Array.isArray(claims.keys.sig)
  ) {
    throw malformed('holds no key ring');
  }
  const keys: UnitKeyRingJwk = {
    enc: await Promise.all(claims.keys.enc.map((k) => checkedPair(k, 'X25519', malformed))),
    sig: await Promise.all(claims.keys.sig.map((k) => checkedPair(k, 'Ed25519', malformed))),
  };
  if (
    claims.pins !== undefined &&
    (!isRecord(claims.pins) ||
      !Object.values(claims.pins).every(
        (v) => Array.isArray(v) && v.every((f) => typeof f === 'string'),
      ))
  ) {
    throw malformed('holds malformed root pins');
  }
  const inside = new Set([...keys.enc, ...keys.sig].map((k) => k.kid));
  const missingActive = (input.activeKids ?? []).filter((kid) => !inside.has(kid));
  if (missingActive.length > 0) {
    throw new DeviceCryptoError(
      'box_stale',
      `the key box lacks the unit's active key(s) ${missingActive.join(', ')}: an old box was served`,
    );
  }
  const missingHeld = (input.heldKids ?? []).filter((kid) => !inside.has(kid));
  if (missingHeld.length > 0) {
    throw new DeviceCryptoError(
      'box_stale',
      `the key box lacks key(s) ${missingHeld.join(', ')} this device already held: an old box was served`,
    );
  }
  if (
    input.notBefore !== undefined &&
    (typeof claims.iat !== 'number' || claims.iat < input.notBefore)
  ) {
    throw new DeviceCryptoError('box_stale', 'the key box is older than one this device opened');
  }
  return { claims, keys };
}

async function checkedPair(
  value: unknown,
  crv: 'X25519' | 'Ed25519',
  malformed: (reason: string) => Error,
): Promise<KeyPairJwk> {
  if (!isRecord(value) || !isRecord(value.privateJwk)) {
    throw malformed('holds a malformed key');
  }
  const pub = okpPublicJwk(value.privateJwk, crv);
  const d = value.privateJwk.d;
  if (!pub || typeof d !== 'string' || !B64URL_32_BYTES.test(d)) {
    throw malformed(`holds a key that is not a private ${crv} key`);
  }
  const kid = await calculateJwkThumbprint(pub, 'sha256');
  if (value.kid !== kid) {
    throw malformed(`holds key ${String(value.kid)} whose kid is not its thumbprint`);
  }
  const use = crv === 'X25519' ? 'enc' : 'sig';
  const alg = use === 'enc' ? 'ECDH-ES+A256KW' : 'EdDSA';
  // The private key must belong to the public one: WebCrypto refuses a d that does not fit x.
  if (!(await privateMatchesPublic({ ...pub, d }, alg))) {
    throw malformed(`holds key ${kid} whose private half does not match`);
  }
  return {
    kid,
    publicJwk: { ...pub, kid, use, alg },
    privateJwk: { ...pub, d, kid, use, alg },
  };
}

async function privateMatchesPublic(jwk: JWK, alg: string): Promise<boolean> {
  try {
    await importJWK(jwk, alg, { extractable: true });
    return true;
  } catch {
    return false;
  }
}

// ----- recovery key ----------------------------------------------------------------------------

export interface RecoveryKey {
  kid: string;
  publicJwk: JWK;
  privateJwk: JWK;
  /** what the person writes down or prints: shown once, never sent */
  secret: string;
}

const RECOVERY_PREFIX = 'SVRK1';
/** Crockford's base32: no I, L, O, U, so what is written down reads back unambiguously. */
const BASE32 = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
/** PKCS #8 DER of an X25519 private key is this prefix and the 32 key bytes (RFC 8410). */
const X25519_PKCS8_PREFIX = [
  0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e, 0x04, 0x22, 0x04, 0x20,
];

function base32Encode(bytes: Uint8Array): string {
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) {
    out += BASE32[(value << (5 - bits)) & 31];
  }
  return out;
}

function base32Decode(text: string): Uint8Array | undefined {
  const normal = text.toUpperCase().replace(/O/g, '0').replace(/[IL]/g, '1');
  let bits = 0;
  let value = 0;
  const out: number[] = [];
  for (const ch of normal) {
    const v = BASE32.indexOf(ch);
    if (v < 0) {
      return undefined;
    }
    value = ((value << 5) | v) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 255);
      bits -= 8;
    }
  }
  return new Uint8Array(out);
}

async function checksum(d: Uint8Array): Promise<Uint8Array> {
  const digest = new Uint8Array(
    await crypto.subtle.digest('SHA-256', concat(encoder.encode('samverkan-recovery-v1'), d)),
  );
  return digest.subarray(0, 2);
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(new ArrayBuffer(a.length + b.length));
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

/**
 * A unit recovery key: an X25519 key pair made on a client, one more box holder. Its secret is
 * the 32-byte private key and a 2-byte checksum in Crockford base32, in groups of five: 55
 * characters to print or write down.
 */
export async function generateRecoveryKey(): Promise<RecoveryKey> {
  const { privateKey } = await generateKeyPair('ECDH-ES', { crv: 'X25519', extractable: true });
  const priv = await exportJWK(privateKey);
  const d = base64url.decode(priv.d!);
  const body = base32Encode(concat(d, await checksum(d)));
  return {
    ...(await recoveryFromPrivate(d)),
    secret: `${RECOVERY_PREFIX}-${body.match(/.{1,5}/g)!.join('-')}`,
  };
}

async function recoveryFromPrivate(d: Uint8Array): Promise<Omit<RecoveryKey, 'secret'>> {
  // WebCrypto derives the public key when it imports the private key alone (PKCS #8).
  const key = await crypto.subtle.importKey(
    'pkcs8',
    concat(new Uint8Array(X25519_PKCS8_PREFIX), d),
    { name: 'X25519' },
    true,
    ['deriveBits'],
  );
  const jwk = (await crypto.subtle.exportKey('jwk', key)) as JWK;
  const pub: JWK = { kty: 'OKP', crv: 'X25519', x: jwk.x };
  const kid = await calculateJwkThumbprint(pub, 'sha256');
  return {
    kid,
    publicJwk: { ...pub, kid, use: 'enc', alg: 'ECDH-ES+A256KW' },
    privateJwk: { ...pub, d: jwk.d, kid, use: 'enc', alg: 'ECDH-ES+A256KW' },
  };
}

/** Reads a recovery key as printed (spaces, dashes and case ignored; a typo fails the checksum). */
export async function parseRecoveryKey(secret: string): Promise<Omit<RecoveryKey, 'secret'>> {
  const fail = () =>
    new DeviceCryptoError('recovery_key_malformed', 'this is not a Samverkan unit recovery key');
  const compact = secret.replace(/[\s-]+/g, '').toUpperCase();
  if (!compact.startsWith(RECOVERY_PREFIX)) {
    throw fail();
  }
  const bytes = base32Decode(compact.slice(RECOVERY_PREFIX.length));
  if (!bytes || bytes.length !== 34) {
    throw fail();
  }
  const d = bytes.subarray(0, 32);
  const sum = await checksum(d);
  if (sum[0] !== bytes[32] || sum[1] !== bytes[33]) {
    throw new DeviceCryptoError(
      'recovery_key_malformed',
      'the recovery key does not check out: compare what was typed with the printed key',
    );
  }
  return recoveryFromPrivate(d);
}

export function recoveryHolder(kid: string): BoxHolder {
  return { id: `recovery:${kid}`, encryptionKid: kid };
}

// ----- proof of possession (RFC 9449 DPoP) -----------------------------------------------------

/**
 * A DPoP proof (RFC 9449 §4) for one request, signed with the device's signing key: the hub
 * serves key boxes only to a request that carries one, so a stolen bearer token alone gets
 * nothing. `ath` binds the proof to the access token sent with it.
 */
export async function createDpopProof(input: {
  signing: { privateKey: PrivateKeyInput; publicJwk: JWK };
  method: string;
  url: string;
  accessToken?: string;
}): Promise<string> {
  const pub = okpPublicJwk(input.signing.publicJwk, 'Ed25519');
  if (!pub) {
    throw new DeviceCryptoError('device_key_malformed', 'the signing key is not Ed25519');
  }
  const url = new URL(input.url);
  const claims: Record<string, unknown> = {
    htm: input.method.toUpperCase(),
    htu: `${url.origin}${url.pathname}`,
    jti: crypto.randomUUID(),
  };
  if (input.accessToken) {
    claims.ath = await accessTokenHash(input.accessToken);
  }
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'EdDSA', typ: DPOP_TYP, jwk: pub })
    .setIssuedAt()
    .sign(await asKey(input.signing.privateKey, 'EdDSA'));
}

/** base64url(SHA-256(access token)), the `ath` of RFC 9449 §4.2. */
export async function accessTokenHash(accessToken: string): Promise<string> {
  return base64url.encode(
    new Uint8Array(await crypto.subtle.digest('SHA-256', encoder.encode(accessToken))),
  );
}

function now(): number {
  return Math.floor(Date.now() / 1000);
}
