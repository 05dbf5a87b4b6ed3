import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { IdempotentReplay } from './idempotent-replay';
import { CommonProblems, ProblemError, type ProblemFieldError } from './problem';

const PROBLEM_JSON = 'application/problem+json';

/** Postgres SQLSTATEs and socket errors that mean "the database is not there right now". */
const UNAVAILABLE_SQLSTATE_PREFIXES = ['08', '57P'];
const UNAVAILABLE_ERRNOS = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
]);
const UNAVAILABLE_MESSAGES = [
  'Connection terminated',
  'connection timeout',
  'Client has encountered a connection error',
  'timeout exceeded when trying to connect',
  'Connection is not established',
];

export function isUnavailableError(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown; driverError?: unknown; cause?: unknown };
  if (!e || typeof e !== 'object') {
    return false;
  }
  if (typeof e.code === 'string') {
    if (
      UNAVAILABLE_ERRNOS.has(e.code) ||
      UNAVAILABLE_SQLSTATE_PREFIXES.some((p) => (e.code as string).startsWith(p))
    ) {
      return true;
    }
  }
  if (
    typeof e.message === 'string' &&
    UNAVAILABLE_MESSAGES.some((m) => (e.message as string).includes(m))
  ) {
    return true;
  }
  return (
    (e.driverError !== undefined && isUnavailableError(e.driverError)) ||
    (e.cause !== undefined && e.cause !== err && isUnavailableError(e.cause))
  );
}

const BAD_VALUE_SQLSTATES = new Set(['22P02', '22007', '22008', '22021', '22001', '22003']);

function sqlState(err: unknown): string | undefined {
  const e = err as { code?: unknown; driverError?: { code?: unknown } };
  const code = e?.driverError?.code ?? e?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

interface AjvLikeError {
  instancePath?: string;
  message?: string;
  params?: Record<string, unknown>;
}

/** Turns Fastify/ajv validation output into `errors[]` entries naming each field. */
export function validationErrors(
  validation: AjvLikeError[],
  context: string | undefined,
): ProblemFieldError[] {
  return validation.map((v) => {
    const base = (v.instancePath ?? '').replace(/^\//, '').replace(/\//g, '.');
    const params = v.params ?? {};
    const extra =
      typeof params.missingProperty === 'string'
        ? params.missingProperty
        : typeof params.additionalProperty === 'string'
          ? params.additionalProperty
          : undefined;
    const path = [base, extra].filter((p) => p !== undefined && p !== '').join('.');
    const field =
      [context, path].filter((p) => p !== undefined && p !== '').join('.') ||
      (context ?? 'request');
    let message = v.message ?? 'is invalid';
    if (typeof params.missingProperty === 'string') {
      message = 'is required';
    } else if (typeof params.additionalProperty === 'string') {
      message = 'is not an accepted property';
    } else if (Array.isArray(params.allowedValues)) {
      message = `must be one of: ${(params.allowedValues as unknown[]).join(', ')}`;
    }
    return { field, message };
  });
}

/** Maps any thrown error to a ProblemError; never leaks internals for a 5xx. */
export function toProblem(err: unknown): ProblemError {
  if (err instanceof ProblemError) {
    return err;
  }
  const e = err as FastifyError & { validation?: AjvLikeError[]; validationContext?: string };
  if (e && Array.isArray(e.validation)) {
    const errors = validationErrors(e.validation, e.validationContext);
    const detail = errors.map((x) => `${x.field} ${x.message}`).join('; ');
    return new ProblemError(CommonProblems.validation, detail, { errors });
  }
  switch (e?.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new ProblemError(CommonProblems.payloadTooLarge);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new ProblemError(CommonProblems.unsupportedMediaType, 'Send application/json');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new ProblemError(
        CommonProblems.malformedBody,
        'The body is empty but content-type is application/json',
      );
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new ProblemError(CommonProblems.malformedBody, 'The body is not valid JSON');
    // Router errors (reported through Fastify's frameworkErrors); the path is not echoed back.
    case 'FST_ERR_BAD_URL':
      return new ProblemError(CommonProblems.validation, 'The URL is not valid', {
        errors: [{ field: 'url', message: 'is not a valid URL component' }],
      });
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return new ProblemError(CommonProblems.uriTooLong);
    default:
      break;
  }
  if (e instanceof SyntaxError && (e as { statusCode?: number }).statusCode === 400) {
    return new ProblemError(CommonProblems.malformedBody, 'The body is not valid JSON');
  }
  const state = sqlState(err);
  if (state === '23505') {
    return new ProblemError(CommonProblems.conflict, 'It already exists');
  }
  // Values the database cannot take: malformed (22P02, 22007, 22008), a NUL character or an
  // invalid byte sequence (22021, e.g. `?q=%00`), too long (22001), out of range (22003).
  if (BAD_VALUE_SQLSTATES.has(state ?? '')) {
    return new ProblemError(CommonProblems.validation, 'A value has the wrong format');
  }
  if (isUnavailableError(err)) {
    return new ProblemError(
      CommonProblems.unavailable,
      'A backing service is unavailable; try again shortly',
      {
        headers: { 'retry-after': '5' },
      },
    );
  }
  const status = typeof e?.statusCode === 'number' ? e.statusCode : 500;
  if (status === 404) {
    return new ProblemError(CommonProblems.notFound);
  }
  if (status === 429) {
    return new ProblemError(CommonProblems.rateLimited);
  }
  if (status >= 400 && status < 500) {
    return new ProblemError(
      {
        slug: 'bad-request',
        status,
        title: 'The request could not be processed',
        code: 'BAD_REQUEST',
      },
      typeof e.message === 'string' ? e.message : undefined,
    );
  }
  return new ProblemError(CommonProblems.internal);
}

export function sendProblem(
  reply: FastifyReply,
  problem: ProblemError,
  request: FastifyRequest,
): FastifyReply {
  for (const [name, value] of Object.entries(problem.headers)) {
    void reply.header(name, value);
  }
  return reply
    .code(problem.statusCode)
    .type(PROBLEM_JSON)
    .serializer((payload) => JSON.stringify(payload))
    .send(problem.toBody(request.url.split('?')[0]));
}

/** The answer for a path no route serves: 404 route-not-found. */
export async function routeNotFound(request: FastifyRequest, reply: FastifyReply): Promise<void> {
  await unrouted()(request, reply);
}

/**
 * The answer for a request no route takes: 405 method-not-allowed with an `Allow` header when
 * `allowedMethods` (allowed-methods.ts) knows the path with other methods only, else 404
 * route-not-found.
 */
export function unrouted(
  allowedMethods?: (url: string) => string[],
): (request: FastifyRequest, reply: FastifyReply) => Promise<void> {
  return async (request, reply) => {
    const path = request.url.split('?')[0]!;
    const allowed = allowedMethods?.(request.url) ?? [];
    // A route of this method took the request and found nothing itself (`callNotFound`, e.g. a
    // document that does not exist): that is 404, not a method the path is not served with.
    // The commonest typo of a path is a slash at its end (`POST /v1/referrals/`, which a route
    // with a parameter may take for one of its own): say so, and name the path that is served.
    const withoutSlash = path.length > 1 && path.endsWith('/') ? path.replace(/\/+$/, '') : '';
    const slashTypo =
      withoutSlash !== '' && (allowedMethods?.(withoutSlash) ?? []).includes(request.method);
    const wrongMethod = !slashTypo && allowed.length > 0 && !allowed.includes(request.method);
    await sendProblem(
      reply,
      slashTypo
        ? new ProblemError(CommonProblems.routeNotFound, trailingSlashDetail(request.method, path))
        : wrongMethod
          ? new ProblemError(
              CommonProblems.methodNotAllowed,
              `${request.method} is not served at ${path}; it is served with ${allowed.join(', ')}`,
              { headers: { allow: allowed.join(', ') } },
            )
          : new ProblemError(CommonProblems.routeNotFound, `${request.method} ${path}`),
      request,
    );
  };
}

/** What a 404 says about a path that would be served without the slash at its end. */
export function trailingSlashDetail(method: string, path: string): string {
  return `${method} ${path} is not served: drop the slash at its end (${method} ${path.replace(/\/+$/, '')})`;
}

/**
 * A route with a path parameter matched a path whose segment for it is empty: `GET /v1/units/`
 * taken by `/v1/units/:id`, `/v1/referrals//envelope` (an id left out). That is not an invalid id
 * ("params.id must match format uuid" sends people looking at an id they never typed) but a path
 * nothing serves: 404 route-not-found, saying which slash is in the way.
 */
export function emptyPathSegment(request: FastifyRequest): ProblemError | undefined {
  const params = request.params as Record<string, unknown> | undefined;
  const empty =
    params &&
    typeof params === 'object' &&
    Object.entries(params).some(([name, value]) => name !== '*' && value === '');
  if (!empty) {
    return undefined;
  }
  const path = request.url.split('?')[0]!;
  return new ProblemError(
    CommonProblems.routeNotFound,
    path.endsWith('/')
      ? trailingSlashDetail(request.method, path)
      : `${request.method} ${path}: a part of the path is empty (//); an id left out?`,
  );
}

/**
 * One error handler for every route, and (unless `notFound: false`, when the caller sets its own
 * with hooks such as rate limiting) the handler for unknown paths.
 */
export function registerErrorHandling(
  app: FastifyInstance,
  options: { notFound?: boolean } = {},
): void {
  app.setErrorHandler((err, request, reply) => {
    if (err instanceof IdempotentReplay) {
      void reply.code(err.status).header('idempotent-replayed', 'true');
      if (err.type) {
        void reply.type(err.type);
      }
      return reply.serializer((p: unknown) => p as string).send(err.body);
    }
    const problem = toProblem(err);
    if (problem.statusCode >= 500) {
      request.log.error({ err }, 'request failed');
    } else {
      request.log.info(
        { code: problem.definition.code, status: problem.statusCode },
        'request refused',
      );
    }
    return sendProblem(reply, problem, request);
  });
  if (options.notFound !== false) {
    app.setNotFoundHandler(routeNotFound);
  }
}
