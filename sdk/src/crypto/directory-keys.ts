import {
  calculateJwkThumbprint,
  compactVerify,
  decodeProtectedHeader,
  importJWK,
  type JWK,
} from 'jose';

/**
 * Client-side trust in the keys the directory serves (`GET /v1/keys?units=…`). The hub runs the
 * directory, so a client must not take its word for a key: every unit key is accepted only with
 * a valid statement signed by an active root key of the unit's own organisation, and, where the
 * client has pinned root fingerprints (compared out of band), only under a pinned root key.
 */

/** A root key as the directory serves it (`RootKey` in openapi/directory.yaml). */
export interface DirectoryRootKey {
  kid: string;
  organisationId: string;
  jwk: JWK;
  /** Served for display; never trusted: the fingerprint is recomputed from `jwk`. */
  fingerprint?: string;
  status: string;
}

/** A unit key as the directory serves it (`UnitKey` in openapi/directory.yaml). */
export interface DirectoryUnitKey {
  kid: string;
  unitId: string;
  organisationId: string;
  use: 'enc' | 'sig';
  alg?: string;
  jwk: JWK;
  /** The compact JWS by the organisation root key (`unit-key+jws`). */
  signed: string;
  rootKid?: string;
  status: string;
}

/** One unit of a `KeysResponse` (`UnitKeySet` in openapi/directory.yaml). */
export interface DirectoryUnitKeySet {
  unitId: string;
  organisationId: string;
  rootKeys: DirectoryRootKey[];
  keys: DirectoryUnitKey[];
}

export interface VerifiedUnitKeys {
  unitId: string;
  organisationId: string;
  /** Active X25519 keys: encrypt new envelopes to every one of them. */
  encryptionKeys: JWK[];
  /** Active and retired Ed25519 keys: retired keys still verify envelopes signed before. */
  signingKeys: JWK[];
}

export interface UnitKeyTrustOptions {
  /**
   * Root key fingerprints (RFC 7638 SHA-256 thumbprints, base64url) per organisation id, as
   * registered and compared out of band. For an organisation listed here only keys signed by a
   * root key with one of these fingerprints are accepted.
   */
  trustedRootFingerprints?: Record<string, string[]>;
  /** Refuse the keys of any organisation that has no entry in `trustedRootFingerprints`. */
  requirePinnedRoots?: boolean;
}

export class KeyTrustError extends Error {
  constructor(
    readonly unitId: string,
    readonly kid: string | undefined,
    readonly reason: string,
  ) {
    super(
      kid === undefined
        ? `the keys of unit ${unitId} are not trusted: ${reason}`
        : `key ${kid} of unit ${unitId} is not trusted: ${reason}`,
    );
    this.name = 'KeyTrustError';
  }
}

/**
 * The organisation's root key is not pinned on this client: nothing it signed can be trusted
 * until someone compares its fingerprint with the organisation out of band and pins it.
 */
export class RootKeyNotPinnedError extends KeyTrustError {
  constructor(
    unitId: string,
    readonly organisationId: string,
    /** Fingerprints of the organisation's active root keys as the directory serves them. */
    readonly fingerprints: string[],
    /** The unit key that depends on the unpinned root, where one was checked. */
    kid?: string,
    /**
     * Other root keys are pinned for the organisation: this one is new to the client (a root
     * rotation), or the hub is swapping in a key of its own.
     */
    readonly otherRootsPinned = false,
  ) {
    super(unitId, kid, `the root key of organisation ${organisationId} is not pinned`);
    const shown = fingerprints[0] ?? '<fingerprint>';
    this.message =
      `organisation ${organisationId}'s root key is not pinned (the keys of unit ${unitId} ` +
      `depend on it): compare fingerprint ` +
      `${fingerprints.join(' or ') || '(none served)'} with that organisation out of band ` +
      `(\`samverkan keys fingerprint --org ${organisationId}\`), then run ` +
      `\`samverkan keys pin ${organisationId} ${shown}\``;
    this.name = 'RootKeyNotPinnedError';
  }
}

/** Fingerprints of a set's active root keys that belong to its organisation (for display). */
async function servedRootFingerprints(set: DirectoryUnitKeySet): Promise<string[]> {
  const out: string[] = [];
  for (const root of set.rootKeys) {
    const jwk =
      isRecord(root) && root.status === 'active' ? okpPublic(root.jwk, 'Ed25519') : undefined;
    if (jwk && root.organisationId === set.organisationId) {
      out.push(await thumbprint(jwk));
    }
  }
  return out;
}

const CURVE_FOR_USE = { enc: 'X25519', sig: 'Ed25519' } as const;
const ALG_FOR_USE = { enc: 'ECDH-ES+A256KW', sig: 'EdDSA' } as const;
const B64URL_32_BYTES = /^[A-Za-z0-9_-]{43}$/;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The public OKP members of a JWK on `crv`, or undefined when it is not such a key. */
function okpPublic(jwk: unknown, crv: 'X25519' | 'Ed25519'): JWK | undefined {
  if (!isRecord(jwk) || jwk.kty !== 'OKP' || jwk.crv !== crv || typeof jwk.x !== 'string') {
    return undefined;
  }
  return B64URL_32_BYTES.test(jwk.x) ? { kty: 'OKP', crv, x: jwk.x } : undefined;
}

function thumbprint(jwk: JWK): Promise<string> {
  return calculateJwkThumbprint(jwk, 'sha256');
}

/**
 * Verifies every key of one unit as served by the directory and returns the trusted public keys.
 * Revoked keys are left out. Throws KeyTrustError, naming the unit and the key, at the first key
 * that fails a check: a set with one forged key is not used at all, because it shows that the
 * directory (or the path to it) cannot be trusted.
 */
export async function verifyUnitKeySet(
  set: DirectoryUnitKeySet,
  options: UnitKeyTrustOptions = {},
): Promise<VerifiedUnitKeys> {
  if (!isRecord(set) || typeof set.unitId !== 'string' || typeof set.organisationId !== 'string') {
    throw new KeyTrustError(
      String((set as { unitId?: unknown })?.unitId),
      undefined,
      'malformed key set',
    );
  }
  const { unitId, organisationId } = set;
  if (!Array.isArray(set.keys) || !Array.isArray(set.rootKeys)) {
    throw new KeyTrustError(unitId, undefined, 'malformed key set');
  }
  const pins = options.trustedRootFingerprints?.[organisationId];
  if (!pins && options.requirePinnedRoots) {
    throw new RootKeyNotPinnedError(unitId, organisationId, await servedRootFingerprints(set));
  }

  const encryptionKeys: JWK[] = [];
  const signingKeys: JWK[] = [];
  for (const key of set.keys) {
    if (!isRecord(key)) {
      throw new KeyTrustError(unitId, undefined, 'malformed key');
    }
    if (key.status === 'revoked') {
      continue;
    }
    const jwk = await verifyUnitKey(key, set, pins);
    if (key.use === 'sig') {
      signingKeys.push(jwk);
    } else if (key.status === 'active') {
      encryptionKeys.push(jwk);
    }
  }
  return { unitId, organisationId, encryptionKeys, signingKeys };
}

/** Verifies the sets of a whole `KeysResponse`, keyed by unit id. */
export async function verifyKeysResponse(
  response: { units: DirectoryUnitKeySet[] },
  options: UnitKeyTrustOptions = {},
): Promise<Map<string, VerifiedUnitKeys>> {
  const result = new Map<string, VerifiedUnitKeys>();
  for (const set of response.units) {
    result.set(set.unitId, await verifyUnitKeySet(set, options));
  }
  return result;
}

async function verifyUnitKey(
  key: DirectoryUnitKey,
  set: DirectoryUnitKeySet,
  pins: string[] | undefined,
): Promise<JWK> {
  const { unitId, organisationId } = set;
  const kid = typeof key.kid === 'string' ? key.kid : undefined;
  const fail = (reason: string): KeyTrustError => new KeyTrustError(unitId, kid, reason);

  if (!kid) {
    throw fail('the key has no kid');
  }
  if (key.unitId !== unitId || key.organisationId !== organisationId) {
    throw fail('the key is served for another unit or organisation');
  }
  if (key.use !== 'enc' && key.use !== 'sig') {
    throw fail('the key has no valid use');
  }
  const use = key.use;
  if (key.alg !== undefined && key.alg !== ALG_FOR_USE[use]) {
    throw fail(`a ${use} key must have alg ${ALG_FOR_USE[use]}`);
  }
  const served = okpPublic(key.jwk, CURVE_FOR_USE[use]);
  if (!served) {
    throw fail(`a ${use} key must be a public OKP JWK on ${CURVE_FOR_USE[use]}`);
  }
  if (typeof key.signed !== 'string') {
    throw fail('the key has no signed statement');
  }

  let header: { alg?: unknown; kid?: unknown; typ?: unknown };
  try {
    header = decodeProtectedHeader(key.signed);
  } catch {
    throw fail('the signed statement is not a JWS');
  }
  if (header.alg !== 'EdDSA' || header.typ !== 'unit-key+jws' || typeof header.kid !== 'string') {
    throw fail('the signed statement must be an EdDSA unit-key+jws naming its root key');
  }
  if (key.rootKid !== undefined && key.rootKid !== header.kid) {
    throw fail('rootKid differs from the key id in the signed statement');
  }

  const root = set.rootKeys.find((r) => isRecord(r) && r.kid === header.kid);
  if (!root) {
    throw fail(`root key ${header.kid} is not among the organisation's root keys`);
  }
  if (root.organisationId !== organisationId) {
    throw fail(`root key ${root.kid} belongs to another organisation`);
  }
  if (root.status !== 'active') {
    throw fail(`root key ${root.kid} is not active`);
  }
  const rootJwk = okpPublic(root.jwk, 'Ed25519');
  if (!rootJwk) {
    throw fail(`root key ${root.kid} is not an Ed25519 public key`);
  }
  // Recomputed, never the served `fingerprint`: the directory could serve any value there.
  const rootFingerprint = await thumbprint(rootJwk);
  if (root.kid !== rootFingerprint) {
    throw fail(`root key ${root.kid} is served with a kid that is not its thumbprint`);
  }
  if (pins && !pins.includes(rootFingerprint)) {
    // A new root key (or a forged one): only a comparison out of band can tell which.
    throw new RootKeyNotPinnedError(unitId, organisationId, [rootFingerprint], kid, true);
  }

  let payloadBytes: Uint8Array;
  try {
    const verified = await compactVerify(key.signed, await importJWK(rootJwk, 'EdDSA'), {
      algorithms: ['EdDSA'],
    });
    payloadBytes = verified.payload;
  } catch {
    throw fail(`the statement does not verify with root key ${root.kid}`);
  }
  let payload: unknown;
  try {
    payload = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(payloadBytes));
  } catch {
    throw fail('the signed statement is not JSON');
  }
  if (!isRecord(payload)) {
    throw fail('the signed statement is not a JSON object');
  }
  if (payload.unit !== unitId) {
    throw fail('the signed statement names another unit');
  }
  if (payload.org !== organisationId) {
    throw fail('the signed statement names another organisation');
  }
  if (payload.use !== use) {
    throw fail(`the signed statement is for use ${String(payload.use)}, not ${use}`);
  }
  const signedJwk = okpPublic(payload.jwk, CURVE_FOR_USE[use]);
  if (!signedJwk) {
    throw fail(`the signed key is not a public OKP JWK on ${CURVE_FOR_USE[use]}`);
  }
  if (signedJwk.x !== served.x) {
    throw fail('the served key differs from the signed key');
  }
  if ((await thumbprint(signedJwk)) !== kid) {
    throw fail('the kid is not the thumbprint of the signed key');
  }
  const servedKid = (key.jwk as { kid?: unknown }).kid;
  if (servedKid !== undefined && servedKid !== kid) {
    throw fail('the served JWK carries another kid');
  }
  return { ...signedJwk, kid, use, alg: ALG_FOR_USE[use] };
}

/** The SHA-256 thumbprint of a public OKP key, to show people for out-of-band comparison. */
export function rootKeyFingerprint(jwk: JWK): Promise<string> {
  const pub = okpPublic(jwk, 'Ed25519');
  if (!pub) {
    return Promise.reject(new TypeError('a root key is a public Ed25519 OKP JWK'));
  }
  return thumbprint(pub);
}
