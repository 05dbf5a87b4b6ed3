import AjvCompiler, { type BuildCompilerFromPool } from '@fastify/ajv-compiler';
import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import Fastify, { type FastifyInstance } from 'fastify';
import { randomUUID } from 'node:crypto';
import { auth } from '../auth/auth.plugin';
import { loadDevIssuer, type DevIssuer } from '../auth/dev-issuer';
import { IssuerRegistry, parseIssuersConfig } from '../auth/issuer-registry';
import type { PlatformConfig } from '../config/config';
import { CommonProblems, ProblemError } from '../errors/problem';
import { registerErrorHandling } from '../errors/error-handler';
import { InProcessBus } from '../events/in-process-bus';
import { connectNats } from '../events/nats';
import type { EventTransport } from '../events/service-events';
import { loggerOptions } from './logger';
import { registerTraceContext } from './trace-context';
import { ReadinessRegistry } from './readiness';

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
}

const validatorPool = AjvCompiler();
type RouteValidatorCompiler = (route: { httpPart?: string }) => unknown;
type PoolFactory = (
  externalSchemas: unknown,
  options: { customOptions?: Record<string, unknown> },
) => RouteValidatorCompiler;
const pool = validatorPool as unknown as PoolFactory;
const bodyExactValidator = ((externalSchemas, options) => {
  const coercing = pool(externalSchemas, options);
  const exact = pool(externalSchemas, {
    ...options,
    customOptions: { ...options?.customOptions, coerceTypes: false },
  });
  return (route) => (route.httpPart === 'body' ? exact(route) : coercing(route));
}) as PoolFactory as unknown as BuildCompilerFromPool;
const REQUEST_ID = /^[A-Za-z0-9._-]{8,128}$/;

/**
 * The Fastify instance every service runs in: logging with redaction, problem+json errors,
 * security headers, rate limiting per caller, token verification, health endpoints, and the event
 * transport. Services register on it as encapsulated plugins; the embedded hub registers all
 * three on one instance.
 */
export async function createPlatformApp(options: CreatePlatformOptions): Promise<FastifyInstance> {
  const { config } = options;
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
    requestTimeout: config.REQUEST_TIMEOUT_MS,
    connectionTimeout: config.REQUEST_TIMEOUT_MS,
    return503OnClosing: true,
    trustProxy: true,
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
      compilersFactory: { buildValidator: bodyExactValidator },
    },
    // Path parameters as long as the contracts allow (member ids up to 200 characters).
    routerOptions: { maxParamLength: 500 },
  });

  registerErrorHandling(app);
  registerTraceContext(app);

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

  await app.register(helmet, {
    // The API answers JSON only; the docs UI sets its own policy.
    contentSecurityPolicy: false,
    crossOriginResourcePolicy: { policy: 'same-site' },
  });
  await app.register(auth, {
    issuers,
    audience: config.AUTH_AUDIENCE,
    hubOrganisationId: config.HUB_ORGANISATION_ID,
  });
  await app.register(rateLimit, {
    max: config.RATE_LIMIT_MAX,
    timeWindow: config.RATE_LIMIT_WINDOW_MS,
    // After authentication, so the limit is per caller rather than per gateway address.
    hook: 'preHandler',
    keyGenerator: (request) =>
      request.principal ? `${request.principal.iss} ${request.principal.sub}` : request.ip,
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
