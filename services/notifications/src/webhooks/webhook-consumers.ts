import { randomUUID } from 'node:crypto';
import type { EventConsumerDefinition, EventEnvelope } from '@samverkan/shared';
import type { EntityManager } from 'typeorm';
import { thinPayload, unitsConcerned, webhookEventType } from './webhook-payload';
import { WebhookDeliveryEntity, WebhookEndpointEntity } from './webhook.entities';

/**
 * The enabled endpoints of each unit, read once per transaction: a consumer batch handles many
 * events for the same few units in one transaction, and reads them as of its first event (an
 * endpoint enabled meanwhile gets the next batch's events), rather than once per event.
 */
const endpointsSeen = new WeakMap<EntityManager, Map<string, WebhookEndpointEntity[]>>();

async function enabledEndpoints(
  tx: EntityManager,
  units: string[],
): Promise<WebhookEndpointEntity[]> {
  let seen = endpointsSeen.get(tx);
  if (!seen) {
    seen = new Map();
    if (tx.queryRunner?.isTransactionActive) {
      endpointsSeen.set(tx, seen);
    }
  }
  const unread = [...new Set(units)].filter((u) => !seen.has(u));
  if (unread.length > 0) {
    const found = await tx
      .getRepository(WebhookEndpointEntity)
      .createQueryBuilder('e')
      .where("e.status = 'enabled' AND e.unit_id IN (:...unread)", { unread })
      .orderBy('e.id')
      .getMany();
    for (const u of unread) {
      seen.set(
        u,
        found.filter((e) => e.unitId === u),
      );
    }
  }
  return [...new Set(units)].flatMap((u) => seen.get(u) ?? []);
}

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
  const result = (await tx
    .createQueryBuilder()
    .insert()
    .into(WebhookDeliveryEntity)
    .values(
      targets.map((e) => ({
        id: randomUUID(),
        endpointId: e.id,
        eventId: event.id,
        eventType: type,
        payload: JSON.stringify(thinPayload(type, event.time, event.data, e.unitId)),
        status: 'pending' as const,
        attempts: 0,
        nextAttemptAt: now,
        createdAt: now,
        updatedAt: now,
      })),
    )
    .orIgnore()
    .returning(['id'])
    .execute()) as { raw: unknown[] };
  return result.raw.length;
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
