import { ProblemError } from '@samverkan/shared';
import { canRedeliver, type DeliveryStatus } from './delivery-state';
import { WebhookProblems as P } from './errors';
import type { WebhookDeliveryEntity, WebhookEndpointEntity } from './webhook.entities';

/**
 * The rules of webhook endpoints and of their deliveries by hand, as pure functions: what a
 * create, an update, a secret rotation, an enabling, a test and a redelivery change (the writes
 * in commands.ts carry them out).
 */

export interface EndpointCreate {
  unitId: string;
  url: string;
  eventTypes: string[];
  description?: string;
}

export type EndpointUpdate = Partial<Omit<EndpointCreate, 'unitId'>>;

/** The subscribed types: each one known (`referral.sent`, …), else 422 naming them. */
export function checkEventTypes(types: string[], known: ReadonlySet<string>): void {
  const unknown = types.filter((t) => !known.has(t));
  if (unknown.length > 0) {
    throw new ProblemError(P.eventTypeUnknown, `Unknown event types: ${unknown.join(', ')}`, {
      errors: unknown.map((t) => ({ field: 'eventTypes', message: `${t} is not an event type` })),
    });
  }
}

/** A subscription's types as stored: each once, sorted. */
const eventTypesOf = (types: string[]) => [...new Set(types)].sort();

export function newEndpoint(input: {
  id: string;
  body: EndpointCreate;
  organisationId: string;
  secretSealed: string;
  createdBy: { sub: string; iss?: string | null };
  now: Date;
}): WebhookEndpointEntity {
  const { body, now } = input;
  return {
    id: input.id,
    unitId: body.unitId,
    organisationId: input.organisationId,
    url: body.url,
    description: body.description ?? '',
    eventTypes: eventTypesOf(body.eventTypes),
    status: 'enabled',
    disabledReason: null,
    disabledAt: null,
    consecutiveFailures: 0,
    secretSealed: input.secretSealed,
    previousSecretSealed: null,
    previousSecretExpiresAt: null,
    createdBy: input.createdBy.sub,
    createdByIssuer: input.createdBy.iss ?? null,
    createdAt: now,
    updatedAt: now,
  };
}

/** The columns an update changes: only the fields given. */
export function endpointChanges(body: EndpointUpdate, now: Date): Partial<WebhookEndpointEntity> {
  const changes: Partial<WebhookEndpointEntity> = { updatedAt: now };
  if (body.url !== undefined) {
    changes.url = body.url;
  }
  if (body.eventTypes) {
    changes.eventTypes = eventTypesOf(body.eventTypes);
  }
  if (body.description !== undefined) {
    changes.description = body.description;
  }
  return changes;
}

/**
 * A new secret; the current one stays valid for `overlapMs` (signatures carry both meanwhile), or
 * ends at once with no overlap.
 */
export function rotatedSecret(
  current: Pick<WebhookEndpointEntity, 'secretSealed'>,
  secretSealed: string,
  overlapMs: number,
  now: Date,
): Pick<
  WebhookEndpointEntity,
  'secretSealed' | 'previousSecretSealed' | 'previousSecretExpiresAt' | 'updatedAt'
> {
  return {
    previousSecretSealed: overlapMs > 0 ? current.secretSealed : null,
    previousSecretExpiresAt: overlapMs > 0 ? new Date(now.getTime() + overlapMs) : null,
    secretSealed,
    updatedAt: now,
  };
}

/** Enabling starts a new failure streak; null when the endpoint is enabled already. */
export function enabledChanges(
  endpoint: Pick<WebhookEndpointEntity, 'status'>,
  now: Date,
): Partial<WebhookEndpointEntity> | null {
  if (endpoint.status === 'enabled') {
    return null;
  }
  return {
    status: 'enabled',
    disabledReason: null,
    disabledAt: null,
    consecutiveFailures: 0,
    updatedAt: now,
  };
}

/** A `webhook.test` message to an enabled endpoint (409 to a disabled one). */
export function testDelivery(
  endpoint: Pick<WebhookEndpointEntity, 'id' | 'unitId' | 'status'>,
  ids: { deliveryId: string; eventId: string },
  now: Date,
): WebhookDeliveryEntity {
  if (endpoint.status !== 'enabled') {
    throw new ProblemError(P.endpointDisabled);
  }
  return {
    id: ids.deliveryId,
    endpointId: endpoint.id,
    eventId: ids.eventId,
    eventType: 'webhook.test',
    payload: JSON.stringify({
      type: 'webhook.test',
      timestamp: now.toISOString(),
      data: { endpointId: endpoint.id, unitId: endpoint.unitId },
    }),
    status: 'pending',
    attempts: 0,
    nextAttemptAt: now,
    leaseUntil: null,
    leaseToken: null,
    lastOutcome: null,
    deliveredAt: null,
    createdAt: now,
    updatedAt: now,
  };
}

/**
 * A finished delivery (delivered or dead) of an enabled endpoint is sent again from its first
 * attempt: 404 for no such delivery, 409 for a disabled endpoint or one still under way.
 */
export function redelivery(
  delivery: { status: DeliveryStatus } | null,
  endpointStatus: string | undefined,
  now: Date,
): Pick<
  WebhookDeliveryEntity,
  'status' | 'attempts' | 'nextAttemptAt' | 'leaseUntil' | 'leaseToken' | 'updatedAt'
> {
  if (!delivery) {
    throw new ProblemError(P.deliveryNotFound);
  }
  if (endpointStatus !== 'enabled') {
    throw new ProblemError(P.endpointDisabled);
  }
  if (!canRedeliver(delivery.status)) {
    throw new ProblemError(P.deliveryInProgress);
  }
  return {
    status: 'pending',
    attempts: 0,
    nextAttemptAt: now,
    leaseUntil: null,
    leaseToken: null,
    updatedAt: now,
  };
}
