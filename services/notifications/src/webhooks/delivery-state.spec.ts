import { canRedeliver, decideAfterAttempt, type DeliveryProgress } from './delivery-state';
import { DEFAULT_RETRY_POLICY } from './retry-schedule';

const now = new Date('2026-11-23T08:00:00Z');
const ctx = {
  policy: { ...DEFAULT_RETRY_POLICY, maxAttempts: 3, baseDelayMs: 1000 },
  now,
  consecutiveFailures: 0,
  disableAfterFailures: 10,
  random: () => 0.5,
};
const fresh: DeliveryProgress = { status: 'pending', attempts: 0 };

describe('delivery state machine', () => {
  it('a 2xx delivers and counts as a success', () => {
    const d = decideAfterAttempt(fresh, { kind: 'response', status: 204 }, ctx);
    expect(d).toMatchObject({ status: 'delivered', attempts: 1, succeeded: true });
    expect(d.disableEndpoint).toBeNull();
  });

  it('a 500 retries later, with jitter inside the schedule', () => {
    const d = decideAfterAttempt(fresh, { kind: 'response', status: 500 }, ctx);
    expect(d.status).toBe('retrying');
    expect(d.outcome).toBe('http_500');
    expect(d.nextAttemptAt!.getTime() - now.getTime()).toBe(500);
  });

  it('network errors and timeouts retry too', () => {
    expect(decideAfterAttempt(fresh, { kind: 'timeout' }, ctx).status).toBe('retrying');
    expect(
      decideAfterAttempt(fresh, { kind: 'network_error', error: 'ECONNREFUSED' }, ctx).status,
    ).toBe('retrying');
  });

  it('honours Retry-After on 429 and 503', () => {
    for (const status of [429, 503]) {
      const d = decideAfterAttempt(fresh, { kind: 'response', status, retryAfter: '42' }, ctx);
      expect(d.nextAttemptAt!.getTime() - now.getTime()).toBe(42_000);
    }
  });

  it('cuts an excessive Retry-After to the configured maximum', () => {
    const d = decideAfterAttempt(
      fresh,
      { kind: 'response', status: 429, retryAfter: '99999999' },
      ctx,
    );
    expect(d.nextAttemptAt!.getTime() - now.getTime()).toBe(ctx.policy.maxRetryAfterMs);
  });

  it('is dead after the last attempt', () => {
    const d = decideAfterAttempt(
      { status: 'retrying', attempts: 2 },
      { kind: 'response', status: 500 },
      ctx,
    );
    expect(d).toMatchObject({ status: 'dead', attempts: 3, nextAttemptAt: null });
  });

  it('410 kills the delivery and disables the endpoint', () => {
    const d = decideAfterAttempt(fresh, { kind: 'response', status: 410 }, ctx);
    expect(d).toMatchObject({ status: 'dead', disableEndpoint: 'gone' });
  });

  it('the failure that completes the streak disables the endpoint', () => {
    const d = decideAfterAttempt(
      fresh,
      { kind: 'response', status: 502 },
      { ...ctx, consecutiveFailures: 9 },
    );
    expect(d).toMatchObject({ status: 'dead', disableEndpoint: 'repeated_failure' });
    const before = decideAfterAttempt(
      fresh,
      { kind: 'response', status: 502 },
      { ...ctx, consecutiveFailures: 8 },
    );
    expect(before.disableEndpoint).toBeNull();
  });

  it('a destination refused at sending time is not retried', () => {
    const d = decideAfterAttempt(
      fresh,
      { kind: 'destination_refused', error: 'address_not_allowed' },
      ctx,
    );
    expect(d.status).toBe('dead');
  });

  it('3xx is a failure: redirects are not followed', () => {
    expect(decideAfterAttempt(fresh, { kind: 'response', status: 302 }, ctx).status).toBe(
      'retrying',
    );
  });

  it('only finished deliveries may be sent again by hand', () => {
    expect(canRedeliver('dead')).toBe(true);
    expect(canRedeliver('delivered')).toBe(true);
    expect(canRedeliver('pending')).toBe(false);
    expect(canRedeliver('retrying')).toBe(false);
  });
});
