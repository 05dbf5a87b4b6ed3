import { keysetCursor } from '@samverkan/shared';
import { WebhookProblems } from './errors';
import type {
  WebhookAttemptEntity,
  WebhookDeliveryEntity,
  WebhookEndpointEntity,
} from './webhook.entities';

const iso = (d: Date | null) => (d ? d.toISOString() : null);

/** An endpoint as the API shows it: never its secret. */
export function endpointView(e: WebhookEndpointEntity, now = new Date()) {
  return {
    id: e.id,
    unitId: e.unitId,
    organisationId: e.organisationId,
    url: e.url,
    description: e.description,
    eventTypes: e.eventTypes,
    status: e.status,
    disabledReason: e.disabledReason,
    disabledAt: iso(e.disabledAt),
    consecutiveFailures: e.consecutiveFailures,
    previousSecretExpiresAt:
      e.previousSecretExpiresAt && e.previousSecretExpiresAt > now
        ? e.previousSecretExpiresAt.toISOString()
        : null,
    createdBy: { issuer: e.createdByIssuer ?? null, subject: e.createdBy },
    createdAt: e.createdAt.toISOString(),
    updatedAt: e.updatedAt.toISOString(),
  };
}

export function deliveryView(d: WebhookDeliveryEntity, attempts: WebhookAttemptEntity[] = []) {
  return {
    id: d.id,
    endpointId: d.endpointId,
    eventId: d.eventId,
    eventType: d.eventType,
    status: d.status,
    attempts: d.attempts,
    nextAttemptAt: d.status === 'pending' || d.status === 'retrying' ? iso(d.nextAttemptAt) : null,
    lastOutcome: d.lastOutcome,
    deliveredAt: iso(d.deliveredAt),
    createdAt: d.createdAt.toISOString(),
    updatedAt: d.updatedAt.toISOString(),
    attemptLog: attempts.map((a) => ({
      attemptedAt: a.attemptedAt.toISOString(),
      durationMs: a.durationMs,
      statusCode: a.statusCode,
      outcome: a.outcome,
    })),
  };
}

/**
 * Keyset cursors over (created_at, id), newest first: the platform's (shared/src/http/cursor.ts),
 * answering 400 `webhook-invalid-cursor` (naming `querystring.cursor`) for one not given out here.
 */
const cursor = keysetCursor({ createdAt: 'datetime', id: 'uuid' }, WebhookProblems.invalidCursor);

export function encodeCursor(createdAt: Date, id: string): string {
  return cursor.encode({ createdAt: createdAt.toISOString(), id });
}

/** undefined without a cursor; throws the 400 problem for a bad one */
export function decodeCursor(
  value: string | undefined,
): { createdAt: Date; id: string } | undefined {
  const position = cursor.decode(value);
  return position && { createdAt: new Date(position.createdAt), id: position.id };
}
