/**
 * RFC 9457 problem details. Every error that leaves a service is one of these, with a stable
 * `type` URI and `code` per rule so that clients can branch on them without parsing text.
 */
export const PROBLEM_TYPE_BASE = 'urn:samverkan:problem:';

// The wire type lives with the client SDK (which must stand alone); the platform uses the same one.
import type { ProblemBody, ProblemFieldError } from '@samverkan/sdk/src/problem';
export type { ProblemBody, ProblemFieldError };

export interface ProblemDefinition {
  /** kebab-case slug; the problem type is `urn:samverkan:problem:<slug>` */
  slug: string;
  status: number;
  title: string;
  /** stable, upper snake case, prefixed by the owning service (`DIRECTORY_KEY_MALFORMED`) */
  code: string;
}

export class ProblemError extends Error {
  readonly definition: ProblemDefinition;
  readonly detail?: string;
  readonly extensions: Record<string, unknown>;
  readonly errors?: ProblemFieldError[];
  readonly headers: Record<string, string>;

  constructor(
    definition: ProblemDefinition,
    detail?: string,
    options: {
      errors?: ProblemFieldError[];
      extensions?: Record<string, unknown>;
      headers?: Record<string, string>;
    } = {},
  ) {
    super(detail ?? definition.title);
    this.name = 'ProblemError';
    this.definition = definition;
    this.detail = detail;
    this.errors = options.errors;
    this.extensions = options.extensions ?? {};
    this.headers = options.headers ?? {};
  }

  get statusCode(): number {
    return this.definition.status;
  }

  toBody(instance?: string): ProblemBody {
    return {
      ...this.extensions,
      type: problemType(this.definition),
      title: this.definition.title,
      status: this.definition.status,
      code: this.definition.code,
      ...(this.detail !== undefined ? { detail: this.detail } : {}),
      ...(instance !== undefined ? { instance } : {}),
      ...(this.errors ? { errors: this.errors } : {}),
    };
  }
}

export function problemType(definition: ProblemDefinition): string {
  return `${PROBLEM_TYPE_BASE}${definition.slug}`;
}

export function defineProblems<const T extends Record<string, ProblemDefinition>>(defs: T): T {
  return defs;
}

/** Problems every service can raise. Service-specific ones live in each `domain/errors.ts`. */
export const CommonProblems = defineProblems({
  validation: {
    slug: 'validation-error',
    status: 400,
    title: 'The request is not valid',
    code: 'VALIDATION_FAILED',
  },
  malformedBody: {
    slug: 'malformed-body',
    status: 400,
    title: 'The request body could not be parsed',
    code: 'MALFORMED_BODY',
  },
  unauthenticated: {
    slug: 'unauthenticated',
    status: 401,
    title: 'Authentication is required',
    code: 'AUTH_REQUIRED',
  },
  invalidToken: {
    slug: 'invalid-token',
    status: 401,
    title: 'The access token is not valid',
    code: 'AUTH_INVALID_TOKEN',
  },
  expiredToken: {
    slug: 'expired-token',
    status: 401,
    title: 'The access token has expired',
    code: 'AUTH_TOKEN_EXPIRED',
  },
  untrustedIssuer: {
    slug: 'untrusted-issuer',
    status: 401,
    title: 'The token issuer is not trusted',
    code: 'AUTH_UNTRUSTED_ISSUER',
  },
  issuerNotForOrganisation: {
    slug: 'issuer-not-trusted-for-organisation',
    status: 401,
    title: 'The token issuer may not speak for this organisation',
    code: 'AUTH_ISSUER_ORGANISATION_MISMATCH',
  },
  forbidden: { slug: 'forbidden', status: 403, title: 'You may not do this', code: 'FORBIDDEN' },
  notFound: { slug: 'not-found', status: 404, title: 'Not found', code: 'NOT_FOUND' },
  routeNotFound: {
    slug: 'route-not-found',
    status: 404,
    title: 'No such route',
    code: 'ROUTE_NOT_FOUND',
  },
  methodNotAllowed: {
    slug: 'method-not-allowed',
    status: 405,
    title: 'Method not allowed',
    code: 'METHOD_NOT_ALLOWED',
  },
  notAcceptable: {
    slug: 'not-acceptable',
    status: 406,
    title: 'No acceptable representation',
    code: 'NOT_ACCEPTABLE',
  },
  conflict: {
    slug: 'conflict',
    status: 409,
    title: 'The request conflicts with the current state',
    code: 'CONFLICT',
  },
  idempotencyKeyReused: {
    slug: 'idempotency-key-reused',
    status: 422,
    title: 'This Idempotency-Key was used for a different request',
    code: 'IDEMPOTENCY_KEY_REUSED',
  },
  idempotencyInProgress: {
    slug: 'idempotency-key-in-progress',
    status: 409,
    title: 'A request with this Idempotency-Key is still being processed',
    code: 'IDEMPOTENCY_KEY_IN_PROGRESS',
  },
  uriTooLong: {
    slug: 'uri-too-long',
    status: 414,
    title: 'A path segment of the URL is too long',
    code: 'URI_TOO_LONG',
  },
  payloadTooLarge: {
    slug: 'payload-too-large',
    status: 413,
    title: 'The request body is too large',
    code: 'PAYLOAD_TOO_LARGE',
  },
  unsupportedMediaType: {
    slug: 'unsupported-media-type',
    status: 415,
    title: 'Unsupported media type',
    code: 'UNSUPPORTED_MEDIA_TYPE',
  },
  unprocessable: {
    slug: 'unprocessable',
    status: 422,
    title: 'The request breaks a rule',
    code: 'UNPROCESSABLE',
  },
  rateLimited: {
    slug: 'rate-limited',
    status: 429,
    title: 'Too many requests',
    code: 'RATE_LIMITED',
  },
  internal: {
    slug: 'internal-error',
    status: 500,
    title: 'Internal error',
    code: 'INTERNAL_ERROR',
  },
  unavailable: {
    slug: 'service-unavailable',
    status: 503,
    title: 'The service is temporarily unavailable',
    code: 'SERVICE_UNAVAILABLE',
  },
});
