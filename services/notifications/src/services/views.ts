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

/** Opaque cursors: base64url of the position to continue after. */
export function encodeCursor(position: string): string {
  return Buffer.from(position, 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string, pattern: RegExp): string | null {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  return pattern.test(text) ? text : null;
}
