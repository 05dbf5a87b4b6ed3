import { randomUUID } from 'node:crypto';
import { outboxRow, personKey, type Person } from '@samverkan/shared';
import type { EntityManager } from 'typeorm';
import { effectiveChannels, type NotificationKind } from '../domain/kinds';
import { notificationText, type NotificationFacts } from '../domain/notification-text';
import { NotificationEvents } from '../events/notification-events';
import type { Recipient } from '../read-model/directory-read-model';
import {
  insertNotifications,
  lockPeopleWithPreferences,
  type NotificationRow,
} from '../repositories/notifications.repository';

export type { NotificationRow };
import type { NotificationsContext } from './context';

export type { Recipient };

/** Notifications of one kind about one object for some users, caused by one event. */
export interface NotificationDraft {
  facts: NotificationFacts;
  recipients: Recipient[];
}

export interface CreatedNotification {
  id: string;
  /** the event (or escalation timer) that caused it */
  eventId: string;
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
  return writeNotifications(ctx, tx, await notificationRows(tx, eventId, drafts));
}

/**
 * The rows the drafts of one event make, one per person and kind, on the channels each chose
 * (none: no row). Takes the people's locks for the rest of the transaction; writes nothing.
 */
export async function notificationRows(
  tx: EntityManager,
  eventId: string,
  drafts: NotificationDraft[],
): Promise<NotificationRow[]> {
  const wanted = drafts.filter((d) => d.recipients.length > 0);
  if (wanted.length === 0) {
    return [];
  }
  const byKey = new Map(wanted.flatMap((d) => d.recipients.map((r) => [personKey(r), r] as const)));
  const chosen = await lockedWithPreferences(tx, byKey);
  const rows: NotificationRow[] = [];
  for (const draft of wanted) {
    const text = notificationText(draft.facts);
    const seen = new Set<string>();
    for (const recipient of draft.recipients) {
      const key = personKey(recipient);
      if (seen.has(key)) {
        continue;
      }
      seen.add(key);
      const channels = effectiveChannels(draft.facts.kind, chosen(key, draft.facts.kind));
      if (channels.length > 0) {
        rows.push({ id: randomUUID(), eventId, recipient, facts: draft.facts, text, channels });
      }
    }
  }
  return rows;
}

/**
 * Writes rows (of one event or of a consumer's whole batch) in the caller's transaction, in one
 * statement: the notifications — what an earlier run of the same event wrote is left alone — and,
 * for those written, their `notification.created` events and the signal to the other replicas.
 * Returns what was written, in the rows' order.
 */
export async function writeNotifications(
  ctx: Pick<NotificationsContext, 'events' | 'feed'>,
  tx: EntityManager,
  rows: NotificationRow[],
): Promise<CreatedNotification[]> {
  if (rows.length === 0) {
    return [];
  }
  const events = rows.map((r) =>
    outboxRow(
      ctx.events.outbox.envelope(NotificationEvents.created, {
        notificationId: r.id,
        userOrganisationId: r.recipient.organisationId,
        userId: r.recipient.userId,
        unitId: r.recipient.unitId,
        kind: r.facts.kind,
        severity: r.text.severity,
        objectType: r.facts.objectType,
        objectId: r.facts.objectId,
        channels: r.channels,
      }),
    ),
  );
  // The people not signalled yet in this transaction, signalled by the same statement.
  const unsignalled = new Set(
    ctx.feed.unsignalled(
      tx,
      rows.map((r) => r.recipient),
    ),
  );
  const keyOf = (r: NotificationRow) => {
    const key = personKey(r.recipient);
    return unsignalled.has(key) ? key : null;
  };
  const inserted = new Set(
    await insertNotifications(tx, rows, {
      events,
      ...(unsignalled.size > 0
        ? { notify: { sql: (keys) => ctx.feed.notifySql(keys), keys: rows.map(keyOf) } }
        : {}),
    }),
  );
  const written = rows.filter((r) => inserted.has(r.id));
  ctx.feed.markSignalled(
    tx,
    written.flatMap((r) => keyOf(r) ?? []),
  );
  return written.map((r) => ({
    id: r.id,
    eventId: r.eventId,
    person: { organisationId: r.recipient.organisationId, userId: r.recipient.userId },
    kind: r.facts.kind,
  }));
}

/**
 * What a transaction already holds: the people whose lock it took and their preferences. A
 * consumer batch handles many events in one transaction, mostly for the same few people (a
 * unit's members); a lock is held until commit and nothing in the batch changes preferences, so
 * each is taken once per transaction, not once per event.
 */
const held = new WeakMap<EntityManager, Map<string, Map<string, string[]>>>();

/** Locks the people (sorted, see `lockPeople`) and reads their chosen channels per kind: one statement. */
async function lockedWithPreferences(
  tx: EntityManager,
  byKey: Map<string, Recipient>,
): Promise<(key: string, kind: string) => string[] | undefined> {
  let mine = held.get(tx);
  if (!mine) {
    mine = new Map();
    // (outside a transaction a lock ends with its statement: nothing is held)
    if (tx.queryRunner?.isTransactionActive) {
      held.set(tx, mine);
    }
  }
  const fresh = [...byKey.keys()].filter((k) => !mine.has(k)).sort();
  if (fresh.length > 0) {
    const prefs = await lockPeopleWithPreferences(
      tx,
      fresh,
      fresh.map((k) => byKey.get(k)!),
    );
    for (const k of fresh) {
      mine.set(k, new Map());
    }
    for (const p of prefs) {
      mine
        .get(personKey({ organisationId: p.userOrganisationId, userId: p.userId }))
        ?.set(p.kind, p.channels);
    }
  }
  return (key, kind) => mine.get(key)?.get(kind);
}
