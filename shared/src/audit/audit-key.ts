import { createHmac } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {
  calculateJwkThumbprint,
  CompactSign,
  compactVerify,
  exportJWK,
  generateKeyPair,
  importJWK,
  type JWK,
} from 'jose';

/**
 * A service's audit key: the Ed25519 key that signs checkpoints of its hash chains (audit log,
 * key log). The key id is the RFC 7638 thumbprint of the public key, so an auditor who has
 * compared it once out of band can recognise it anywhere.
 *
 * Where it lives: `<SERVICE>_AUDIT_SIGNING_KEY_FILE` (a private JWK, mounted as a secret and the
 * same for every replica of the service) when set; otherwise `<AUDIT_KEYS_DIR>/<service>.jwk`
 * (default `<SAMVERKAN_DATA_DIR>/audit-keys`), generated on first start (the embedded hub's
 * default; replicas sharing the folder share the key). The database never holds
 * the private key, so whoever can only write the database cannot sign a checkpoint.
 */
export interface AuditSigningKey {
  kid: string;
  publicJwk: JWK;
  /** compact JWS (EdDSA) over the canonical payload */
  sign(payload: string): Promise<string>;
  /**
   * A secret of this deployment for another purpose (`label`), derived from the private key
   * (HMAC-SHA256), so that it exists wherever the key does and never reaches the database.
   */
  deriveSecret(label: string): string;
}

export const CHECKPOINT_JWS_TYPE = 'audit-checkpoint+jws';

export function auditKeyFile(
  service: string,
  keysDir: string,
  env: Record<string, string | undefined> = process.env,
): { file: string; configured: boolean } {
  const configured = env[`${service.toUpperCase()}_AUDIT_SIGNING_KEY_FILE`];
  if (configured !== undefined && configured !== '') {
    return { file: path.resolve(configured), configured: true };
  }
  return { file: path.join(keysDir, `${service}.jwk`), configured: false };
}

async function generateKeyFile(file: string): Promise<JWK> {
  const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  const jwk = await exportJWK(privateKey);
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  // Exclusive create: when two services or processes race on first start, the winner's key is used.
  try {
    fs.writeFileSync(file, JSON.stringify(jwk, null, 2), { mode: 0o600, flag: 'wx' });
    return jwk;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
      return JSON.parse(fs.readFileSync(file, 'utf8')) as JWK;
    }
    throw err;
  }
}

export function publicPart(jwk: JWK): JWK {
  return { kty: jwk.kty, crv: jwk.crv, x: jwk.x };
}

export async function loadAuditSigningKey(options: {
  service: string;
  /** where generated keys are kept */
  keysDir: string;
  env?: Record<string, string | undefined>;
}): Promise<AuditSigningKey> {
  const { file, configured } = auditKeyFile(options.service, options.keysDir, options.env);
  let jwk: JWK;
  if (fs.existsSync(file)) {
    jwk = JSON.parse(fs.readFileSync(file, 'utf8')) as JWK;
  } else if (configured) {
    // A configured key that is missing is a deployment error: a fresh key would silently
    // split the replicas' checkpoints between keys nobody has compared.
    throw new Error(
      `${options.service.toUpperCase()}_AUDIT_SIGNING_KEY_FILE names ${file}, which does not exist`,
    );
  } else {
    jwk = await generateKeyFile(file);
  }
  if (jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519' || typeof jwk.d !== 'string') {
    throw new Error(`the audit key in ${file} is not a private Ed25519 JWK`);
  }
  const publicJwk = publicPart(jwk);
  const kid = await calculateJwkThumbprint(publicJwk, 'sha256');
  const privateKey = await importJWK(jwk, 'EdDSA');
  return {
    kid,
    publicJwk: { ...publicJwk, kid, alg: 'EdDSA', use: 'sig' },
    deriveSecret: (label) => createHmac('sha256', jwk.d!).update(label).digest('hex'),
    sign: (payload) =>
      new CompactSign(new TextEncoder().encode(payload))
        .setProtectedHeader({ alg: 'EdDSA', kid, typ: CHECKPOINT_JWS_TYPE })
        .sign(privateKey),
  };
}

/** Checks a checkpoint's JWS with the given public key; returns its payload text or null. */
export async function openCheckpointJws(jws: string, publicJwk: JWK): Promise<string | null> {
  try {
    const key = await importJWK(publicPart(publicJwk), 'EdDSA');
    const { payload, protectedHeader } = await compactVerify(jws, key, { algorithms: ['EdDSA'] });
    if (protectedHeader.typ !== CHECKPOINT_JWS_TYPE) {
      return null;
    }
    return new TextDecoder().decode(payload);
  } catch {
    return null;
  }
}
