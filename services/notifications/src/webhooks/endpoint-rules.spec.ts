import { ProblemError } from '@samverkan/shared';
import { afterFailure, type AttemptDecision } from './delivery-state';
import {
  checkEventTypes,
  enabledChanges,
  endpointChanges,
  newEndpoint,
  redelivery,
  rotatedSecret,
  testDelivery,
} from './endpoint-rules';

const now = new Date('2026-12-06T08:00:00Z');
const code = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return (err as ProblemError).definition.code;
  }
  return null;
};

describe('webhook endpoint rules', () => {
  it('subscribes only to known event types, naming the others', () => {
    const known = new Set(['referral.sent']);
    expect(code(() => checkEventTypes(['referral.sent'], known))).toBeNull();
    expect(() => checkEventTypes(['referral.sent', 'nope'], known)).toThrow(/nope/);
  });

  it('a new endpoint is enabled, its types each once and sorted, its creator a person', () => {
    const e = newEndpoint({
      id: 'e1',
      body: { unitId: 'u1', url: 'https://x.example', eventTypes: ['b', 'a', 'b'] },
      organisationId: 'org',
      secretSealed: 'sealed',
      createdBy: { sub: 'admin', iss: 'https://idp.example' },
      now,
    });
    expect(e).toMatchObject({
      status: 'enabled',
      eventTypes: ['a', 'b'],
      description: '',
      consecutiveFailures: 0,
      createdBy: 'admin',
      createdByIssuer: 'https://idp.example',
    });
  });

  it('an update changes only the fields given', () => {
    expect(endpointChanges({ description: 'x' }, now)).toEqual({
      description: 'x',
      updatedAt: now,
    });
    expect(endpointChanges({ eventTypes: ['b', 'a'] }, now).eventTypes).toEqual(['a', 'b']);
  });

  it('a rotation keeps the old secret for the overlap, or not at all', () => {
    expect(rotatedSecret({ secretSealed: 'old' }, 'new', 60_000, now)).toEqual({
      secretSealed: 'new',
      previousSecretSealed: 'old',
      previousSecretExpiresAt: new Date(now.getTime() + 60_000),
      updatedAt: now,
    });
    expect(rotatedSecret({ secretSealed: 'old' }, 'new', 0, now)).toMatchObject({
      previousSecretSealed: null,
      previousSecretExpiresAt: null,
    });
  });

  it('enabling clears the failure streak; an enabled endpoint is left as it is', () => {
    expect(enabledChanges({ status: 'enabled' }, now)).toBeNull();
    expect(enabledChanges({ status: 'disabled' }, now)).toMatchObject({
      status: 'enabled',
      consecutiveFailures: 0,
      disabledReason: null,
    });
  });

  it('a test goes only to an enabled endpoint', () => {
    const ids = { deliveryId: 'd1', eventId: 'ev1' };
    expect(testDelivery({ id: 'e1', unitId: 'u1', status: 'enabled' }, ids, now)).toMatchObject({
      eventType: 'webhook.test',
      status: 'pending',
      nextAttemptAt: now,
    });
    expect(code(() => testDelivery({ id: 'e1', unitId: 'u1', status: 'disabled' }, ids, now))).toBe(
      'NOTIFICATIONS_WEBHOOK_ENDPOINT_DISABLED',
    );
  });

  it('only a finished delivery of an enabled endpoint is redelivered, from its first attempt', () => {
    expect(redelivery({ status: 'dead' }, 'enabled', now)).toMatchObject({
      status: 'pending',
      attempts: 0,
    });
    expect(code(() => redelivery(null, 'enabled', now))).toMatch(/DELIVERY_NOT_FOUND/);
    expect(code(() => redelivery({ status: 'dead' }, 'disabled', now))).toMatch(/DISABLED/);
    expect(code(() => redelivery({ status: 'retrying' }, 'enabled', now))).toMatch(/PROGRESS/);
  });
});

describe('a failed attempt', () => {
  const decision = (over: Partial<AttemptDecision> = {}): AttemptDecision => ({
    status: 'retrying',
    attempts: 1,
    nextAttemptAt: now,
    succeeded: false,
    disableEndpoint: null,
    outcome: 'http_500',
    ...over,
  });

  it('grows the failure streak and disables an enabled endpoint when the decision says so', () => {
    expect(afterFailure(decision(), { status: 'enabled', consecutiveFailures: 2 })).toEqual({
      status: 'retrying',
      failures: 3,
      disable: null,
    });
    expect(
      afterFailure(decision({ status: 'dead', disableEndpoint: 'gone' }), {
        status: 'enabled',
        consecutiveFailures: 0,
      }),
    ).toEqual({ status: 'dead', failures: 1, disable: 'gone' });
  });

  it('to an endpoint disabled meanwhile is dead, and does not disable it again', () => {
    expect(
      afterFailure(decision({ disableEndpoint: 'repeated_failure' }), {
        status: 'disabled',
        consecutiveFailures: 5,
      }),
    ).toEqual({ status: 'dead', failures: 6, disable: null });
  });
});
