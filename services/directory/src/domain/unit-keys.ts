import {
  base64url,
  calculateJwkThumbprint,
  compactVerify,
  decodeProtectedHeader,
  importJWK,
  type JWK,
} from 'jose';
import { ProblemError, type ProblemDefinition } from '@samverkan/shared';
import { DirectoryProblems as P } from './errors';

/** JWK members that only a private (or symmetric) key has. */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k', 'oth'];
const B64URL_32_BYTES = /^[A-Za-z0-9_-]{43}$/;

export type KeyUse = 'enc' | 'sig';

export interface PublicOkpJwk {
  kty: 'OKP';
  crv: 'Ed25519' | 'X25519';
  x: string;
  kid: string;
  alg: 'EdDSA' | 'ECDH-ES+A256KW';
  use: KeyUse;
}

/** The members of a published public JWK; anything else is refused (nowhere to hide a secret). */
const PUBLIC_JWK_MEMBERS = new Set(['kty', 'crv', 'x', 'kid', 'alg', 'use']);
/** The documented shape of a unit key statement: protected header and payload members. */
const STATEMENT_HEADER_MEMBERS = new Set(['alg', 'kid', 'typ']);
const STATEMENT_MEMBERS = new Set(['unit', 'org', 'use', 'jwk', 'iat']);
const STATEMENT_TYP = 'unit-key+jws';

/**
 * Whether a private (or symmetric) JWK member appears anywhere in `value`, at any depth: a
 * private key hidden in an extra member of a signed statement would otherwise be published in
 * the append-only key log for ever.
 */
export function hasPrivateMaterial(value: unknown, depth = 0): boolean {
  if (!value || typeof value !== 'object' || depth > 32) {
    return false;
  }
  if (Array.isArray(value)) {
    return value.some((item) => hasPrivateMaterial(item, depth + 1));
  }
  return Object.entries(value).some(
    ([member, inner]) => PRIVATE_MEMBERS.includes(member) || hasPrivateMaterial(inner, depth + 1),
  );
}

/** Members of `value` outside the documented set, named for the error. */
function unexpectedMembers(value: object, allowed: Set<string>): string[] {
  return Object.keys(value).filter((member) => !allowed.has(member));
}

const ALG_FOR: Record<KeyUse, { crv: 'X25519' | 'Ed25519'; alg: PublicOkpJwk['alg'] }> = {
  enc: { crv: 'X25519', alg: 'ECDH-ES+A256KW' },
  sig: { crv: 'Ed25519', alg: 'EdDSA' },
};

/**
 * Checks that `jwk` is a public OKP key of the expected curve and returns its normal form, with
 * `kid` set to its RFC 7638 thumbprint (a `kid` already present must equal it).
 */
export async function normalisePublicJwk(
  jwk: Record<string, unknown>,
  use: KeyUse,
  malformed: ProblemDefinition = P.keyMalformed,
): Promise<PublicOkpJwk> {
  if (hasPrivateMaterial(jwk)) {
    throw new ProblemError(P.keyPrivateMaterial);
  }
  const extra = unexpectedMembers(jwk, PUBLIC_JWK_MEMBERS);
  if (extra.length > 0) {
    throw new ProblemError(
      malformed,
      `A public JWK has only kty, crv, x, kid, alg and use; refused: ${extra.slice(0, 5).join(', ').slice(0, 200)}`,
    );
  }
  const expected = ALG_FOR[use];
  if (
    jwk.kty !== 'OKP' ||
    jwk.crv !== expected.crv ||
    typeof jwk.x !== 'string' ||
    !B64URL_32_BYTES.test(jwk.x)
  ) {
    throw new ProblemError(
      malformed,
      `A ${use} key must be an OKP JWK on ${expected.crv} with a 32-byte x`,
    );
  }
  if (jwk.use !== undefined && jwk.use !== use) {
    throw new ProblemError(
      malformed,
      `The JWK says use=${String(jwk.use)} but it is published as ${use}`,
    );
  }
  if (jwk.alg !== undefined && jwk.alg !== expected.alg) {
    throw new ProblemError(malformed, `A ${use} key has alg ${expected.alg}`);
  }
  const kid = await calculateJwkThumbprint(
    { kty: 'OKP', crv: expected.crv, x: jwk.x } as JWK,
    'sha256',
  );
  if (jwk.kid !== undefined && jwk.kid !== kid) {
    throw new ProblemError(malformed, 'The kid must be the RFC 7638 SHA-256 thumbprint of the key');
  }
  return { kty: 'OKP', crv: expected.crv, x: jwk.x, kid, alg: expected.alg, use };
}

export interface RootKeyRef {
  kid: string;
  organisationId: string;
  status: 'active' | 'revoked';
  jwk: Record<string, string>;
}

export interface VerifiedUnitKey {
  jwk: PublicOkpJwk;
  use: KeyUse;
  rootKid: string;
}

/**
 * Verifies a unit key statement: a compact JWS (EdDSA, `kid` = the root key's kid) over
 * `{ unit, org, use, jwk, iat }`, signed by an active root key of the unit's organisation.
 * The hub cannot add a key of its own, because it does not hold any organisation's root key.
 */
export async function verifySignedUnitKey(
  signed: string,
  unit: { id: string; organisationId: string },
  findRootKey: (kid: string) => Promise<RootKeyRef | undefined>,
): Promise<VerifiedUnitKey> {
  // Someone may paste the private JWK itself instead of a signed statement.
  if (signed.trimStart().startsWith('{')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(signed);
    } catch {
      parsed = undefined;
    }
    if (hasPrivateMaterial(parsed)) {
      throw new ProblemError(P.keyPrivateMaterial);
    }
    throw new ProblemError(
      P.keyMalformed,
      'Send the key as a compact JWS signed by the organisation root key',
    );
  }
  const parts = signed.split('.');
  if (parts.length !== 3) {
    throw new ProblemError(
      P.keyMalformed,
      'Send the key as a compact JWS signed by the organisation root key',
    );
  }
  let header: { alg?: string; kid?: string; typ?: string };
  let payload: Record<string, unknown>;
  try {
    header = decodeProtectedHeader(signed);
    payload = JSON.parse(new TextDecoder().decode(base64url.decode(parts[1]!))) as Record<
      string,
      unknown
    >;
  } catch {
    throw new ProblemError(P.keyMalformed, 'The JWS header or payload is not valid base64url JSON');
  }
  if (!payload || typeof payload !== 'object' || Array.isArray(payload)) {
    throw new ProblemError(P.keyMalformed, 'The JWS payload must be a JSON object');
  }
  // Before anything else: a private key must never be stored, whatever else is wrong — not in
  // the JWK, not in an extra member of the payload or header at any depth.
  if (hasPrivateMaterial(payload) || hasPrivateMaterial(header)) {
    throw new ProblemError(P.keyPrivateMaterial);
  }
  // Then the documented shape exactly: the statement is stored and served as it was signed, so
  // a member the directory does not check would be a place to publish anything.
  const extra = [
    ...unexpectedMembers(header, STATEMENT_HEADER_MEMBERS).map((m) => `header ${m}`),
    ...unexpectedMembers(payload, STATEMENT_MEMBERS),
  ];
  if (extra.length > 0) {
    throw new ProblemError(
      P.keyMalformed,
      `The statement has members outside { unit, org, use, jwk, iat } and header { alg, kid, typ }: ${extra.slice(0, 5).join(', ').slice(0, 200)}`,
    );
  }
  if (header.alg !== 'EdDSA' || typeof header.kid !== 'string' || header.typ !== STATEMENT_TYP) {
    throw new ProblemError(
      P.keyMalformed,
      `The JWS must use alg EdDSA, name the root key in kid and have typ ${STATEMENT_TYP}`,
    );
  }
  if (
    payload.iat !== undefined &&
    (typeof payload.iat !== 'number' || !Number.isSafeInteger(payload.iat) || payload.iat < 0)
  ) {
    throw new ProblemError(P.keyMalformed, 'iat must be whole seconds since the epoch');
  }
  const use = payload.use;
  if (use !== 'enc' && use !== 'sig') {
    throw new ProblemError(P.keyMalformed, 'The payload must say use: enc or sig');
  }
  if (!payload.jwk || typeof payload.jwk !== 'object') {
    throw new ProblemError(P.keyMalformed, 'The payload must carry the public JWK');
  }
  const jwk = await normalisePublicJwk(payload.jwk as Record<string, unknown>, use);

  const root = await findRootKey(header.kid);
  if (!root) {
    throw new ProblemError(P.keySignatureInvalid, `No root key ${header.kid} is registered`);
  }
  if (root.organisationId !== unit.organisationId) {
    throw new ProblemError(
      P.keyWrongOrganisation,
      "The key is signed by another organisation's root key",
    );
  }
  if (root.status !== 'active') {
    throw new ProblemError(P.keySignatureInvalid, `Root key ${root.kid} is revoked`);
  }
  try {
    await compactVerify(signed, await importJWK(root.jwk, 'EdDSA'), { algorithms: ['EdDSA'] });
  } catch {
    throw new ProblemError(
      P.keySignatureInvalid,
      'The signature does not verify with the root key',
    );
  }
  if (payload.org !== unit.organisationId) {
    throw new ProblemError(
      P.keyWrongOrganisation,
      'The signed statement names another organisation',
    );
  }
  if (payload.unit !== unit.id) {
    throw new ProblemError(
      P.keyUnitMismatch,
      'The signed statement names another unit than the one in the path',
    );
  }
  return { jwk, use, rootKid: root.kid };
}
