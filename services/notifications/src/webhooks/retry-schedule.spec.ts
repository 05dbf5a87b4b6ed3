import fc from 'fast-check';
import { backoffDelay, DEFAULT_RETRY_POLICY, parseRetryAfter } from './retry-schedule';

describe('retry schedule', () => {
  it('stays within the exponential ceiling for every attempt (full jitter)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }),
        fc.double({ min: 0, max: 0.9999, noNaN: true }),
        (n, r) => {
          const delay = backoffDelay(n, DEFAULT_RETRY_POLICY, () => r);
          const ceiling = Math.min(
            DEFAULT_RETRY_POLICY.maxDelayMs,
            DEFAULT_RETRY_POLICY.baseDelayMs * 2 ** (n - 1),
          );
          return delay >= 0 && delay <= ceiling;
        },
      ),
    );
  });

  it('grows with the attempt number at the top of the jitter', () => {
    const top = (n: number) => backoffDelay(n, DEFAULT_RETRY_POLICY, () => 0.999999);
    expect(top(2)).toBeGreaterThan(top(1));
    expect(top(5)).toBeGreaterThan(top(4));
    expect(top(60)).toBeLessThanOrEqual(DEFAULT_RETRY_POLICY.maxDelayMs);
  });

  it('reads Retry-After as seconds or as an HTTP date', () => {
    const now = new Date('2026-11-23T08:00:00Z');
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter('Mon, 23 Nov 2026 08:01:00 GMT', now)).toBe(60_000);
    expect(parseRetryAfter('Mon, 23 Nov 2026 07:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter('-5', now)).toBeUndefined();
  });
});
