import {
  calculateJwkThumbprint,
  CompactSign,
  exportJWK,
  generateKeyPair,
  importJWK,
  type JWK,
} from 'jose';

/**
 * Client-side key handling for agencies (and the demo seed): generate an organisation root key
 * and unit keys, and sign a unit's public key with the root key so the directory, and every
 * client after it, can check it. Private halves never leave the caller.
 */
export interface KeyPairJwk {
  kid: string;
  publicJwk: JWK;
  privateJwk: JWK;
}

async function okpPair(
  alg: 'EdDSA' | 'ECDH-ES',
  crv: 'Ed25519' | 'X25519',
  use: 'sig' | 'enc',
): Promise<KeyPairJwk> {
  const { publicKey, privateKey } = await generateKeyPair(alg, { crv, extractable: true });
  const pub = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(pub, 'sha256');
  const jwsAlg = use === 'enc' ? 'ECDH-ES+A256KW' : 'EdDSA';
  return {
    kid,
    publicJwk: { ...pub, kid, use, alg: jwsAlg },
    privateJwk: { ...(await exportJWK(privateKey)), kid, use, alg: jwsAlg },
  };
}

export function generateRootKey(): Promise<KeyPairJwk> {
  return okpPair('EdDSA', 'Ed25519', 'sig');
}

export function generateUnitSigningKey(): Promise<KeyPairJwk> {
  return okpPair('EdDSA', 'Ed25519', 'sig');
}

export function generateUnitEncryptionKey(): Promise<KeyPairJwk> {
  return okpPair('ECDH-ES', 'X25519', 'enc');
}

/** The statement the directory accepts at `POST /v1/units/{id}/keys` (`{ signed }`). */
export async function signUnitKey(
  root: Pick<KeyPairJwk, 'kid' | 'privateJwk'>,
  statement: { unit: string; org: string; use: 'enc' | 'sig'; jwk: JWK },
): Promise<string> {
  const key = await importJWK(root.privateJwk, 'EdDSA');
  const payload = { ...statement, iat: Math.floor(Date.now() / 1000) };
  return new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
    .setProtectedHeader({ alg: 'EdDSA', kid: root.kid, typ: 'unit-key+jws' })
    .sign(key);
}
