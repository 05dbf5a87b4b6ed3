import { keysetCursor } from '@samverkan/shared';
import { NotificationProblems } from '../domain/errors';
import type { DeadLetterEntity } from '@samverkan/shared';
import type { components } from '../generated/openapi';
import type { NotificationEntity } from '../entities';

export type NotificationView = components['schemas']['Notification'];
export type DeadLetterView = components['schemas']['DeadLetter'];

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export function notificationView(n: NotificationEntity): NotificationView {
  return {
    id: n.id,
    seq: Number(n.seq),
    kind: n.kind as NotificationView['kind'],
    severity: n.severity as NotificationView['severity'],
    title: n.title,
    body: n.body,
    link: n.link,
    objectType: n.objectType as NotificationView['objectType'],
    objectId: n.objectId,
    unitId: n.unitId,
    createdAt: n.createdAt.toISOString(),
    seenAt: iso(n.seenAt),
    readAt: iso(n.readAt),
    acknowledgedAt: iso(n.acknowledgedAt),
    archivedAt: iso(n.archivedAt),
    requiresAcknowledgement: n.requiresAck,
  };
}

export function deadLetterView(d: DeadLetterEntity): DeadLetterView {
  return {
    id: d.id,
    consumer: d.consumer,
    eventId: d.eventId,
    subject: d.subject,
    reason: d.reason,
    deliveries: d.deliveries,
    createdAt: d.createdAt.toISOString(),
    replayedAt: iso(d.replayedAt),
  };
}

/**
 * The platform's keyset cursors (shared/src/http/cursor.ts): the inbox pages by `seq`, newest
 * first; the dead letters by (created_at, id). A cursor not given out here answers 400 with the
 * service's `invalid-cursor` problem, naming `querystring.cursor`.
 */
export const inboxCursor = keysetCursor({ seq: 'integer' }, NotificationProblems.invalidCursor);
export const deadLetterCursor = keysetCursor(
  { createdAt: 'datetime', id: 'uuid' },
  NotificationProblems.invalidCursor,
);
