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
 * Referral, operation and field-request events, to the endpoints of every unit they concern. The
 * worker is woken once the transaction that queued deliveries has committed.
 */
export function referralWebhooksConsumer(onQueued: () => void): EventConsumerDefinition {
  const queued = new Set<string>();
  return {
    name: 'notifications-webhooks-referrals',
    filter: 'samverkan.referrals.>',
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
    async handle(event, tx) {
      const data = event.data as { unitId?: string | null; channels?: string[] };
      if (
        data.unitId &&
        data.channels?.includes('webhook') &&
        (await enqueue(tx, event, 'notification.created', [data.unitId])) > 0
      ) {
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
