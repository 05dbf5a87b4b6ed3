import { randomUUID } from 'node:crypto';
import type { EventConsumerDefinition, EventEnvelope } from '@samverkan/shared';
import type { EntityManager } from 'typeorm';
import { thinPayload, unitsConcerned, webhookEventType } from './webhook-payload';
import { enabledEndpoints, queueDeliveries } from './repository';

/**
 * Queues one delivery per enabled endpoint of each unit the event concerns that subscribes to
 * its type. `(endpoint, event id)` is unique: an event handled twice queues nothing twice.
 */
async function enqueue(
  tx: EntityManager,
  event: EventEnvelope,
  type: string,
  units: string[],
): Promise<number> {
  if (units.length === 0) {
    return 0;
  }
  const targets = (await enabledEndpoints(tx, units)).filter((e) => e.eventTypes.includes(type));
  if (targets.length === 0) {
    return 0;
  }
  const now = new Date();
  return queueDeliveries(
    tx,
    targets.map((e) => ({
      id: randomUUID(),
      endpointId: e.id,
      eventId: event.id,
      eventType: type,
      payload: JSON.stringify(thinPayload(type, event.time, event.data, e.unitId)),
      nextAttemptAt: now,
    })),
    now,
  );
}

/**
 * Which events have an enabled endpoint subscribed to their type among their units (one read for
 * them all, outside a transaction): the rest queue nothing and need no transaction.
 */
async function withEndpoints(
  db: EntityManager,
  events: Array<{ type: string | undefined; units: string[] }>,
): Promise<boolean[]> {
  const units = [...new Set(events.flatMap((e) => (e.type ? e.units : [])))];
  if (units.length === 0) {
    return events.map(() => false);
  }
  const endpoints = await enabledEndpoints(db, units);
  return events.map(
    (e) =>
      e.type !== undefined &&
      endpoints.some((x) => e.units.includes(x.unitId) && x.eventTypes.includes(e.type!)),
  );
}

/** The units a `notification.created` goes to the endpoints of: its unit, with the webhook channel. */
function notificationUnits(event: EventEnvelope): string[] {
  const data = event.data as { unitId?: string | null; channels?: string[] };
  return data.unitId && data.channels?.includes('webhook') ? [data.unitId] : [];
}

/**
 * Referral, operation and field-request events, to the endpoints of every unit they concern. The
 * worker is woken once the transaction that queued deliveries has committed.
 */
export function referralWebhooksConsumer(onQueued: () => void): EventConsumerDefinition {
  const queued = new Set<string>();
  return {
    name: 'notifications-webhooks-referrals',
    filter: 'samverkan.referrals.>',
    wants: (events, db) =>
      withEndpoints(
        db,
        events.map((e) => ({ type: webhookEventType(e.type), units: unitsConcerned(e.data) })),
      ),
    async handle(event, tx) {
      const type = webhookEventType(event.type);
      if (type && (await enqueue(tx, event, type, unitsConcerned(event.data))) > 0) {
        queued.add(event.id);
      }
    },
    onCommitted(event) {
      if (queued.delete(event.id)) {
        onQueued();
      }
    },
  };
}

/** `notification.created` with the `webhook` channel, to the endpoints of the notification's unit. */
export function notificationWebhooksConsumer(onQueued: () => void): EventConsumerDefinition {
  const queued = new Set<string>();
  return {
    name: 'notifications-webhooks-notifications',
    filter: 'samverkan.notifications.notification.created',
    wants: (events, db) =>
      withEndpoints(
        db,
        events.map((e) => ({ type: 'notification.created', units: notificationUnits(e) })),
      ),
    async handle(event, tx) {
      const units = notificationUnits(event);
      if (units.length > 0 && (await enqueue(tx, event, 'notification.created', units)) > 0) {
        queued.add(event.id);
      }
    },
    onCommitted(event) {
      if (queued.delete(event.id)) {
        onQueued();
      }
    },
  };
}
