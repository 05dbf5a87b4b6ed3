import { EnvelopeError } from './crypto/envelope';
import { KeyTrustError, RootKeyNotPinnedError } from './crypto/directory-keys';
import type { ProblemBody, ProblemFieldError } from './problem';

export type { ProblemFieldError };
/** The RFC 9457 body every Samverkan service answers an error with. */
export type ProblemDetails = ProblemBody;

/** The hub refused a request: the problem+json it answered with, typed. */
export class SamverkanProblemError extends Error {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail?: string;
  readonly code: string;
  readonly errors: ProblemFieldError[];
  readonly problem: ProblemDetails;

  constructor(problem: ProblemDetails) {
    super(problem.detail ? `${problem.title}: ${problem.detail}` : problem.title);
    this.name = 'SamverkanProblemError';
    this.problem = problem;
    this.type = problem.type;
    this.title = problem.title;
    this.status = problem.status;
    this.detail = problem.detail;
    this.code = problem.code;
    this.errors = problem.errors ?? [];
  }

  /** The slug of `urn:samverkan:problem:<slug>`, e.g. `referral-not-found`. */
  get slug(): string {
    return this.type.startsWith('urn:samverkan:problem:')
      ? this.type.slice('urn:samverkan:problem:'.length)
      : this.type;
  }
}

/** The hub could not be reached, or answered without a problem body (a proxy, a crash). */
export class HubUnavailableError extends Error {
  constructor(
    readonly url: string,
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'HubUnavailableError';
  }
}

/** A local cryptographic check failed: an envelope or key that must not be trusted. */
export class SamverkanCryptoError extends Error {
  constructor(
    /**
     * What failed: an EnvelopeError code (`bad_signature`, `aad_mismatch`, `record_mismatch`, …),
     * `untrusted_key`, `root_not_pinned` (no root of the organisation is pinned yet) or
     * `unknown_unit`.
     */
    readonly code: string,
    message: string,
    /** The metadata member concerned (`record_mismatch`: the field the hub shows otherwise). */
    readonly field?: string,
    /** `root_not_pinned`: the organisation and the fingerprints to compare out of band. */
    readonly organisationId?: string,
    readonly fingerprints?: string[],
  ) {
    super(message);
    this.name = 'SamverkanCryptoError';
  }
}

/**
 * A unit id or name that the directory does not know (a typo, or a unit of another hub). Not a
 * cryptographic alarm: nothing was sealed or opened.
 */
export class UnknownUnitError extends Error {
  constructor(
    readonly unit: string,
    message = `no such unit: ${unit}`,
  ) {
    super(message);
    this.name = 'UnknownUnitError';
  }
}

/** The key store is missing, unreadable, or lacks the key a step needs. */
export class KeyStoreError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KeyStoreError';
  }
}

export function isProblemBody(body: unknown): body is ProblemDetails {
  if (typeof body !== 'object' || body === null) {
    return false;
  }
  const b = body as Record<string, unknown>;
  return typeof b.type === 'string' && typeof b.title === 'string' && typeof b.status === 'number';
}

/** Turns the shared crypto's errors into the SDK's one crypto error type. */
export function asCryptoError(err: unknown): unknown {
  if (err instanceof EnvelopeError) {
    return new SamverkanCryptoError(err.code, err.message, err.field);
  }
  if (err instanceof RootKeyNotPinnedError) {
    return new SamverkanCryptoError(
      // Another root is pinned: not a newcomer to pin, but a key to distrust until compared.
      err.otherRootsPinned ? 'untrusted_key' : 'root_not_pinned',
      err.message,
      undefined,
      err.organisationId,
      err.fingerprints,
    );
  }
  if (err instanceof KeyTrustError) {
    return new SamverkanCryptoError('untrusted_key', err.message);
  }
  return err;
}
