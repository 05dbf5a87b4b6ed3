import fs from 'node:fs';
import path from 'node:path';
import { exportJWK, exportSPKI, generateKeyPair, importJWK, SignJWT, type JWK } from 'jose';
import type { Role } from './principal';
import type { TrustedIssuer } from './issuer-registry';

/**
 * The development issuer: an Ed25519 key pair generated on first use and kept in the data folder,
 * used by `npm run token` to mint tokens for the seeded users. It is trusted for every
 * organisation, so it is only ever on when AUTH_DEV_ISSUER=true (the embedded default).
 */
export const DEV_ISSUER = 'urn:samverkan:dev-issuer';

interface DevIssuerFile {
  kid: string;
  privateJwk: JWK;
  publicKeyPem: string;
}

export interface DevIssuer {
  issuer: string;
  kid: string;
  publicKeyPem: string;
  trusted(): TrustedIssuer;
  mint(
    claims: DevTokenClaims,
    options?: { audience?: string; ttlSeconds?: number },
  ): Promise<string>;
}

export interface DevTokenClaims {
  sub: string;
  org: string;
  units: string[];
  roles: Role[];
}

function keyFile(dataDir: string): string {
  return path.join(dataDir, 'dev-issuer', 'key.json');
}

async function createKeyFile(file: string): Promise<DevIssuerFile> {
  const { privateKey, publicKey } = await generateKeyPair('EdDSA', {
    crv: 'Ed25519',
    extractable: true,
  });
  const privateJwk = await exportJWK(privateKey);
  const content: DevIssuerFile = {
    kid: `dev-${Date.now().toString(36)}`,
    privateJwk,
    publicKeyPem: await exportSPKI(publicKey),
  };
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  // Exclusive create: if another process (the hub, or `npm run token`) won the race, use its key.
  try {
    fs.writeFileSync(file, JSON.stringify(content, null, 2), { mode: 0o600, flag: 'wx' });
    return content;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
      return JSON.parse(fs.readFileSync(file, 'utf8')) as DevIssuerFile;
    }
    throw err;
  }
}

export async function loadDevIssuer(dataDir: string): Promise<DevIssuer> {
  const file = keyFile(dataDir);
  const content = fs.existsSync(file)
    ? (JSON.parse(fs.readFileSync(file, 'utf8')) as DevIssuerFile)
    : await createKeyFile(file);
  const privateKey = await importJWK(content.privateJwk, 'EdDSA');
  return {
    issuer: DEV_ISSUER,
    kid: content.kid,
    publicKeyPem: content.publicKeyPem,
    trusted: () => ({
      issuer: DEV_ISSUER,
      organisationIds: '*',
      keySource: 'pem',
      publicKeyPem: content.publicKeyPem,
      kid: content.kid,
      algorithms: ['EdDSA'],
    }),
    async mint(claims, options = {}) {
      return new SignJWT({ org: claims.org, units: claims.units, roles: claims.roles })
        .setProtectedHeader({ alg: 'EdDSA', kid: content.kid, typ: 'JWT' })
        .setIssuer(DEV_ISSUER)
        .setSubject(claims.sub)
        .setAudience(options.audience ?? 'samverkan')
        .setIssuedAt()
        .setExpirationTime(`${options.ttlSeconds ?? 8 * 3600}s`)
        .sign(privateKey);
    },
  };
}
