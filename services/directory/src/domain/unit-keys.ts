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

export function hasPrivateMaterial(value: unknown): boolean {
  return Boolean(
    value && typeof value === 'object' && PRIVATE_MEMBERS.some((m) => m in (value as object)),
  );
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
  let header: { alg?: string; kid?: string };
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
  // Before anything else: a private key must never be stored, whatever else is wrong.
  if (hasPrivateMaterial(payload.jwk)) {
    throw new ProblemError(P.keyPrivateMaterial);
  }
  if (header.alg !== 'EdDSA' || typeof header.kid !== 'string') {
    throw new ProblemError(
      P.keyMalformed,
      'The JWS must use alg EdDSA and name the root key in kid',
    );
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
