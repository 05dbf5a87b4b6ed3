/**
 * The web front door's static build (web/dist, built by `npm install`'s prepare step) served at
 * `/`, under a strict Content-Security-Policy: scripts, styles, fonts and images only from the
 * hub itself, no inline script or style, and connections only to the hub and the identity
 * providers people sign in with. `/sign-in.json` tells the app which providers those are (in
 * embedded mode the development issuer's OpenID provider).
 */
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import fs from 'node:fs';
import path from 'node:path';

export const WEB_DIST_DIR = path.resolve(__dirname, '../../web/dist');

export interface SignInProvider {
  /** the issuer identifier the ID token must carry */
  issuer: string;
  /** where the discovery document is (absolute, or relative to the hub) */
  discoveryUrl: string;
  clientId: string;
  /** shown on the sign-in button */
  name: string;
  /** the ID token algorithm when not RS256 */
  idTokenSigningAlg?: string;
}

export function webContentSecurityPolicy(providers: SignInProvider[]): string {
  const origins = new Set<string>();
  for (const p of providers) {
    for (const url of [p.issuer, p.discoveryUrl]) {
      if (/^https?:\/\//.test(url)) {
        origins.add(new URL(url).origin);
      }
    }
  }
  const connect = ["'self'", ...origins].join(' ');
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self'",
    "font-src 'self'",
    `connect-src ${connect}`,
    "manifest-src 'self'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
    "object-src 'none'",
  ].join('; ');
}

/**
 * Serves the build; when there is none (the web was not built), `/` says how to build it
 * instead of answering a bare 404.
 */
export async function registerWebApp(
  app: FastifyInstance,
  options: { providers: SignInProvider[]; distDir?: string },
): Promise<void> {
  const distDir = options.distDir ?? WEB_DIST_DIR;
  const csp = webContentSecurityPolicy(options.providers);
  const signIn = JSON.stringify({ providers: options.providers });

  await app.register(async (scope) => {
    // Everything here is public: the app itself holds no data, the API behind it checks tokens.
    scope.addHook('onRoute', (route) => {
      route.config = { ...(route.config as object), public: true } as typeof route.config;
    });
    scope.addHook('onSend', async (_request, reply, payload) => {
      reply.header('content-security-policy', csp);
      return payload;
    });

    scope.get('/sign-in.json', async (_request, reply) =>
      reply.header('cache-control', 'no-cache').type('application/json').send(signIn),
    );

    if (!fs.existsSync(path.join(distDir, 'index.html'))) {
      app.log.warn({ distDir }, 'the web app is not built: run `npm run build -w web`');
      scope.get('/', async (_request, reply) =>
        reply
          .code(503)
          .type('text/plain; charset=utf-8')
          .send('Samverkan web is not built yet: run `npm run build -w web` and reload.\n'),
      );
      return;
    }
    await scope.register(fastifyStatic, {
      root: distDir,
      prefix: '/',
      // One route per file of the build, no catch-all: unknown paths stay the API's 404.
      wildcard: false,
      preCompressed: true,
      index: ['index.html'],
      setHeaders(res, file) {
        res.header('content-security-policy', csp);
        res.header(
          'cache-control',
          file.includes(`${path.sep}assets${path.sep}`)
            ? 'public, max-age=31536000, immutable'
            : 'no-cache',
        );
      },
    });
  });
}
