import AjvCompiler, { type BuildCompilerFromPool } from '@fastify/ajv-compiler';
import { SerializerSelector } from '@fastify/fast-json-stringify-compiler';
import rateLimit from '@fastify/rate-limit';
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import helmet, { type HelmetOptions } from 'helmet';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { auth, refuseUnauthenticated } from '../auth/auth.plugin';
import { loadDevIssuer, type DevIssuer } from '../auth/dev-issuer';
import { IssuerRegistry, parseIssuersConfig } from '../auth/issuer-registry';
import { parseTrustedProxies, type PlatformConfig } from '../config/config';
import { CommonProblems, ProblemError } from '../errors/problem';
import { directSerializerSchema, directSerializerSchemas } from '../contracts/serializer-schema';
import {
  emptyPathSegment,
  registerErrorHandling,
  sendProblem,
  toProblem,
  unrouted,
} from '../errors/error-handler';
import { trackAllowedMethods } from './allowed-methods';
import { InProcessBus } from '../events/in-process-bus';
import { connectNats } from '../events/nats';
import type { EventTransport } from '../events/service-events';
import { loggerOptions } from './logger';
import { registerTraceContext } from './trace-context';
import { SnapshotRateLimitStore } from './rate-limit-store';
import { metricsPlugin } from './metrics';
import { ReadinessRegistry } from './readiness';
import { guardExternalNumbers, guardNumbers, numberGuardPlugin } from './number-guard';

/** Path parameters as long as the contracts allow (member ids up to 200 characters). */
const ROUTER_OPTIONS = { maxParamLength: 500 };

export interface PlatformContext {
  config: PlatformConfig;
  issuers: IssuerRegistry;
  events: EventTransport;
  readiness: ReadinessRegistry;
  devIssuer?: DevIssuer;
  /** the database URL services use unless their own `<SERVICE>_DATABASE_URL` is set */
  databaseUrl: string;
}

declare module 'fastify' {
  interface FastifyInstance {
    platform: PlatformContext;
  }
}

export interface CreatePlatformOptions {
  config: PlatformConfig;
  /** database URL when DATABASE_URL is not set (the embedded PGlite) */
  databaseUrl?: string;
  /** replaces the logger (tests pass `false`) */
  logger?: boolean;
  /** where logs go instead of stdout (tests that check what is logged) */
  logStream?: NodeJS.WritableStream;
  /** JetStream stream replicas (3 in the clustered deployment) */
  streamReplicas?: number;
  /**
   * Compile each route's validators and response serializers on the route's first request
   * instead of while the app gets ready (the embedded hub's start: about 2 s of CPU for three
   * services' routes, most of which a session never calls). Same validation, same output.
   */
  lazySchemas?: boolean;
}

const validatorPool = AjvCompiler();
type RouteValidatorCompiler = (route: { httpPart?: string; schema?: unknown }) => unknown;
type PoolFactory = (
  externalSchemas: unknown,
  options: { customOptions?: Record<string, unknown>; plugins?: unknown[] },
) => RouteValidatorCompiler;
const pool = validatorPool as unknown as PoolFactory;
/**
 * Bodies are validated exactly (no coercion), path/query/header values are coerced from text;
 * both with the number guard (number-guard.ts): no NaN, Infinity, hex or unbounded integer gets
 * past validation to a handler or Postgres, in any service.
 */
const bodyExactValidator = ((externalSchemas, options) => {
  const plugins = [...(options?.plugins ?? []), numberGuardPlugin];
  const coercing = pool(guardExternalNumbers(externalSchemas as object, true), {
    ...options,
    plugins,
  });
  const exact = pool(guardExternalNumbers(externalSchemas as object, false), {
    ...options,
    plugins,
    customOptions: { ...options?.customOptions, coerceTypes: false, strictNumbers: true },
  });
  return (route) =>
    route.httpPart === 'body'
      ? exact({ ...route, schema: guardNumbers(route.schema, false) })
      : coercing({ ...route, schema: guardNumbers(route.schema, true) });
}) as PoolFactory as unknown as BuildCompilerFromPool;

type Compiled = ((data: unknown) => unknown) & { errors?: unknown };
/**
 * A route compiler that hands Fastify a stand-in at once and compiles the real function on the
 * first call. Fastify reads a validator's `errors` after a failed call: the stand-in passes on
 * those of the function it stands for.
 */
function onFirstUse<Route>(compile: (route: Route) => Compiled): (route: Route) => Compiled {
  return (route) => {
    let compiled: Compiled | undefined;
    const standIn: Compiled = (data) => (compiled ??= compile(route))(data);
    Object.defineProperty(standIn, 'errors', { get: () => compiled?.errors });
    return standIn;
  };
}
const lazyValidator = ((externalSchemas, options) =>
  onFirstUse(
    bodyExactValidator(externalSchemas as never, options as never) as unknown as (
      route: unknown,
    ) => Compiled,
  )) as PoolFactory as unknown as BuildCompilerFromPool;
const serializerFactory = SerializerSelector();
/**
 * fast-json-stringify with the response schemas rewritten so that it compiles direct code for
 * "X or null" and unions of primitives instead of validating each such field with ajv at every
 * response (contracts/serializer-schema.ts). The output is the same.
 */
const directSerializer: typeof serializerFactory = (externalSchemas, options) => {
  const compile = serializerFactory(
    directSerializerSchemas(externalSchemas) as typeof externalSchemas,
    options,
  ) as (route: { schema: unknown }) => Compiled;
  return ((route: { schema: unknown }) =>
    compile({ ...route, schema: directSerializerSchema(route.schema) })) as ReturnType<
    typeof serializerFactory
  >;
};
const lazySerializer: typeof serializerFactory = (externalSchemas, options) =>
  onFirstUse(
    directSerializer(externalSchemas, options) as (route: unknown) => Compiled,
  ) as ReturnType<typeof serializerFactory>;

/** The headers helmet's middleware sets with `options`, by running it once on a stand-in. */
export function helmetHeaders(options: HelmetOptions): Record<string, string> {
  const headers: Record<string, string> = {};
  const response = {
    setHeader(name: string, value: string | number | readonly string[]) {
      headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value);
    },
    removeHeader(name: string) {
      delete headers[name.toLowerCase()];
    },
  };
  helmet(options)({} as never, response as never, (err?: unknown) => {
    if (err) {
      throw err;
    }
  });
  return headers;
}

const REQUEST_ID = /^[A-Za-z0-9._-]{8,128}$/;
/**
 * JSON nested deeper than this is refused before it is parsed: no contract nests anywhere near
 * it, and recursive code (validation, canonical JSON for idempotency, logging) must never see
 * thousands of levels.
 */
export const MAX_JSON_DEPTH = 64;

/**
 * Whether JSON text nests objects/arrays deeper than `max` (one pass; a string is skipped by
 * searching for its closing quote — an envelope is mostly a few long base64url strings).
 */
export function jsonDepthExceeds(text: string, max: number): boolean {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      // The closing quote: the next one not escaped (preceded by an even run of backslashes).
      for (;;) {
        const close = text.indexOf('"', i + 1);
        if (close < 0) {
          return false; // unterminated: the parser refuses it
        }
        let backslashes = 0;
        while (text.charCodeAt(close - 1 - backslashes) === 0x5c) {
          backslashes++;
        }
        i = close;
        if (backslashes % 2 === 0) {
          break;
        }
      }
    } else if (c === 0x7b || c === 0x5b) {
      if (++depth > max) {
        return true;
      }
    } else if (c === 0x7d || c === 0x5d) {
      depth--;
    }
  }
  return false;
}

/**
 * The path of the first number in parsed JSON that is not finite (a literal such as `1e999`
 * parses to Infinity), or undefined when every number is finite. JSON cannot carry Infinity back
 * out, so such a value would fail later — in canonical JSON for idempotency, in a repository —
 * as a 500 instead of the caller's 400.
 */
export function nonFiniteNumberAt(value: unknown, path = ''): string | undefined {
  // The common case — every number finite — is answered without building a path per member.
  if (path === '' && !hasNonFiniteNumber(value)) {
    return undefined;
  }
  if (typeof value === 'number') {
    return Number.isFinite(value) ? undefined : path || '/';
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = nonFiniteNumberAt(value[i], `${path}/${i}`);
      if (found !== undefined) {
        return found;
      }
    }
    return undefined;
  }
  if (value !== null && typeof value === 'object') {
    for (const [key, member] of Object.entries(value)) {
      const found = nonFiniteNumberAt(member, `${path}/${key}`);
      if (found !== undefined) {
        return found;
      }
    }
  }
  return undefined;
}

/** Whether parsed JSON holds a number that is not finite, anywhere (no paths built). */
function hasNonFiniteNumber(value: unknown): boolean {
  if (typeof value === 'number') {
    return !Number.isFinite(value);
  }
  if (value === null || typeof value !== 'object') {
    return false;
  }
  if (Array.isArray(value)) {
    for (const item of value) {
      if (hasNonFiniteNumber(item)) {
        return true;
      }
    }
    return false;
  }
  for (const key in value) {
    if (hasNonFiniteNumber((value as Record<string, unknown>)[key])) {
      return true;
    }
  }
  return false;
}

/**
 * The Fastify instance every service runs in: logging with redaction, problem+json errors,
 * security headers, rate limiting per caller, token verification, health endpoints, and the event
 * transport. Services register on it as encapsulated plugins; the embedded hub registers all
 * three on one instance.
 */
export async function createPlatformApp(options: CreatePlatformOptions): Promise<FastifyInstance> {
  const { config } = options;
  const trustedProxies = parseTrustedProxies(config.TRUSTED_PROXIES);
  const databaseUrl = config.DATABASE_URL ?? options.databaseUrl;
  if (!databaseUrl) {
    throw new Error('No database: set DATABASE_URL, or start the embedded hub');
  }
  const app = Fastify({
    logger:
      options.logger === false
        ? false
        : options.logStream
          ? { ...(loggerOptions(config.LOG_LEVEL, false) as object), stream: options.logStream }
          : loggerOptions(config.LOG_LEVEL),
    bodyLimit: config.BODY_LIMIT_BYTES,
    // Slow clients: a socket idle for REQUEST_TIMEOUT_MS is closed (connectionTimeout); a request
    // whose headers and body have not all arrived within it gets 408 and is closed
    // (requestTimeout, headersTimeout), checked often enough that a client trickling bytes cannot
    // hold a connection much longer; idle keep-alive sockets go after 72 s (above the usual
    // 60 s of gateways, so the gateway closes first).
    requestTimeout: config.REQUEST_TIMEOUT_MS,
    connectionTimeout: config.REQUEST_TIMEOUT_MS,
    keepAliveTimeout: 72_000,
    http: {
      headersTimeout: config.REQUEST_TIMEOUT_MS,
      connectionsCheckingInterval: Math.min(1_000, config.REQUEST_TIMEOUT_MS),
    },
    return503OnClosing: true,
    // A service plugin's start includes its migrations and, embedded, seeding the demo directory
    // (keys for every unit); on a busy machine that takes longer than Fastify's default 10 s.
    pluginTimeout: 120_000,
    // X-Forwarded-For is believed only from the configured proxies (TRUSTED_PROXIES: the
    // gateway's address), none by default: trusting every loopback or private address let any
    // local process or container pick its own address per request and so dodge the per-address
    // rate limit for callers without a valid token.
    trustProxy: trustedProxies.length > 0 ? trustedProxies : false,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    // Path and query values arrive as text and are coerced to their schema types; bodies are JSON
    // and must already have the right types (no `{"name": 123}` quietly becoming "123").
    ajv: {
      customOptions: {
        allErrors: true,
        removeAdditional: false,
        coerceTypes: 'array',
        useDefaults: true,
        strict: false,
      },
    },
    schemaController: {
      compilersFactory: options.lazySchemas
        ? { buildValidator: lazyValidator, buildSerializer: lazySerializer }
        : { buildValidator: bodyExactValidator, buildSerializer: directSerializer },
    },
    routerOptions: ROUTER_OPTIONS,
    // Router refusals (a path segment too long, a malformed URL) as problem+json too.
    frameworkErrors: (err, request, reply) => sendProblem(reply, toProblem(err), request),
  });

  registerErrorHandling(app, { notFound: false });
  registerTraceContext(app);
  // Every route from here on is known by path too: a method a path is not served with is 405.
  const allowedMethods = trackAllowedMethods(app, ROUTER_OPTIONS);
  // `GET /v1/units/` (a trailing slash) reaches `/v1/units/:id` with an empty id: 404 saying so,
  // after the token check and the rate limit (onRequest), before the id is validated. Only on
  // routes with a path parameter: the others never see an empty one.
  app.addHook('onRoute', (route) => {
    if (!route.url.includes('/:')) {
      return;
    }
    const hooks = route.preValidation;
    route.preValidation = [
      refuseEmptyPathSegment,
      ...(Array.isArray(hooks) ? hooks : hooks ? [hooks] : []),
    ] as typeof route.preValidation;
  });

  // The contracts accept application/json bodies only. Fastify would also parse text/plain (into
  // a string that then fails validation as "body must be object"), so it is refused as 415, like
  // every other media type, by every service.
  app.removeContentTypeParser('text/plain');
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if (jsonDepthExceeds(body as string, MAX_JSON_DEPTH)) {
      done(
        new ProblemError(
          CommonProblems.malformedBody,
          `The body nests deeper than ${MAX_JSON_DEPTH} levels`,
        ),
        undefined,
      );
      return;
    }
    void parseJson(request, body as string, (err: Error | null, parsed?: unknown) => {
      if (err) {
        done(err, undefined);
        return;
      }
      const at = nonFiniteNumberAt(parsed);
      if (at !== undefined) {
        done(
          new ProblemError(
            CommonProblems.malformedBody,
            `The number at ${at.slice(0, 200)} is too large to be represented`,
          ),
          undefined,
        );
        return;
      }
      done(null, parsed);
    });
  });

  const issuers = new IssuerRegistry(parseIssuersConfig(config.AUTH_ISSUERS));
  let devIssuer: DevIssuer | undefined;
  if (config.AUTH_DEV_ISSUER) {
    devIssuer = await loadDevIssuer(config.SAMVERKAN_DATA_DIR);
    issuers.addStatic(devIssuer.trusted());
    app.log.warn(
      'the development token issuer is on (AUTH_DEV_ISSUER=true): it may speak for every organisation',
    );
  }

  let events: EventTransport;
  if (config.NATS_URL) {
    const nc = await connectNats(config.NATS_URL, 'samverkan', app.log);
    events = {
      kind: 'nats',
      nc,
      naming: {
        subjectPrefix: config.EVENTS_SUBJECT_PREFIX,
        streamPrefix: config.EVENTS_STREAM_PREFIX,
      },
      streamReplicas: options.streamReplicas ?? 1,
    };
  } else {
    events = { kind: 'in-process', bus: new InProcessBus() };
  }

  const readiness = new ReadinessRegistry();
  if (events.kind === 'nats') {
    const nc = events.nc;
    // Writes keep working while NATS is away (the outbox holds the events): degraded, not down.
    readiness.add({
      name: 'nats',
      critical: false,
      async run() {
        if (nc.isClosed()) {
          throw new Error('connection closed');
        }
        await nc.rtt();
        return 'ok';
      },
    });
  }
  app.decorate('platform', { config, issuers, events, readiness, devIssuer, databaseUrl });
  // Prometheus metrics, collected here and served by runServer on their own port (METRICS_PORT,
  // 127.0.0.1 by default), never on the API port.
  await app.register(metricsPlugin);

  // Security headers (helmet's), the same on every answer: worked out once here, set by one
  // hook. (@fastify/helmet built helmet's middleware again on every request.)
  const securityHeaders = helmetHeaders({
    // The API answers JSON only; the docs UI sets its own policy.
    contentSecurityPolicy: false,
    crossOriginResourcePolicy: { policy: 'same-site' },
  });
  app.addHook('onRequest', (_request, reply, done) => {
    void reply.headers(securityHeaders);
    done();
  });
  // Tokens are checked first, but a refused token is answered only after rate limiting: the
  // limit is per caller (issuer and subject) for a valid token and per client address
  // otherwise, so a flood of missing, forged or expired tokens is limited too.
  await app.register(auth, {
    issuers,
    audience: config.AUTH_AUDIENCE,
    hubOrganisationId: config.HUB_ORGANISATION_ID,
    deferFailures: true,
    maxTokenLifetimeSeconds: config.AUTH_MAX_TOKEN_LIFETIME_SECONDS,
    ...(config.AUTH_JWKS_CA_FILE
      ? { jwksCaPem: fs.readFileSync(config.AUTH_JWKS_CA_FILE, 'utf8') }
      : {}),
    clockSkewSeconds: config.AUTH_CLOCK_SKEW_SECONDS,
    devIssuer: devIssuer
      ? { kid: devIssuer.kid, dataDir: path.resolve(config.SAMVERKAN_DATA_DIR) }
      : undefined,
  });
  await app.register(rateLimit, {
    max: config.RATE_LIMIT_MAX,
    timeWindow: config.RATE_LIMIT_WINDOW_MS,
    store: SnapshotRateLimitStore,
    // Route-level onRequest hooks run after the app's (so after the token check above), and
    // before the body is read.
    hook: 'onRequest',
    keyGenerator: (request) =>
      request.principal
        ? `caller ${request.principal.iss} ${request.principal.sub}`
        : `address ${request.ip}`,
    allowList: (request) => Boolean(request.routeOptions.config?.public),
    errorResponseBuilder: (_request, context) =>
      new ProblemError(
        CommonProblems.rateLimited,
        `Limit of ${context.max} requests per ${context.after} reached`,
        {
          headers: { 'retry-after': String(Math.ceil(context.ttl / 1000)) },
        },
      ),
  });

  // The refusal of a bad token comes right after the route's rate-limit hook (both route-level
  // onRequest hooks, added in this order), before the body is read.
  app.addHook('onRoute', (route) => {
    const hooks = route.onRequest;
    route.onRequest = [
      ...(Array.isArray(hooks) ? hooks : hooks ? [hooks] : []),
      refuseUnauthenticated,
    ] as typeof route.onRequest;
  });
  // Unknown paths count against the same budget: probing for routes is limited like any flood.
  // Under /v1 (the API) an unknown path asks for a token first, so routes are not probed
  // anonymously. Everything outside it is public (the web app, the docs, the OpenID provider, the
  // probes): a mistyped address there, as a person types it in a browser, is "no such route",
  // not "send an access token".
  app.setNotFoundHandler(
    {
      preValidation: [
        app.rateLimit(),
        async (request: FastifyRequest) => {
          if (/^\/v1(\/|\?|$)/.test(request.url)) {
            await refuseUnauthenticated(request);
          }
        },
      ],
    },
    unrouted(allowedMethods),
  );

  app.get('/livez', { config: { public: true } }, async () => ({ status: 'ok', checks: {} }));
  app.get('/readyz', { config: { public: true } }, async (_request, reply) => {
    const report = await readiness.report();
    return reply.code(report.status === 'unavailable' ? 503 : 200).send(report);
  });

  app.addHook('onClose', async () => {
    if (events.kind === 'nats') {
      await events.nc.drain().catch(() => undefined);
    }
  });
  return app;
}

function refuseEmptyPathSegment(
  request: FastifyRequest,
  _reply: unknown,
  done: (err?: Error) => void,
): void {
  done(emptyPathSegment(request));
}
