/** How failed deliveries are retried. */
export interface RetryPolicy {
  /** attempts in all, the first included, before a delivery is dead */
  maxAttempts: number;
  /** the first retry's upper bound; doubles with each attempt */
  baseDelayMs: number;
  /** no computed delay is longer than this */
  maxDelayMs: number;
  /** a `Retry-After` asking for longer than this is cut to it */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 8,
  baseDelayMs: 30_000,
  maxDelayMs: 6 * 60 * 60_000,
  maxRetryAfterMs: 6 * 60 * 60_000,
};

/**
 * Exponential backoff with full jitter (the delay is uniform in [0, min(max, base·2^(n-1))]):
 * receivers that failed together do not get retried together.
 */
export function backoffDelay(
  attempt: number,
  policy: RetryPolicy,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  return Math.floor(random() * ceiling);
}

/**
 * A `Retry-After` header (RFC 9110 §10.2.3: delay-seconds or an HTTP-date) as milliseconds from
 * `now`; undefined when absent or unreadable.
 */
export function parseRetryAfter(header: string | undefined, now: Date): number | undefined {
  if (header === undefined) {
    return undefined;
  }
  const value = header.trim();
  if (/^\d+$/.test(value)) {
    return Number(value) * 1000;
  }
  const at = Date.parse(value);
  if (Number.isNaN(at) || !/[a-z]/i.test(value)) {
    return undefined;
  }
  return Math.max(0, at - now.getTime());
}
