import fastifyJwt from '@fastify/jwt';
import { createDecoder } from 'fast-jwt';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { createHash, createPublicKey, type JsonWebKey } from 'node:crypto';
import { rootCertificates } from 'node:tls';
import buildGetJwks, { type GetJwks } from 'get-jwks';
import type { Agent } from 'undici';
import { CommonProblems, ProblemError } from '../errors/problem';
import { DOCS_PREFIX } from '../app/docs';
import { DEV_ISSUER } from './dev-issuer';
import {
  ASYMMETRIC_ALGORITHMS,
  isHttpsUrl,
  type IssuerRegistry,
  type TrustedIssuer,
} from './issuer-registry';
import { ROLES, type Principal, type Role } from './principal';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal;
    /**
     * why the token was refused (a 401 problem, or the error that kept it from being checked,
     * such as the issuer table being unreachable), when the plugin runs with `deferFailures`
     */
    authFailure: unknown;
  }
  interface FastifyContextConfig {
    /** routes that need no token (health, docs) */
    public?: boolean;
  }
}

export interface AuthPluginOptions {
  issuers: IssuerRegistry;
  audience: string;
  hubOrganisationId: string;
  /**
   * Record a refused token on `request.authFailure` instead of refusing at once, so that a later
   * hook (rate limiting by address) runs first; the app must then refuse the request itself
   * (see `refuseUnauthenticated`). Off: refuse in this plugin's own hook.
   */
  deferFailures?: boolean;
  /** the longest lifetime (`exp` − `iat`) accepted; default 12 h (AUTH_MAX_TOKEN_LIFETIME_SECONDS) */
  maxTokenLifetimeSeconds?: number;
  /** how far clocks may disagree on `exp`, `nbf` and `iat`; default 60 s (AUTH_CLOCK_SKEW_SECONDS) */
  clockSkewSeconds?: number;
  /**
   * The development issuer's key id and data folder, when it is on: a development token signed
   * with another folder's key (minted where SAMVERKAN_DATA_DIR pointed elsewhere) is refused
   * with a detail that says so and what to do, not a bare "invalid token".
   */
  devIssuer?: { kid: string; dataDir: string };
  /** CA certificates (PEM) trusted besides the public ones for JWKS fetches (AUTH_JWKS_CA_FILE) */
  jwksCaPem?: string;
}

/** RFC 7638 canonical members of each key type. */
const THUMBPRINT_MEMBERS: Record<string, string[]> = {
  EC: ['crv', 'kty', 'x', 'y'],
  OKP: ['crv', 'kty', 'x'],
  RSA: ['e', 'kty', 'n'],
};

/** The RFC 7638 JWK thumbprint (base64url SHA-256) of a PEM public key: its default `kid`. */
export function pemKeyThumbprint(pem: string): string {
  const jwk = createPublicKey(pem).export({ format: 'jwk' }) as Record<string, string>;
  const members = THUMBPRINT_MEMBERS[jwk.kty ?? ''];
  if (!members) {
    throw new Error(`keys of type ${String(jwk.kty)} have no thumbprint here`);
  }
  const canonical = `{${members.map((m) => `${JSON.stringify(m)}:${JSON.stringify(jwk[m])}`).join(',')}}`;
  return createHash('sha256').update(canonical).digest('base64url');
}

export const DEFAULT_MAX_TOKEN_LIFETIME_SECONDS = 43_200;
export const DEFAULT_CLOCK_SKEW_SECONDS = 60;

const decodeComplete = createDecoder({ complete: true });
/** after a kid was not found in an issuer's JWKS, how long unknown kids are refused unfetched */
const JWKS_MISS_BACKOFF_MS = 30_000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function invalid(detail: string): ProblemError {
  return new ProblemError(CommonProblems.invalidToken, detail);
}

function bearerToken(request: FastifyRequest): string {
  const header = request.headers.authorization;
  if (!header) {
    throw new ProblemError(
      CommonProblems.unauthenticated,
      'Send an access token as "Authorization: Bearer <token>"',
    );
  }
  // The scheme is case-insensitive (RFC 9110 §11.1); one space before the token, as
  // @fastify/jwt's own parsing demands — a remembered token (below) skips that parsing, so the
  // header must be held to the same form here or a token would pass only once remembered.
  const match = /^Bearer ([A-Za-z0-9_.-]+)$/i.exec(header);
  if (!match) {
    throw invalid('The Authorization header must be "Bearer <token>"');
  }
  return match[1]!;
}

function toPrincipal(payload: Record<string, unknown>, hubOrganisationId: string): Principal {
  const { sub, iss, org, units, roles, exp } = payload;
  if (typeof sub !== 'string' || sub.length === 0 || sub.length > 200) {
    throw invalid('The sub claim is missing or malformed');
  }
  if (typeof org !== 'string' || !UUID.test(org)) {
    throw invalid('The org claim must be an organisation id');
  }
  const unitList = units ?? [];
  if (
    !Array.isArray(unitList) ||
    unitList.length > 200 ||
    !unitList.every((u) => typeof u === 'string' && UUID.test(u))
  ) {
    throw invalid('The units claim must be a list of unit ids');
  }
  const roleList = roles ?? [];
  if (!Array.isArray(roleList) || !roleList.every((r) => typeof r === 'string')) {
    throw invalid('The roles claim must be a list of roles');
  }
  // Unknown roles are ignored rather than refused: an identity provider may carry roles of
  // other systems in the same claim.
  const known = roleList.filter((r): r is Role => (ROLES as readonly string[]).includes(r));
  return {
    sub,
    iss: iss as string,
    org,
    units: [...(unitList as string[])],
    roles: known,
    hubAdmin: org === hubOrganisationId && known.includes('hub_admin'),
    ...(typeof exp === 'number' ? { exp } : {}),
  };
}

/**
 * Verifies the bearer token of every non-public route with @fastify/jwt: the issuer must be on
 * the allow-list (keys are fetched only for listed issuers), the algorithm one pinned for that
 * issuer (never `none`, never HMAC), `iss`/`aud`/`exp`/`sub` present and valid, and the `org`
 * claim an organisation the issuer is registered for.
 */
async function authPlugin(app: FastifyInstance, options: AuthPluginOptions): Promise<void> {
  const maxLifetimeSeconds = options.maxTokenLifetimeSeconds ?? DEFAULT_MAX_TOKEN_LIFETIME_SECONDS;
  const clockSkewSeconds = options.clockSkewSeconds ?? DEFAULT_CLOCK_SKEW_SECONDS;
  const jwksByIssuer = new Map<string, GetJwks>();
  const thumbprints = new Map<string, string>();
  // Fetches of JWKS go to https URLs only; a configured CA is trusted besides the public ones.
  // undici is loaded only then (it costs a quarter second of every start otherwise).
  const dispatcher: Agent | undefined = options.jwksCaPem
    ? new (await import('undici')).Agent({
        connect: { ca: [...rootCertificates, options.jwksCaPem] },
      })
    : undefined;
  app.addHook('onClose', async () => {
    await dispatcher?.close();
  });

  /** The `kid` a PEM issuer's tokens must name: the configured one, else the key's thumbprint. */
  function pemKid(issuer: TrustedIssuer): string {
    if (issuer.kid) {
      return issuer.kid;
    }
    const pem = issuer.publicKeyPem!;
    let kid = thumbprints.get(pem);
    if (kid === undefined) {
      kid = pemKeyThumbprint(pem);
      thumbprints.set(pem, kid);
    }
    return kid;
  }
  const knownKids = new Map<string, Set<string>>();
  const missUntil = new Map<string, number>();

  function jwksFor(issuer: string): GetJwks {
    let client = jwksByIssuer.get(issuer);
    if (!client) {
      client = buildGetJwks({
        issuersWhitelist: [issuer],
        providerDiscovery: false,
        max: 100,
        ttl: 10 * 60_000,
        ...(dispatcher ? { fetchOptions: { dispatcher } as Record<string, unknown> } : {}),
      });
      jwksByIssuer.set(issuer, client);
    }
    return client;
  }

  async function trustedIssuerOf(iss: unknown): Promise<TrustedIssuer> {
    if (typeof iss !== 'string' || iss.length === 0) {
      throw invalid('The iss claim is missing');
    }
    const issuer = await options.issuers.find(iss);
    if (!issuer) {
      throw new ProblemError(
        CommonProblems.untrustedIssuer,
        'The issuer of this token is not on the list of trusted issuers',
      );
    }
    return issuer;
  }

  /**
   * The key a token of `issuer` must be verified with: the algorithm must be one pinned for the
   * issuer, the kid must name the issuer's key (PEM) or one of its JWKS.
   */
  async function keyFor(
    issuer: TrustedIssuer,
    header: { alg?: string; kid?: string },
  ): Promise<string> {
    if (!header.alg || !(issuer.algorithms as readonly string[]).includes(header.alg)) {
      throw invalid(`Algorithm ${header.alg ?? '(none)'} is not accepted for this issuer`);
    }
    if (issuer.keySource === 'pem') {
      if (!issuer.publicKeyPem) {
        throw invalid('The issuer has no key configured');
      }
      // The key id must name the configured key: a token made for another key of the issuer
      // (or with a made-up kid) is refused before any signature check.
      if (header.kid !== pemKid(issuer)) {
        throw invalid('The kid of the token does not name the issuer’s key');
      }
      return issuer.publicKeyPem;
    }
    if (!isHttpsUrl(issuer.issuer)) {
      throw invalid('The issuer’s keys are read only over https');
    }
    const kid = typeof header.kid === 'string' ? header.kid : '';
    const known = knownKids.get(issuer.issuer);
    // An unknown kid makes get-jwks fetch the JWKS again. After a miss, refuse unknown kids for
    // a while without fetching, so tokens with made-up kids cannot make us hammer the issuer.
    if (!known?.has(kid) && (missUntil.get(issuer.issuer) ?? 0) > Date.now()) {
      throw invalid('No key of the issuer matches this token');
    }
    try {
      // get-jwks' own getPublicKey (jwk-to-pem) knows only RSA and EC keys; node:crypto also
      // reads OKP (Ed25519) JWKs, so EdDSA issuers can publish a JWKS too.
      const jwk = await jwksFor(issuer.issuer).getJwk({
        domain: issuer.issuer,
        alg: header.alg,
        kid,
      });
      const pem = createPublicKey({ key: jwk as JsonWebKey, format: 'jwk' })
        .export({ type: 'spki', format: 'pem' })
        .toString();
      if (!known) {
        knownKids.set(issuer.issuer, new Set([kid]));
      } else if (known.size < 1000) {
        known.add(kid);
      }
      return pem;
    } catch {
      missUntil.set(issuer.issuer, Date.now() + JWKS_MISS_BACKOFF_MS);
      throw invalid('No key of the issuer matches this token');
    }
  }

  /**
   * Tokens verified lately, by their exact text, with the key that verified them: a client sends
   * the same token with every request until it expires, and its signature and claims were checked
   * the first time. A hit still needs the issuer trusted now and the same key now (a rotated or
   * removed key misses), and is taken only strictly inside `nbf`..`exp` (the clock-skew margins go
   * through the full check). Bounded; the oldest entry goes first.
   */
  const verified = new Map<
    string,
    { key: string; header: Record<string, unknown>; payload: Record<string, unknown> }
  >();
  const VERIFIED_MAX = 2000;

  function verifiedPayload(token: string, key: string): Record<string, unknown> | undefined {
    const hit = verified.get(token);
    if (!hit || hit.key !== key) {
      return undefined;
    }
    const now = Date.now() / 1000;
    const { exp, nbf } = hit.payload;
    if (typeof exp !== 'number' || now >= exp || (typeof nbf === 'number' && now < nbf)) {
      verified.delete(token);
      return undefined;
    }
    return hit.payload;
  }

  function rememberVerified(
    token: string,
    key: string,
    decoded: { header: Record<string, unknown>; payload: Record<string, unknown> },
  ): void {
    if (verified.size >= VERIFIED_MAX) {
      verified.delete(verified.keys().next().value!);
    }
    verified.set(token, { key, header: decoded.header, payload: decoded.payload });
  }

  /**
   * The key `authenticate` found for a request's token (its issuer trusted, its algorithm and kid
   * checked), handed to @fastify/jwt's `secret` callback so it does not look them up again.
   */
  const keyOfRequest = new WeakMap<FastifyRequest, string>();

  await app.register(fastifyJwt, {
    secret: async (request: FastifyRequest, token: unknown) => {
      const found = keyOfRequest.get(request);
      if (found !== undefined) {
        return found;
      }
      const { header, payload } = token as {
        header: { alg?: string; kid?: string };
        payload: { iss?: unknown };
      };
      return keyFor(await trustedIssuerOf(payload.iss), header);
    },
    decode: { complete: true },
    verify: {
      algorithms: [...ASYMMETRIC_ALGORITHMS],
      allowedAud: options.audience,
      // `iat` is required: without it the lifetime of a token cannot be bounded.
      requiredClaims: ['iss', 'aud', 'exp', 'sub', 'iat'],
      clockTolerance: clockSkewSeconds * 1000,
      // A client sends the same token with every request until it expires: its signature is
      // checked once per key (the verifier is per key, and the issuer and its key are looked up
      // afresh on every request before it), then the verified claims come from an LRU keyed by the
      // token's hash, still bounded by `exp` and `nbf`. An Ed25519 check costs more than the rest
      // of a directory read.
      cache: 2000,
    },
  });

  app.decorateRequest('principal', null as unknown as Principal);
  app.decorateRequest('authFailure', null);

  app.addHook('onRequest', async (request) => {
    if (!options.deferFailures) {
      return authenticate(request);
    }
    try {
      await authenticate(request);
    } catch (err) {
      request.authFailure = err ?? invalid('The token could not be verified');
    }
  });

  /**
   * A stolen token is useful only while it lives: its lifetime (from `iat` to `exp`) is bounded,
   * and an `iat` in the future (beyond the allowed clock skew) would stretch it, so it is refused.
   */
  function checkLifetime(payload: Record<string, unknown>): void {
    const { iat, exp } = payload;
    if (typeof iat !== 'number' || !Number.isFinite(iat)) {
      throw invalid('The iat claim must be a number of seconds');
    }
    if (typeof exp !== 'number' || !Number.isFinite(exp)) {
      throw invalid('The exp claim must be a number of seconds');
    }
    if (iat > Date.now() / 1000 + clockSkewSeconds) {
      throw invalid('The token was issued in the future (iat); check the issuer’s clock');
    }
    if (exp - iat > maxLifetimeSeconds) {
      throw invalid(
        `The token lives longer than the ${maxLifetimeSeconds} seconds accepted (exp − iat)`,
      );
    }
  }

  async function authenticate(request: FastifyRequest): Promise<void> {
    if (
      request.routeOptions.config?.public ||
      request.url === DOCS_PREFIX ||
      request.url.startsWith(`${DOCS_PREFIX}/`)
    ) {
      return;
    }
    const token = bearerToken(request);
    // A token verified lately was decoded then: the same text decodes to the same header and
    // claims, and every check below still runs on them.
    let decoded: { header: Record<string, unknown>; payload: Record<string, unknown> };
    const known = verified.get(token);
    if (known) {
      decoded = known;
    } else {
      try {
        decoded = decodeComplete(token) as typeof decoded;
      } catch {
        throw invalid('The token is not a well-formed JWT');
      }
    }
    const alg = decoded.header.alg;
    if (typeof alg !== 'string' || !(ASYMMETRIC_ALGORITHMS as readonly string[]).includes(alg)) {
      throw invalid(`Algorithm ${String(alg)} is never accepted`);
    }
    const dev = options.devIssuer;
    const kid = (decoded.header as { kid?: unknown }).kid;
    if (dev && decoded.payload.iss === DEV_ISSUER && kid !== dev.kid) {
      throw invalid(
        `This development token was signed with the key of another data folder (kid ${String(kid)}), ` +
          `not this hub's (kid ${dev.kid}, in ${dev.dataDir}): it was minted where ` +
          `SAMVERKAN_DATA_DIR pointed elsewhere. Get a token from this hub with ` +
          `\`samverkan login <user>\`, or run \`SAMVERKAN_DATA_DIR=${dev.dataDir} npm run token -- <user>\``,
      );
    }
    const issuer = await trustedIssuerOf(decoded.payload.iss);
    const key = await keyFor(issuer, decoded.header as { alg?: string; kid?: string });
    let payload: Record<string, unknown>;
    try {
      const hit = verifiedPayload(token, key);
      if (hit) {
        payload = hit;
      } else {
        keyOfRequest.set(request, key);
        payload = await request.jwtVerify<Record<string, unknown>>();
        rememberVerified(token, key, { header: decoded.header, payload });
      }
    } catch (err) {
      if (err instanceof ProblemError) {
        throw err;
      }
      const code = (err as { code?: string }).code;
      if (code === 'FST_JWT_AUTHORIZATION_TOKEN_EXPIRED' || code === 'FAST_JWT_EXPIRED') {
        throw new ProblemError(CommonProblems.expiredToken);
      }
      const message = (err as Error).message;
      throw invalid(
        /aud/i.test(message)
          ? 'The token is not meant for this service (audience)'
          : code === 'FAST_JWT_INACTIVE' || /not active|will be active|nbf/i.test(message)
            ? 'The token is not valid yet'
            : /required/i.test(message)
              ? message
              : 'The token signature or claims could not be verified',
      );
    }
    checkLifetime(payload);
    const principal = toPrincipal(payload, options.hubOrganisationId);
    if (issuer.organisationIds !== '*' && !issuer.organisationIds.includes(principal.org)) {
      throw new ProblemError(
        CommonProblems.issuerNotForOrganisation,
        'This issuer is not registered to speak for the organisation in the org claim',
      );
    }
    request.principal = principal;
  }
}

/**
 * The refusal `deferFailures` put off: a hook (registered after rate limiting) that answers a
 * request whose token was refused with that refusal.
 */
export async function refuseUnauthenticated(request: FastifyRequest): Promise<void> {
  if (request.authFailure !== null && request.authFailure !== undefined) {
    throw request.authFailure;
  }
}

export const auth = fp(authPlugin, { name: 'samverkan-auth', fastify: '5.x' });
