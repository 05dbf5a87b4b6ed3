/**
 * The development issuer as a real OpenID provider (embedded mode only, AUTH_DEV_ISSUER=true):
 * `oidc-provider` mounted at /oidc, so the web front door signs in with the same OpenID Connect
 * code flow + PKCE it uses against an organisation's own identity provider. Its login page lists
 * the seeded users by role (no passwords: it is the development issuer, trusted for every
 * organisation, and never on in a deployment).
 *
 * Access tokens are JWTs signed with the dev issuer's existing key and carry `iss` = the dev
 * issuer (`urn:samverkan:dev-issuer`), `aud`, `org`, `units` and `roles` — the same kind of
 * token `npm run token` mints — so a person signed in on the web is the same identity (issuer and
 * subject) as on the CLI, and the API verifies both the same way. The provider's own issuer
 * identifier (ID tokens, discovery) must be a URL: `<public URL>/oidc`.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AdapterFactory } from 'oidc-provider';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  DEMO_ORGANISATION_SEEDS,
  DEMO_UNIT_SEEDS,
} from '@samverkan/directory/src/seed/demo-directory.data';
import { DEMO_USERS, DEV_ISSUER, type Role } from '@samverkan/shared';

export const OIDC_PREFIX = '/oidc';
export const WEB_CLIENT_ID = 'samverkan-web';
/** the resource (RFC 8707) the web asks tokens for: the hub's API */
export const API_RESOURCE = 'urn:samverkan:api';

export interface DevOpenIdProviderOptions {
  /** where people reach the hub, e.g. http://localhost:3000 */
  publicUrls: string[];
  dataDir: string;
  audience: string;
}

interface DevIssuerFile {
  kid: string;
  privateJwk: Record<string, unknown>;
}

const ROLE_NAMES: Record<Role, string> = {
  officer: 'Polis',
  caseworker: 'Handläggare / socialsekreterare',
  coordinator: 'Regionkoordinator',
  org_admin: 'Organisationsadministratör',
  analyst: 'Analytiker',
  auditor: 'Granskare',
  hub_admin: 'Hubbadministratör',
};

const ROLE_ORDER: Role[] = [
  'officer',
  'caseworker',
  'coordinator',
  'org_admin',
  'analyst',
  'auditor',
  'hub_admin',
];

function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );
}

/** The pages the provider renders itself load no script and only this stylesheet. */
const PAGE_CSP =
  "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self' http: https:; frame-ancestors 'none'; base-uri 'none'";

const STYLESHEET = `
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;background:#f4f6f8;color:#1b1f24;line-height:1.5}
main{max-width:40rem;margin:0 auto;padding:1.5rem 1rem}
h1{font-size:1.5rem;margin:0 0 .5rem}h2{font-size:1.1rem;margin:1.5rem 0 .5rem}
p.note{background:#fff4d6;border:1px solid #8a6100;padding:.75rem;border-radius:.5rem}
ul{list-style:none;padding:0;margin:0}li{margin:.4rem 0}
button{font:inherit;width:100%;text-align:left;padding:.75rem 1rem;border:1px solid #4a5360;border-radius:.5rem;background:#fff;color:#1b1f24;cursor:pointer;min-height:44px}
button:hover,button:focus-visible{background:#e6eefc;outline:3px solid #1f4fbf;outline-offset:2px}
button .who{font-weight:600;display:block}button .where{color:#39414b;font-size:.95rem}
`;

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="sv"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title><link rel="icon" href="/favicon.svg" type="image/svg+xml"><link rel="stylesheet" href="${OIDC_PREFIX}/assets/login.css"></head>
<body><main>${body}</main></body></html>`;
}

function loginPage(uid: string, clientName: string): string {
  const orgName = new Map(DEMO_ORGANISATION_SEEDS.map((o) => [o.id, o.name]));
  const unitName = new Map(DEMO_UNIT_SEEDS.map((u) => [u.id, u.name]));
  const sections = ROLE_ORDER.map((role) => {
    const users = Object.entries(DEMO_USERS).filter(([, u]) => u.roles.includes(role));
    if (users.length === 0) {
      return '';
    }
    const items = users
      .map(([name, user]) => {
        const where = [
          orgName.get(user.org) ?? '',
          ...user.units.map((id) => unitName.get(id) ?? ''),
        ]
          .filter(Boolean)
          .join(' · ');
        return `<li><button type="submit" name="user" value="${escapeHtml(name)}"><span class="who">${escapeHtml(
          name,
        )}</span><span class="where">${escapeHtml(where)}</span></button></li>`;
      })
      .join('');
    return `<h2>${escapeHtml(ROLE_NAMES[role])}</h2><ul>${items}</ul>`;
  }).join('');
  return page(
    'Logga in – utvecklingsinloggning',
    `<h1>Logga in i ${escapeHtml(clientName)}</h1>
<p class="note" lang="sv">Utvecklingsinloggning: välj en av demoanvändarna. I drift loggar du in hos din organisations egen identitetsleverantör. <span lang="en">(Development sign-in: choose a demo user.)</span></p>
<form method="post" action="${OIDC_PREFIX}/interaction/${encodeURIComponent(uid)}/login">${sections}</form>`,
  );
}

function demoUser(name: string | undefined) {
  return name && Object.hasOwn(DEMO_USERS, name) ? DEMO_USERS[name] : undefined;
}

type Provider = InstanceType<typeof import('oidc-provider').default>;

/** the provider's default (seconds), named because its store below needs the same value */
const CLOCK_TOLERANCE_SECONDS = 15;

/**
 * oidc-provider (ESM only; the hub is CommonJS) and its own in-memory store.
 *
 * oidc-provider 9 prints "oidc-provider WARNING: Unsupported runtime. Use Node.js v22.x LTS…" on
 * stderr when it is loaded on an LTS line older than Node 22 (Jod). The hub supports Node ≥ 20.19
 * (package.json `engines`), on which the provider runs (the embedded and browser tests run it
 * there), and this provider is only the development issuer, never on in a deployment: the line
 * only alarms a newcomer at every `npm start`, so exactly that warning is dropped while the module
 * loads. Every other warning of the provider still shows.
 */
async function importOidcProvider(): Promise<{
  OidcProvider: typeof import('oidc-provider').default;
  createMemoryAdapter: (clockTolerance?: number) => AdapterFactory;
}> {
  const warn = console.warn;
  console.warn = (...args: unknown[]) => {
    if (String(args[0]).includes('oidc-provider WARNING: Unsupported runtime.')) {
      return;
    }
    warn.apply(console, args);
  };
  try {
    const [{ default: OidcProvider }, { createMemoryAdapter }] = await Promise.all([
      import('oidc-provider'),
      import('oidc-provider/lib/adapters/memory_adapter.js'),
    ]);
    return { OidcProvider, createMemoryAdapter };
  } finally {
    console.warn = warn;
  }
}

/**
 * Builds the provider and mounts it (and its login pages) on the app under /oidc. Routes are
 * public (no bearer token) and answer HTML or JSON as the OpenID specifications say.
 */
export async function registerDevOpenIdProvider(
  app: FastifyInstance,
  options: DevOpenIdProviderOptions,
): Promise<{ issuer: string }> {
  const { OidcProvider, createMemoryAdapter } = await importOidcProvider();
  const keyFile = path.join(options.dataDir, 'dev-issuer', 'key.json');
  const devKey = JSON.parse(fs.readFileSync(keyFile, 'utf8')) as DevIssuerFile;
  const [primary] = options.publicUrls;
  const issuer = `${primary!.replace(/\/$/, '')}${OIDC_PREFIX}`;
  const redirectUris = options.publicUrls.map((u) => `${u.replace(/\/$/, '')}/`);

  const provider: Provider = new OidcProvider(issuer, {
    clients: [
      {
        client_id: WEB_CLIENT_ID,
        client_name: 'Samverkan',
        token_endpoint_auth_method: 'none',
        application_type: 'web',
        grant_types: ['authorization_code'],
        response_types: ['code'],
        redirect_uris: redirectUris,
        post_logout_redirect_uris: redirectUris,
        id_token_signed_response_alg: 'EdDSA',
      },
    ],
    jwks: { keys: [{ ...devKey.privateJwk, kid: devKey.kid, alg: 'EdDSA', use: 'sig' }] },
    enabledJWA: { idTokenSigningAlgValues: ['EdDSA'] },
    // Cookie signing keys live as long as the process: a restarted hub asks people to sign in
    // again, which is what a development issuer should do.
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    // Sessions, codes and grants in this process's memory, for the same reason: they need not
    // outlive a restart (the cookies above do not either) and the embedded hub is one process.
    // The provider's own in-memory store, chosen here explicitly: left unset, the provider warns
    // at every start that a production deployment MUST change it, which this issuer never is.
    adapter: createMemoryAdapter(CLOCK_TOLERANCE_SECONDS),
    clockTolerance: CLOCK_TOLERANCE_SECONDS,
    pkce: { required: () => true },
    scopes: ['openid', 'profile', 'api'],
    claims: { openid: ['sub'], profile: ['name', 'org', 'units', 'roles'] },
    conformIdTokenClaims: false,
    async findAccount(_ctx, sub) {
      const user = demoUser(sub);
      if (!user) {
        return undefined;
      }
      return {
        accountId: sub,
        claims: async () => ({
          sub,
          name: sub,
          org: user.org,
          units: user.units,
          roles: user.roles,
        }),
      };
    },
    features: {
      devInteractions: { enabled: false },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: async (ctx, form) => {
          ctx.type = 'html';
          ctx.body = page(
            'Logga ut',
            `<h1>Logga ut från Samverkan?</h1>${form}<ul><li><button autofocus type="submit" form="op.logoutForm" value="yes" name="logout"><span class="who">Ja, logga ut</span></button></li><li><button type="submit" form="op.logoutForm"><span class="who">Nej, fortsätt vara inloggad</span></button></li></ul>`,
          );
        },
        postLogoutSuccessSource: async (ctx) => {
          ctx.type = 'html';
          ctx.body = page(
            'Utloggad',
            `<h1>Du är utloggad</h1><p><a href="/">Till Samverkan</a></p>`,
          );
        },
      },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => API_RESOURCE,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx, resource) => {
          if (resource !== API_RESOURCE) {
            throw new Error('unknown resource');
          }
          return {
            scope: 'api',
            audience: options.audience,
            accessTokenFormat: 'jwt',
            accessTokenTTL: 3600,
            jwt: { sign: { alg: 'EdDSA' } },
          };
        },
      },
    },
    async extraTokenClaims(_ctx, token) {
      const user = demoUser((token as { accountId?: string }).accountId);
      return user ? { org: user.org, units: user.units, roles: user.roles } : {};
    },
    formats: {
      customizers: {
        // The API trusts the dev issuer by its identifier and key (shared/src/auth/dev-issuer.ts):
        // access tokens name it as their issuer, exactly like `npm run token`'s.
        async jwt(_ctx, _token, jwt) {
          jwt.payload.iss = DEV_ISSUER;
        },
      },
    },
    // The first-party web client needs no consent screen: the grant covers what it asks for.
    async loadExistingGrant(ctx) {
      const grantId =
        ctx.oidc.result?.consent?.grantId ??
        ctx.oidc.session!.grantIdFor(ctx.oidc.client!.clientId);
      if (grantId) {
        const existing = await ctx.oidc.provider.Grant.find(grantId);
        if (existing) {
          return existing;
        }
      }
      const grant = new ctx.oidc.provider.Grant({
        clientId: ctx.oidc.client!.clientId,
        accountId: ctx.oidc.session!.accountId!,
      });
      grant.addOIDCScope('openid profile');
      grant.addOIDCClaims(['name', 'org', 'units', 'roles']);
      grant.addResourceScope(API_RESOURCE, 'api');
      await grant.save();
      return grant;
    },
    interactions: { url: (_ctx, interaction) => `${OIDC_PREFIX}/interaction/${interaction.uid}` },
    ttl: {
      AccessToken: 3600,
      AuthorizationCode: 60,
      IdToken: 3600,
      Interaction: 600,
      Session: 8 * 3600,
      Grant: 8 * 3600,
    },
    renderError: async (ctx, out) => {
      ctx.type = 'html';
      ctx.body = page(
        'Inloggningen misslyckades',
        `<h1>Inloggningen misslyckades</h1><p>${escapeHtml(String(out.error_description ?? out.error ?? ''))}</p><p><a href="/">Till Samverkan</a></p>`,
      );
    },
  });
  provider.on('server_error', (_ctx, err) => app.log.error({ err }, 'OpenID provider error'));

  const callback = provider.callback();
  const handOver = (request: FastifyRequest, reply: FastifyReply): void => {
    const raw = request.raw as IncomingMessage & { originalUrl?: string };
    // Mounted like an Express sub-app: the provider finds its mount path from originalUrl.
    raw.originalUrl = raw.url;
    raw.url = raw.url!.slice(OIDC_PREFIX.length) || '/';
    reply.raw.setHeader('content-security-policy', PAGE_CSP);
    reply.hijack();
    void callback(raw, reply.raw as ServerResponse);
  };

  await app.register(async (scope) => {
    // The provider reads request bodies itself.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_request, _payload, done) => done(null));

    scope.get(
      `${OIDC_PREFIX}/assets/login.css`,
      { config: { public: true } },
      async (_request, reply) =>
        reply.type('text/css; charset=utf-8').header('cache-control', 'no-cache').send(STYLESHEET),
    );

    scope.get<{ Params: { uid: string } }>(
      `${OIDC_PREFIX}/interaction/:uid`,
      { config: { public: true } },
      async (request, reply) => {
        let details: Awaited<ReturnType<typeof provider.interactionDetails>>;
        try {
          details = await provider.interactionDetails(request.raw, reply.raw);
        } catch {
          // A sign-in already finished or expired (the back button after signing in, an old
          // tab): back to the app, which resumes the session or offers sign-in again, rather
          // than a problem+json page in the browser.
          return reply.redirect('/', 303);
        }
        if (details.uid !== request.params.uid) {
          return reply.code(400).send();
        }
        if (details.prompt.name === 'consent') {
          // A first-party client: grant what it asked for (loadExistingGrant covers the usual
          // scopes; this covers anything else the request names) without a consent screen.
          const missing = details.prompt.details as {
            missingOIDCScope?: string[];
            missingOIDCClaims?: string[];
            missingResourceScopes?: Record<string, string[]>;
          };
          const grant = details.grantId
            ? await provider.Grant.find(details.grantId)
            : new provider.Grant({
                accountId: details.session!.accountId,
                clientId: String(details.params.client_id),
              });
          if (!grant) {
            return reply.code(400).send();
          }
          if (missing.missingOIDCScope) {
            grant.addOIDCScope(missing.missingOIDCScope.join(' '));
          }
          if (missing.missingOIDCClaims) {
            grant.addOIDCClaims(missing.missingOIDCClaims);
          }
          for (const [resource, scopes] of Object.entries(missing.missingResourceScopes ?? {})) {
            grant.addResourceScope(resource, scopes.join(' '));
          }
          const grantId = await grant.save();
          reply.hijack();
          await provider.interactionFinished(
            request.raw,
            reply.raw,
            { consent: { grantId } },
            { mergeWithLastSubmission: true },
          );
          return;
        }
        app.log.debug({ prompt: details.prompt }, 'OpenID provider login');
        const client = await provider.Client.find(String(details.params.client_id));
        return reply
          .header('content-security-policy', PAGE_CSP)
          .header('cache-control', 'no-store')
          .type('text/html; charset=utf-8')
          .send(loginPage(details.uid, client?.clientName ?? 'Samverkan'));
      },
    );

    scope.post<{ Params: { uid: string } }>(
      `${OIDC_PREFIX}/interaction/:uid/login`,
      { config: { public: true } },
      async (request, reply) => {
        const chunks: Buffer[] = [];
        for await (const chunk of request.raw) {
          chunks.push(chunk as Buffer);
          if (chunks.reduce((n, c) => n + c.length, 0) > 4096) {
            return reply.code(413).send();
          }
        }
        const user = new URLSearchParams(Buffer.concat(chunks).toString('utf8')).get('user') ?? '';
        // Throws (answered by the provider's error page below) when the interaction is unknown.
        await provider.interactionDetails(request.raw, reply.raw);
        const result = demoUser(user)
          ? { login: { accountId: user } }
          : { error: 'access_denied', error_description: 'Unknown user' };
        reply.hijack();
        await provider.interactionFinished(request.raw, reply.raw, result, {
          mergeWithLastSubmission: false,
        });
      },
    );

    for (const url of [OIDC_PREFIX, `${OIDC_PREFIX}/*`]) {
      scope.route({
        method: ['GET', 'POST', 'OPTIONS'],
        url,
        config: { public: true },
        handler: async (request, reply) => handOver(request, reply),
      });
    }
  });
  return { issuer };
}
