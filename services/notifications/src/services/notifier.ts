import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { NotificationEntity, NotificationPreferenceEntity } from '../entities';
import { effectiveChannels, type NotificationKind } from '../domain/kinds';
import { notificationText, type NotificationFacts } from '../domain/notification-text';
import { NotificationEvents } from '../events/notification-events';
import type { NotificationsContext } from './context';

export interface Recipient {
  userId: string;
  /** the unit through which the user is a recipient (for escalations: the on-call unit) */
  unitId: string | null;
}

/** Notifications of one kind about one object for some users, caused by one event. */
export interface NotificationDraft {
  facts: NotificationFacts;
  recipients: Recipient[];
}

export interface CreatedNotification {
  id: string;
  userId: string;
  kind: NotificationKind;
}

/**
 * Writes the notifications of one event (or escalation) in the caller's transaction, with their
 * `notification.created` events in the outbox. The event id, the user and the kind are unique
 * together, so a second run for the same event creates nothing. A user's notifications are
 * written under a per-user transaction lock so that their `seq` order is their commit order —
 * which is what lets a live stream resume from a `seq` without missing one.
 */
export async function createNotifications(
  ctx: Pick<NotificationsContext, 'events' | 'feed'>,
  tx: EntityManager,
  eventId: string,
  drafts: NotificationDraft[],
): Promise<CreatedNotification[]> {
  const wanted = drafts.filter((d) => d.recipients.length > 0);
  if (wanted.length === 0) {
    return [];
  }
  const users = [...new Set(wanted.flatMap((d) => d.recipients.map((r) => r.userId)))].sort();
  for (const userId of users) {
    await tx.query(`SELECT pg_advisory_xact_lock(hashtext('samverkan.notifications:' || $1))`, [
      userId,
    ]);
  }
  const prefs = await tx
    .getRepository(NotificationPreferenceEntity)
    .createQueryBuilder('p')
    .where('p.user_id = ANY(:users)', { users })
    .getMany();
  const chosen = new Map(prefs.map((p) => [`${p.userId} ${p.kind}`, p.channels]));
  const table = tx.getRepository(NotificationEntity).metadata.tablePath;
  const created: CreatedNotification[] = [];
  for (const draft of wanted) {
    const text = notificationText(draft.facts);
    const seen = new Set<string>();
    for (const recipient of draft.recipients) {
      if (seen.has(recipient.userId)) {
        continue;
      }
      seen.add(recipient.userId);
      const channels = effectiveChannels(
        draft.facts.kind,
        chosen.get(`${recipient.userId} ${draft.facts.kind}`),
      );
      if (channels.length === 0) {
        continue;
      }
      const id = randomUUID();
      // Without the in-app channel the notification exists for the webhook only: archived.
      const rows = (await tx.query(
        `INSERT INTO ${table} (id, user_id, unit_id, kind, severity, title, body, link, object_type,
           object_id, event_id, requires_ack, channels, archived_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13,
           CASE WHEN $14::boolean THEN NULL ELSE now() END)
         ON CONFLICT (event_id, user_id, kind) DO NOTHING
         RETURNING id`,
        [
          id,
          recipient.userId,
          recipient.unitId,
          draft.facts.kind,
          text.severity,
          text.title,
          text.body,
          text.link,
          draft.facts.objectType,
          draft.facts.objectId,
          eventId,
          text.requiresAck,
          channels,
          channels.includes('in_app'),
        ],
      )) as Array<{ id: string }>;
      if (rows.length === 0) {
        continue;
      }
      await ctx.events.outbox.append(tx, NotificationEvents.created, {
        notificationId: id,
        userId: recipient.userId,
        unitId: recipient.unitId,
        kind: draft.facts.kind,
        severity: text.severity,
        objectType: draft.facts.objectType,
        objectId: draft.facts.objectId,
        channels,
      });
      created.push({ id, userId: recipient.userId, kind: draft.facts.kind });
    }
  }
  await ctx.feed.signal(
    tx,
    created.map((c) => c.userId),
  );
  return created;
}
