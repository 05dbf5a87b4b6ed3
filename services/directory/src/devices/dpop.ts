import {
  calculateJwkThumbprint,
  decodeProtectedHeader,
  EmbeddedJWK,
  jwtVerify,
  type JWK,
} from 'jose';
import { ProblemError } from '@samverkan/shared';
import { accessTokenHash, DPOP_TYP } from '@samverkan/sdk/src/crypto/device-keys';
import { DirectoryProblems as P } from '../domain/errors';

/** How far a proof's `iat` may lie in the past or future (RFC 9449 §11.1 leaves it to the server). */
export const DPOP_MAX_AGE_SECONDS = 120;
const DPOP_FUTURE_SKEW_SECONDS = 60;

export interface VerifiedProof {
  /** thumbprint of the device's signing key that signed the proof */
  sigKid: string;
  jwk: JWK;
  jti: string;
  iat: number;
}

function invalid(detail: string): ProblemError {
  return new ProblemError(P.deviceProofInvalid, detail);
}

/**
 * Checks a DPoP proof (RFC 9449 §4.3) for one request: an EdDSA `dpop+jwt` signed by the public
 * key in its own header, for this method and path (`htu` is compared by path: behind a gateway
 * the scheme and host the client used are not the ones this process sees), recent, carrying a
 * `jti`, and bound to the bearer token by `ath`. Replay of the `jti` is the caller's check.
 */
export async function verifyDpopProof(input: {
  proof: unknown;
  method: string;
  path: string;
  accessToken: string;
  now?: Date;
}): Promise<VerifiedProof> {
  const { proof } = input;
  if (typeof proof !== 'string' || proof.length === 0) {
    throw invalid('Send a DPoP proof signed with the device key in the "DPoP" header');
  }
  if (proof.length > 4000) {
    throw invalid('The DPoP proof is too long');
  }
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(proof);
  } catch {
    throw invalid('The DPoP proof is not a JWT');
  }
  if (header.typ !== DPOP_TYP || header.alg !== 'EdDSA') {
    throw invalid('The DPoP proof must be an EdDSA dpop+jwt');
  }
  const jwk = header.jwk as JWK | undefined;
  if (!jwk || jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519' || 'd' in jwk) {
    throw invalid('The DPoP proof must carry the public Ed25519 device key in its header');
  }
  const nowSeconds = Math.floor((input.now ?? new Date()).getTime() / 1000);
  let payload: Record<string, unknown>;
  try {
    ({ payload } = await jwtVerify(proof, EmbeddedJWK, {
      typ: DPOP_TYP,
      algorithms: ['EdDSA'],
      currentDate: input.now,
    }));
  } catch {
    throw invalid('The DPoP proof does not verify with the key in its header');
  }
  const { htm, htu, iat, jti, ath } = payload;
  if (htm !== input.method.toUpperCase()) {
    throw invalid(`The DPoP proof is for ${String(htm)}, not ${input.method}`);
  }
  let htuPath: string;
  try {
    htuPath = new URL(String(htu)).pathname;
  } catch {
    throw invalid('The DPoP proof has no valid htu');
  }
  if (htuPath !== input.path) {
    throw invalid(`The DPoP proof is for ${htuPath}, not ${input.path}`);
  }
  if (
    typeof iat !== 'number' ||
    iat < nowSeconds - DPOP_MAX_AGE_SECONDS ||
    iat > nowSeconds + DPOP_FUTURE_SKEW_SECONDS
  ) {
    throw invalid('The DPoP proof is too old or from the future: make a fresh one per request');
  }
  if (typeof jti !== 'string' || jti.length < 8 || jti.length > 200) {
    throw invalid('The DPoP proof needs a unique jti');
  }
  if (ath !== (await accessTokenHash(input.accessToken))) {
    throw invalid('The DPoP proof is not bound to this access token (ath)');
  }
  const { kty, crv, x } = jwk;
  return {
    sigKid: await calculateJwkThumbprint({ kty, crv, x }, 'sha256'),
    jwk: { kty, crv, x },
    jti,
    iat,
  };
}
