import { randomUUID } from 'node:crypto';
import { personKey, type Person } from '@samverkan/shared';
import type { EntityManager } from 'typeorm';
import { NotificationEntity, NotificationPreferenceEntity } from '../entities';
import { effectiveChannels, type NotificationKind } from '../domain/kinds';
import { notificationText, type NotificationFacts } from '../domain/notification-text';
import { NotificationEvents } from '../events/notification-events';
import type { Recipient } from '../read-model/directory-read-model';
import type { NotificationsContext } from './context';

export type { Recipient };

/** Notifications of one kind about one object for some users, caused by one event. */
export interface NotificationDraft {
  facts: NotificationFacts;
  recipients: Recipient[];
}

export interface CreatedNotification {
  id: string;
  /** the person it is for */
  person: Person;
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
  const byKey = new Map(wanted.flatMap((d) => d.recipients.map((r) => [personKey(r), r] as const)));
  const people = [...byKey.keys()].sort();
  for (const person of people) {
    await tx.query(`SELECT pg_advisory_xact_lock(hashtext('samverkan.notifications:' || $1))`, [
      person,
    ]);
  }
  const prefs = await tx
    .getRepository(NotificationPreferenceEntity)
    .createQueryBuilder('p')
    .where(
      `(p.user_organisation_id, p.user_id) IN (SELECT * FROM unnest(:orgs::uuid[], :users::text[]))`,
      {
        orgs: people.map((k) => byKey.get(k)!.organisationId),
        users: people.map((k) => byKey.get(k)!.userId),
      },
    )
    .getMany();
  const chosen = new Map(
    prefs.map((p) => [
      `${personKey({ organisationId: p.userOrganisationId, userId: p.userId })} ${p.kind}`,
      p.channels,
    ]),
  );
  const table = tx.getRepository(NotificationEntity).metadata.tablePath;
  const created: CreatedNotification[] = [];
  for (const draft of wanted) {
    const text = notificationText(draft.facts);
    const seen = new Set<string>();
    for (const recipient of draft.recipients) {
      const key = personKey(recipient);
      if (seen.has(key)) {
        continue;
      }
      seen.add(key);
      const channels = effectiveChannels(
        draft.facts.kind,
        chosen.get(`${key} ${draft.facts.kind}`),
      );
      if (channels.length === 0) {
        continue;
      }
      const id = randomUUID();
      // Without the in-app channel the notification exists for the webhook only: archived.
      const rows = (await tx.query(
        `INSERT INTO ${table} (id, user_organisation_id, user_id, unit_id, kind, severity, title,
           body, link, object_type, object_id, event_id, requires_ack, channels, archived_at)
         VALUES ($1, $15, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13,
           CASE WHEN $14::boolean THEN NULL ELSE now() END)
         ON CONFLICT (event_id, user_organisation_id, user_id, kind) DO NOTHING
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
          recipient.organisationId,
        ],
      )) as Array<{ id: string }>;
      if (rows.length === 0) {
        continue;
      }
      await ctx.events.outbox.append(tx, NotificationEvents.created, {
        notificationId: id,
        userOrganisationId: recipient.organisationId,
        userId: recipient.userId,
        unitId: recipient.unitId,
        kind: draft.facts.kind,
        severity: text.severity,
        objectType: draft.facts.objectType,
        objectId: draft.facts.objectId,
        channels,
      });
      created.push({
        id,
        person: { organisationId: recipient.organisationId, userId: recipient.userId },
        kind: draft.facts.kind,
      });
    }
  }
  await ctx.feed.signal(
    tx,
    created.map((c) => c.person),
  );
  return created;
}
