import { backoffDelay, parseRetryAfter, type RetryPolicy } from './retry-schedule';

/**
 * A delivery's states:
 *
 *   pending ──2xx──▶ delivered
 *      │ failure, attempts left
 *      ▼
 *   retrying ──2xx──▶ delivered
 *      │ failure, no attempts left / 410 / destination refused / endpoint disabled
 *      ▼
 *     dead ──manual redelivery──▶ pending
 */
export const DELIVERY_STATUSES = ['pending', 'retrying', 'delivered', 'dead'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

export type EndpointDisabledReason = 'gone' | 'repeated_failure';

/** What one attempt came to. */
export type AttemptResult =
  | { kind: 'response'; status: number; retryAfter?: string }
  | { kind: 'network_error'; error: string }
  | { kind: 'timeout' }
  | { kind: 'destination_refused'; error: string };

export interface DeliveryProgress {
  status: DeliveryStatus;
  /** attempts made in the current round (a manual redelivery starts a new round) */
  attempts: number;
}

export interface AttemptDecision {
  status: Exclude<DeliveryStatus, 'pending'>;
  attempts: number;
  /** when to try again (retrying only) */
  nextAttemptAt: Date | null;
  /** the attempt counts as a success for the endpoint's failure streak */
  succeeded: boolean;
  /** the endpoint is to be disabled, and why */
  disableEndpoint: EndpointDisabledReason | null;
  /** short, loggable outcome: `http_500`, `timeout`, `network_error`, … */
  outcome: string;
}

/** A 2xx answer: the receiver has the message. */
export function delivered(result: AttemptResult): boolean {
  return result.kind === 'response' && result.status >= 200 && result.status < 300;
}

/** Attempt outcomes that say nothing about the receiver's health are none; every failure counts. */
export function decideAfterAttempt(
  progress: DeliveryProgress,
  result: AttemptResult,
  ctx: {
    policy: RetryPolicy;
    now: Date;
    /** the endpoint's failed attempts in a row before this one */
    consecutiveFailures: number;
    /** disable the endpoint when its failures in a row reach this */
    disableAfterFailures: number;
    random?: () => number;
  },
): AttemptDecision {
  const attempts = progress.attempts + 1;
  const base = { attempts, nextAttemptAt: null, disableEndpoint: null };
  if (result.kind === 'response' && delivered(result)) {
    return {
      ...base,
      status: 'delivered',
      succeeded: true,
      outcome: `http_${result.status}`,
    };
  }
  const outcome = result.kind === 'response' ? `http_${result.status}` : result.kind;
  if (result.kind === 'response' && result.status === 410) {
    // 410 Gone: the receiver says this endpoint no longer exists; stop at once.
    return { ...base, status: 'dead', succeeded: false, outcome, disableEndpoint: 'gone' };
  }
  const failures = ctx.consecutiveFailures + 1;
  const disableEndpoint: EndpointDisabledReason | null =
    failures >= ctx.disableAfterFailures ? 'repeated_failure' : null;
  if (
    result.kind === 'destination_refused' ||
    disableEndpoint ||
    attempts >= ctx.policy.maxAttempts
  ) {
    return { ...base, status: 'dead', succeeded: false, outcome, disableEndpoint };
  }
  let delay = backoffDelay(attempts, ctx.policy, ctx.random);
  if (result.kind === 'response' && (result.status === 429 || result.status === 503)) {
    const asked = parseRetryAfter(result.retryAfter, ctx.now);
    if (asked !== undefined) {
      // The receiver said when it can take more: never sooner, but not unboundedly later.
      delay = Math.min(asked, ctx.policy.maxRetryAfterMs);
    }
  }
  return {
    ...base,
    status: 'retrying',
    nextAttemptAt: new Date(ctx.now.getTime() + delay),
    succeeded: false,
    outcome,
  };
}

/**
 * A failed attempt's effect: the endpoint's failure streak grows; a delivery of an endpoint that
 * is disabled already is dead rather than retried; the endpoint is disabled when the decision says
 * so and it is still enabled (an endpoint is disabled once).
 */
export function afterFailure(
  decision: AttemptDecision,
  endpoint: { status: string; consecutiveFailures: number },
): { status: AttemptDecision['status']; failures: number; disable: EndpointDisabledReason | null } {
  const enabled = endpoint.status === 'enabled';
  return {
    status: !enabled && decision.status === 'retrying' ? 'dead' : decision.status,
    failures: endpoint.consecutiveFailures + 1,
    disable: enabled ? decision.disableEndpoint : null,
  };
}

/** Whether a delivery in this state may be sent again by hand. */
export function canRedeliver(status: DeliveryStatus): boolean {
  return status === 'delivered' || status === 'dead';
}
