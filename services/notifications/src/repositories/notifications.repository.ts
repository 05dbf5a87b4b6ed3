import { outboxInsertSql, type Person } from '@samverkan/shared';
import type { EntityManager } from 'typeorm';
import { NotificationEntity, NotificationPreferenceEntity } from '../entities';
import type { NotificationFacts, notificationText } from '../domain/notification-text';
import type { Recipient } from '../read-model/directory-read-model';

/**
 * The SQL of the `notifications` table and of the preferences read with it: where the consumers
 * and escalations write notifications (kept in step with the entities and migrations by
 * test/migrations.test.ts).
 */

/**
 * Takes every person's transaction lock in one statement, in the given (sorted) order, so that
 * two writers never wait on each other crosswise; a person's `seq` order is then commit order.
 */
export async function lockPeople(tx: EntityManager, personKeys: string[]): Promise<void> {
  await tx.query(
    `SELECT pg_advisory_xact_lock(hashtext('samverkan.notifications:' || p))
       FROM unnest($1::text[]) WITH ORDINALITY AS t(p, i) ORDER BY i`,
    [personKeys],
  );
}

/**
 * `lockPeople` and `preferencesOf` in one statement (one round trip on the way of every event's
 * notifications): takes the locks in the given (sorted) order, then reads the people's chosen
 * channels per kind. The locks come first in the plan whatever the preferences hold: the rows
 * are the lock count's one row left-joined with the preferences.
 */
export async function lockPeopleWithPreferences(
  tx: EntityManager,
  personKeys: string[],
  people: Person[],
): Promise<
  Array<Pick<NotificationPreferenceEntity, 'userOrganisationId' | 'userId' | 'kind' | 'channels'>>
> {
  const table = tx.getRepository(NotificationPreferenceEntity).metadata.tablePath;
  const rows = (await tx.query(
    `WITH locked AS MATERIALIZED (
       SELECT count(pg_advisory_xact_lock(hashtext('samverkan.notifications:' || p))) AS n
         FROM unnest($1::text[]) WITH ORDINALITY AS t(p, i))
     SELECT p.user_organisation_id, p.user_id, p.kind, p.channels
       FROM locked LEFT JOIN ${table} p
         ON locked.n >= 0
        AND (p.user_organisation_id, p.user_id) IN (SELECT * FROM unnest($2::uuid[], $3::text[]))`,
    [personKeys, people.map((p) => p.organisationId), people.map((p) => p.userId)],
  )) as Array<{
    user_organisation_id: string | null;
    user_id: string | null;
    kind: string | null;
    channels: string[] | null;
  }>;
  return rows
    .filter((r) => r.user_organisation_id !== null)
    .map((r) => ({
      userOrganisationId: r.user_organisation_id!,
      userId: r.user_id!,
      kind: r.kind!,
      channels: r.channels!,
    }));
}

/** A person's chosen channels per kind. */
export function preferencesOfPerson(
  db: EntityManager,
  person: Person,
): Promise<NotificationPreferenceEntity[]> {
  return db
    .getRepository(NotificationPreferenceEntity)
    .findBy({ userOrganisationId: person.organisationId, userId: person.userId });
}

/** Sets a person's channels for a kind. */
export async function savePreference(
  tx: EntityManager,
  person: Person,
  kind: string,
  channels: string[],
  at: Date,
): Promise<void> {
  await tx
    .createQueryBuilder()
    .insert()
    .into(NotificationPreferenceEntity)
    .values({
      userOrganisationId: person.organisationId,
      userId: person.userId,
      kind,
      channels,
      updatedAt: at,
    })
    .orUpdate(['channels', 'updated_at'], ['user_organisation_id', 'user_id', 'kind'])
    .execute();
}

/** The people's chosen channels per kind. */
export async function preferencesOf(
  tx: EntityManager,
  people: Person[],
): Promise<NotificationPreferenceEntity[]> {
  return tx
    .getRepository(NotificationPreferenceEntity)
    .createQueryBuilder('p')
    .where(
      `(p.user_organisation_id, p.user_id) IN (SELECT * FROM unnest(:orgs::uuid[], :users::text[]))`,
      { orgs: people.map((p) => p.organisationId), users: people.map((p) => p.userId) },
    )
    .getMany();
}

export interface NotificationRow {
  id: string;
  /** the event (or escalation timer) that caused it: unique with the person and the kind */
  eventId: string;
  recipient: Recipient;
  facts: NotificationFacts;
  text: ReturnType<typeof notificationText>;
  channels: string[];
}

/** What `insertNotifications` writes with the rows, in the same statement, for those it wrote. */
export interface WithNotifications {
  /** their outbox rows (`outboxRow`), each with its notification's id at `payload.data.notificationId` */
  events: unknown[];
  /** the signal to the other replicas: `sql` of a `text[]` of people; `keys[i]`: of `rows[i]`, or null */
  notify?: { sql: (keys: string) => string; keys: Array<string | null> };
}

/**
 * Inserts the rows (of one event or of many) in one statement, in their order; returns the ids
 * of those written (not there already for their event, person and kind). `also`: their events
 * and signal, written by the same statement for the rows it wrote (one round trip, not three).
 */
export async function insertNotifications(
  tx: EntityManager,
  rows: NotificationRow[],
  also?: WithNotifications,
): Promise<string[]> {
  if (rows.length === 0) {
    return [];
  }
  const table = tx.getRepository(NotificationEntity).metadata.tablePath;
  // One parameter whatever the number of rows: the statement's text is always the same.
  const json = JSON.stringify(
    rows.map((r) => ({
      id: r.id,
      org: r.recipient.organisationId,
      usr: r.recipient.userId,
      unit: r.recipient.unitId,
      kind: r.facts.kind,
      severity: r.text.severity,
      title: r.text.title,
      body: r.text.body,
      link: r.text.link,
      otype: r.facts.objectType,
      oid: r.facts.objectId,
      event: r.eventId,
      ack: r.text.requiresAck,
      channels: r.channels,
    })),
  );
  // Without the in-app channel the notification exists for the webhook only: archived.
  const insert = `INSERT INTO ${table} (id, user_organisation_id, user_id, unit_id, kind, severity, title,
       body, link, object_type, object_id, event_id, requires_ack, channels, archived_at)
     SELECT id, org, usr, unit, kind, severity, title, body, link, otype, oid, event, ack,
            channels, CASE WHEN 'in_app' = ANY(channels) THEN NULL ELSE now() END
       FROM ROWS FROM (jsonb_to_recordset($1::jsonb) AS (id uuid, org uuid, usr text, unit uuid,
              kind text, severity text, title text, body text, link text, otype text, oid uuid,
              event uuid, ack boolean, channels text[]))
            WITH ORDINALITY AS r(id, org, usr, unit, kind, severity, title, body, link, otype, oid,
              event, ack, channels, i)
      ORDER BY i
     ON CONFLICT (event_id, user_organisation_id, user_id, kind) DO NOTHING
     RETURNING id`;
  if (!also) {
    return ((await tx.query(insert, [json])) as Array<{ id: string }>).map((r) => r.id);
  }
  const ins = `(SELECT id FROM ins)`;
  const notify = also.notify;
  const inserted = (await tx.query(
    `WITH ins AS (${insert}),
     events AS (${outboxInsertSql(tx, '$2::jsonb', `(e->'payload'->'data'->>'notificationId')::uuid IN ${ins}`)}
       RETURNING 1)${
         notify
           ? `,
     signals AS (${notify.sql(`ARRAY(SELECT DISTINCT s.k FROM unnest($3::uuid[], $4::text[]) AS s(id, k)
                                     WHERE s.k IS NOT NULL AND s.id IN ${ins})`)})`
           : ''
       }
     SELECT id FROM ins${notify ? ` CROSS JOIN (SELECT count(*) FROM signals) AS signalled` : ''}`,
    [json, JSON.stringify(also.events), ...(notify ? [rows.map((r) => r.id), notify.keys] : [])],
  )) as Array<{ id: string }>;
  return inserted.map((r) => r.id);
}

/** The people earlier notified of an object with a kind (e.g. who was alerted to a field request). */
export async function notifiedOf(
  tx: EntityManager,
  objectId: string,
  kind: string,
): Promise<Recipient[]> {
  const rows = (await tx.query(
    `SELECT DISTINCT ON (user_organisation_id, user_id) user_organisation_id, user_id, unit_id
       FROM ${tx.getRepository(NotificationEntity).metadata.tablePath}
      WHERE object_id = $1 AND kind = $2 ORDER BY user_organisation_id, user_id, seq`,
    [objectId, kind],
  )) as Array<{ user_organisation_id: string; user_id: string; unit_id: string | null }>;
  return rows.map((r) => ({
    organisationId: r.user_organisation_id,
    userId: r.user_id,
    unitId: r.unit_id,
  }));
}
