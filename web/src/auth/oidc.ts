/**
 * Sign-in with OpenID Connect: authorization code + PKCE with oauth4webapi, against the identity
 * providers the hub lists at /sign-in.json (the organisations' issuers; in embedded mode the
 * development issuer's OpenID provider).
 *
 * Where the session lives: the access token is kept in memory only — never in localStorage or
 * sessionStorage, so no script injected later and no other tab can read it from storage. To
 * survive a reload, the app remembers (in sessionStorage) only WHICH provider this tab signed in
 * with, and on start asks that provider again with `prompt=none`: the provider's own session
 * cookie (HttpOnly, on its origin) answers with a fresh code at once, or with `login_required`,
 * in which case the sign-in page is shown. During the redirect sessionStorage also holds the
 * PKCE verifier and state of that one attempt, removed as soon as it returns.
 */
import * as oauth from 'oauth4webapi';

export interface SignInProvider {
  issuer: string;
  discoveryUrl: string;
  clientId: string;
  name: string;
  /** the provider's ID token algorithm when not RS256 (the development provider's is EdDSA) */
  idTokenSigningAlg?: string;
}

export interface Session {
  accessToken: string;
  expiresAt: number;
  idToken: string;
  provider: SignInProvider;
  claims: {
    sub: string;
    iss: string;
    org: string;
    units: string[];
    roles: string[];
  };
}

const PENDING = 'samverkan.signin.pending';
const PROVIDER = 'samverkan.signin.provider';
const SCOPE = 'openid profile api';

interface Pending {
  issuer: string;
  verifier: string;
  state: string;
  nonce: string;
  silent: boolean;
  returnTo: string;
}

export async function loadProviders(): Promise<SignInProvider[]> {
  const res = await fetch('/sign-in.json', { headers: { accept: 'application/json' } });
  if (!res.ok) {
    throw new Error(`sign-in.json: ${res.status}`);
  }
  const body = (await res.json()) as { providers: SignInProvider[] };
  return body.providers;
}

function redirectUri(): string {
  return `${location.origin}/`;
}

/** Plain http is accepted only for a hub on this machine (the development issuer). */
function insecureAllowed(url: string): boolean {
  const { protocol, hostname } = new URL(url, location.href);
  return (
    protocol === 'http:' &&
    (hostname === 'localhost' || hostname === '127.0.0.1' || hostname === '[::1]')
  );
}

async function discover(provider: SignInProvider): Promise<oauth.AuthorizationServer> {
  const url = new URL(provider.discoveryUrl, location.href);
  const res = await fetch(url, { headers: { accept: 'application/json' } });
  return oauth.processDiscoveryResponse(new URL(provider.issuer), res);
}

function client(provider: SignInProvider): oauth.Client {
  return {
    client_id: provider.clientId,
    ...(provider.idTokenSigningAlg
      ? { id_token_signed_response_alg: provider.idTokenSigningAlg }
      : {}),
  };
}

/** Sends the browser to the provider's authorization endpoint. */
export async function startSignIn(
  provider: SignInProvider,
  options: { silent?: boolean; returnTo?: string } = {},
): Promise<void> {
  const as = await discover(provider);
  const verifier = oauth.generateRandomCodeVerifier();
  const pending: Pending = {
    issuer: provider.issuer,
    verifier,
    state: oauth.generateRandomState(),
    nonce: oauth.generateRandomNonce(),
    silent: Boolean(options.silent),
    returnTo: options.returnTo ?? location.hash,
  };
  sessionStorage.setItem(PENDING, JSON.stringify(pending));
  const url = new URL(as.authorization_endpoint!);
  url.searchParams.set('client_id', provider.clientId);
  url.searchParams.set('redirect_uri', redirectUri());
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('scope', SCOPE);
  url.searchParams.set('code_challenge', await oauth.calculatePKCECodeChallenge(verifier));
  url.searchParams.set('code_challenge_method', 'S256');
  url.searchParams.set('state', pending.state);
  url.searchParams.set('nonce', pending.nonce);
  if (options.silent) {
    url.searchParams.set('prompt', 'none');
  }
  location.assign(url.href);
}

function decodeClaims(jwt: string): Record<string, unknown> {
  const payload = jwt.split('.')[1] ?? '';
  const json = atob(payload.replace(/-/g, '+').replace(/_/g, '/'));
  return JSON.parse(new TextDecoder().decode(Uint8Array.from(json, (c) => c.charCodeAt(0))));
}

export type StartResult =
  | { kind: 'signed-in'; session: Session; returnTo: string }
  | { kind: 'redirecting' }
  | { kind: 'signed-out'; error?: string };

/**
 * On start: finish a sign-in that is coming back from the provider, or try a silent one for the
 * provider this tab used before, or report that nobody is signed in.
 */
export async function resumeSession(providers: SignInProvider[]): Promise<StartResult> {
  const current = new URL(location.href);
  const pendingText = sessionStorage.getItem(PENDING);
  if (pendingText && (current.searchParams.has('code') || current.searchParams.has('error'))) {
    sessionStorage.removeItem(PENDING);
    const pending = JSON.parse(pendingText) as Pending;
    // Whatever happens next, the code must not stay in the address bar or the history.
    history.replaceState(null, '', `/${pending.returnTo}`);
    const provider = providers.find((p) => p.issuer === pending.issuer);
    if (!provider) {
      return { kind: 'signed-out', error: 'unknown provider' };
    }
    const as = await discover(provider);
    const c = client(provider);
    let params: URLSearchParams;
    try {
      params = oauth.validateAuthResponse(as, c, current, pending.state);
    } catch (err) {
      sessionStorage.removeItem(PROVIDER);
      if (pending.silent && err instanceof oauth.AuthorizationResponseError) {
        return { kind: 'signed-out' };
      }
      return { kind: 'signed-out', error: (err as Error).message };
    }
    const insecure = insecureAllowed(as.token_endpoint!);
    const response = await oauth.authorizationCodeGrantRequest(
      as,
      c,
      oauth.None(),
      params,
      redirectUri(),
      pending.verifier,
      { [oauth.allowInsecureRequests]: insecure },
    );
    const result = await oauth.processAuthorizationCodeResponse(as, c, response, {
      expectedNonce: pending.nonce,
      requireIdToken: true,
    });
    sessionStorage.setItem(PROVIDER, provider.issuer);
    return { kind: 'signed-in', session: toSession(provider, result), returnTo: pending.returnTo };
  }
  const previous = sessionStorage.getItem(PROVIDER);
  const provider = previous ? providers.find((p) => p.issuer === previous) : undefined;
  if (provider) {
    await startSignIn(provider, { silent: true });
    return { kind: 'redirecting' };
  }
  return { kind: 'signed-out' };
}

function toSession(provider: SignInProvider, result: oauth.TokenEndpointResponse): Session {
  const claims = decodeClaims(result.access_token);
  return {
    accessToken: result.access_token,
    expiresAt: Date.now() + (result.expires_in ?? 300) * 1000,
    idToken: result.id_token ?? '',
    provider,
    claims: {
      sub: String(claims.sub),
      iss: String(claims.iss),
      org: String(claims.org),
      units: Array.isArray(claims.units) ? (claims.units as string[]) : [],
      roles: Array.isArray(claims.roles) ? (claims.roles as string[]) : [],
    },
  };
}

/** Forgets the session here and ends it at the provider too. */
export async function signOut(session: Session): Promise<void> {
  sessionStorage.removeItem(PROVIDER);
  const as = await discover(session.provider);
  if (!as.end_session_endpoint) {
    location.assign('/');
    return;
  }
  const url = new URL(as.end_session_endpoint);
  url.searchParams.set('client_id', session.provider.clientId);
  url.searchParams.set('id_token_hint', session.idToken);
  url.searchParams.set('post_logout_redirect_uri', redirectUri());
  location.assign(url.href);
}
