export const ASYMMETRIC_ALGORITHMS = [
  'EdDSA',
  'ES256',
  'ES384',
  'ES512',
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
] as const;
export type JwtAlgorithm = (typeof ASYMMETRIC_ALGORITHMS)[number];

export interface TrustedIssuer {
  /** the exact `iss` value */
  issuer: string;
  /** organisations whose users this issuer may assert; '*' only for the development issuer */
  organisationIds: readonly string[] | '*';
  keySource: 'jwks' | 'pem';
  /** for `pem` */
  publicKeyPem?: string | null;
  /**
   * for `pem`: the `kid` a token's header must carry; unset, the key's RFC 7638 JWK thumbprint
   * (base64url SHA-256)
   */
  kid?: string | null;
  /** pinned; never `none`, never HMAC */
  algorithms: readonly JwtAlgorithm[];
}

export interface IssuerSource {
  find(issuer: string): Promise<TrustedIssuer | undefined>;
}

/**
 * The issuers a service trusts: static ones from configuration (AUTH_ISSUERS, the dev issuer)
 * and dynamic sources added by services (the directory's issuer table, or a read model of it).
 * Only an issuer found here is ever contacted for keys.
 */
export class IssuerRegistry {
  private readonly staticIssuers = new Map<string, TrustedIssuer>();
  private readonly sources: IssuerSource[] = [];

  constructor(issuers: TrustedIssuer[] = []) {
    for (const issuer of issuers) {
      this.addStatic(issuer);
    }
  }

  addStatic(issuer: TrustedIssuer): void {
    this.staticIssuers.set(issuer.issuer, issuer);
  }

  addSource(source: IssuerSource): void {
    this.sources.push(source);
  }

  async find(issuer: string): Promise<TrustedIssuer | undefined> {
    const found = this.staticIssuers.get(issuer);
    if (found) {
      return found;
    }
    for (const source of this.sources) {
      const hit = await source.find(issuer);
      if (hit) {
        return hit;
      }
    }
    return undefined;
  }
}

/**
 * Parses AUTH_ISSUERS: a JSON array of `{ issuer, organisationIds, keySource, publicKeyPem?, kid?,
 * algorithms? }`. A JWKS issuer must be an https URL (its keys are fetched from it).
 */
export function parseIssuersConfig(json: string | undefined): TrustedIssuer[] {
  if (json === undefined) {
    return [];
  }
  const raw = JSON.parse(json) as unknown;
  if (!Array.isArray(raw)) {
    throw new Error('AUTH_ISSUERS must be a JSON array');
  }
  return raw.map((entry: Record<string, unknown>, i) => {
    const where = `AUTH_ISSUERS[${i}]`;
    if (typeof entry.issuer !== 'string' || entry.issuer === '') {
      throw new Error(`${where}.issuer must be a non-empty string`);
    }
    if (
      !Array.isArray(entry.organisationIds) ||
      !entry.organisationIds.every((o) => typeof o === 'string')
    ) {
      throw new Error(`${where}.organisationIds must be an array of organisation ids`);
    }
    if (entry.keySource !== undefined && entry.keySource !== 'pem' && entry.keySource !== 'jwks') {
      throw new Error(`${where}.keySource must be "pem" or "jwks"`);
    }
    const keySource = entry.keySource === 'pem' ? 'pem' : 'jwks';
    if (keySource === 'pem' && typeof entry.publicKeyPem !== 'string') {
      throw new Error(`${where}.publicKeyPem is required when keySource is pem`);
    }
    if (keySource === 'jwks' && !isHttpsUrl(entry.issuer)) {
      throw new Error(`${where}.issuer must be an https URL for keySource jwks`);
    }
    if (
      entry.kid !== undefined &&
      (keySource !== 'pem' || typeof entry.kid !== 'string' || entry.kid === '')
    ) {
      throw new Error(`${where}.kid is the pem key's key id: a non-empty string, for pem only`);
    }
    const algorithms = (entry.algorithms ?? ['EdDSA', 'ES256', 'RS256']) as JwtAlgorithm[];
    if (
      !Array.isArray(algorithms) ||
      !algorithms.every((a) => (ASYMMETRIC_ALGORITHMS as readonly string[]).includes(a))
    ) {
      throw new Error(
        `${where}.algorithms may only name asymmetric algorithms: ${ASYMMETRIC_ALGORITHMS.join(', ')}`,
      );
    }
    return {
      issuer: entry.issuer,
      organisationIds: entry.organisationIds as string[],
      keySource,
      publicKeyPem: (entry.publicKeyPem as string | undefined) ?? null,
      kid: (entry.kid as string | undefined) ?? null,
      algorithms,
    };
  });
}

/** Whether a JWKS issuer may be fetched from: https only (never plain http, not even on loopback). */
export function isHttpsUrl(value: string): boolean {
  try {
    return new URL(value).protocol === 'https:';
  } catch {
    return false;
  }
}

/**
 * An issuer source over a lookup (a service's table or read model), cached briefly so that
 * token checks do not query on every request. `clear()` drops the cache after a local change.
 */
export function cachedIssuerSource(
  lookup: (issuer: string) => Promise<TrustedIssuer | undefined>,
  ttlMs = 10_000,
): IssuerSource & { clear(): void } {
  const cache = new Map<string, { at: number; value: TrustedIssuer | undefined }>();
  return {
    clear: () => cache.clear(),
    async find(issuer) {
      const hit = cache.get(issuer);
      if (hit && Date.now() - hit.at < ttlMs) {
        return hit.value;
      }
      const value = await lookup(issuer);
      // Unknown issuers are cached too; the bound keeps made-up `iss` values from growing it.
      if (cache.size > 1000) {
        cache.clear();
      }
      cache.set(issuer, { at: Date.now(), value });
      return value;
    },
  };
}

/** Keeps only the algorithms this platform accepts (never `none`, never HMAC). */
export function acceptedAlgorithms(algorithms: readonly string[]): JwtAlgorithm[] {
  return algorithms.filter((a): a is JwtAlgorithm =>
    (ASYMMETRIC_ALGORITHMS as readonly string[]).includes(a),
  );
}

/** A stored issuer (the directory's table, or a service's read model of it) as a TrustedIssuer. */
export function trustedIssuerFrom(row: {
  issuer: string;
  organisationIds: string[];
  keySource: 'jwks' | 'pem';
  publicKeyPem: string | null;
  algorithms: readonly string[];
}): TrustedIssuer {
  return {
    issuer: row.issuer,
    organisationIds: row.organisationIds,
    keySource: row.keySource,
    publicKeyPem: row.publicKeyPem,
    algorithms: acceptedAlgorithms(row.algorithms),
  };
}
