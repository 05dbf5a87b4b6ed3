import type { EntityManager } from 'typeorm';
import { DirectoryUnitEntity, EscalationTimerEntity, NotificationEntity } from '../entities';
import { ObjectPartiesEntity } from './object-parties.entity';

/**
 * Every statement of the records work: the parties of referrals, field requests and operations
 * (`object_parties`), the purge of notification texts, and the retention purge (kept in step with
 * the entities and migrations by test/migrations.test.ts).
 */

/** Adds units to an object's parties: parties only grow (a forward or an invitation adds units). */
export function rememberParties(
  tx: EntityManager,
  objectType: string,
  objectId: string,
  units: string[],
): Promise<void> {
  return rememberManyParties(tx, [{ objectType, objectId, units }]);
}

/** An object's parties an event named (`eventId`: which event, for `partiesOfFreshEvents`). */
export interface NamedParties {
  objectType: string;
  objectId: string;
  units: string[];
  eventId?: string;
}

/**
 * The upsert of objects' parties (one row per object, the units of all its entries merged, for
 * an upsert may not touch a row twice), with the entries as one JSON parameter `$<param>`, of
 * those that pass `filter` (on `p.e`, the entry's event id).
 */
function upsertPartiesSql(tx: EntityManager, param: number, filter: string): string {
  const table = tx.getRepository(ObjectPartiesEntity).metadata.tablePath;
  return `INSERT INTO ${table} (object_type, object_id, unit_ids, purged_at, updated_at)
     SELECT p.t, p.o, array_agg(DISTINCT x.unit ORDER BY x.unit), NULL, now()
       FROM jsonb_to_recordset($${param}::jsonb) AS p(e uuid, t text, o uuid, u uuid[])
       CROSS JOIN LATERAL unnest(p.u) AS x(unit)
      WHERE ${filter}
      GROUP BY p.t, p.o
     ON CONFLICT (object_type, object_id) DO UPDATE
       SET unit_ids = ARRAY(SELECT DISTINCT u FROM unnest(${table}.unit_ids || EXCLUDED.unit_ids) u ORDER BY u),
           updated_at = now()`;
}

const partiesJson = (objects: NamedParties[]) =>
  JSON.stringify(
    objects.map((e) => ({ e: e.eventId ?? null, t: e.objectType, o: e.objectId, u: e.units })),
  );

/** The same for several objects (a consumer's batch) in one statement. */
export async function rememberManyParties(
  tx: EntityManager,
  objects: NamedParties[],
): Promise<void> {
  if (objects.length > 0) {
    await tx.query(upsertPartiesSql(tx, 1, 'true'), [partiesJson(objects)]);
  }
}

/**
 * The same as the effect of a consumer's one statement (`EventConsumerDefinition.asStatement`):
 * the parties of the events among `fresh` (those not handled before), its parameter `$3`.
 */
export function partiesOfFreshEvents(
  db: EntityManager,
  objects: Array<NamedParties & { eventId: string }>,
): { sql: string; params: unknown[] } {
  return {
    sql: upsertPartiesSql(db, 3, 'p.e IN (SELECT event_id FROM fresh)'),
    params: [partiesJson(objects)],
  };
}

/** Replaces the texts of the notifications about an object; returns how many changed. */
export async function replaceTexts(
  tx: EntityManager,
  objectType: string,
  objectId: string,
  text: { title: string; body: string },
): Promise<number> {
  const notifications = tx.getRepository(NotificationEntity).metadata.tablePath;
  const [, changed] = (await tx.query(
    `UPDATE ${notifications} SET title = $3, body = $4
      WHERE object_type = $1 AND object_id = $2 AND title <> $3`,
    [objectType, objectId, text.title, text.body],
  )) as [unknown, number];
  return Number(changed ?? 0);
}

export async function markPurged(
  tx: EntityManager,
  objectType: string,
  objectId: string,
  at: Date,
): Promise<void> {
  await tx.update(ObjectPartiesEntity, { objectType, objectId }, { purgedAt: at });
}

/** The transaction-scoped lock of the retention purge: one purger at a time across replicas. */
export async function tryPurgeLock(tx: EntityManager, key: number): Promise<boolean> {
  const [lock] = (await tx.query('SELECT pg_try_advisory_xact_lock($1) AS locked', [
    key,
  ])) as Array<{
    locked: boolean;
  }>;
  return lock?.locked === true;
}

/**
 * Deletes up to `batch` notifications created before `cutoff`, read or not, and up to `batch`
 * settled escalation timers of that age; returns how many of each.
 */
export async function deleteOlderThan(
  tx: EntityManager,
  cutoff: Date,
  batch: number,
): Promise<{ notifications: number; timers: number }> {
  const notifications = tx.getRepository(NotificationEntity).metadata.tablePath;
  const timers = tx.getRepository(EscalationTimerEntity).metadata.tablePath;
  const [, n] = (await tx.query(
    `DELETE FROM ${notifications} WHERE seq IN (
       SELECT seq FROM ${notifications} WHERE created_at < $1 ORDER BY seq LIMIT ${batch})`,
    [cutoff],
  )) as [unknown, number];
  const [, t] = (await tx.query(
    `DELETE FROM ${timers} WHERE id IN (
       SELECT id FROM ${timers} WHERE status <> 'pending' AND created_at < $1 LIMIT ${batch})`,
    [cutoff],
  )) as [unknown, number];
  return { notifications: Number(n), timers: Number(t) };
}

// --- the parties of what the service audits (services/audit-parties.ts) ----------------------

const orgsOf = async (tx: EntityManager, sql: string, params: unknown[]) =>
  ((await tx.query(sql, params)) as Array<{ org: string }>).map((r) => r.org);

/** The organisation of a notification's unit. */
export function notificationOrganisations(tx: EntityManager, id: string): Promise<string[]> {
  const units = tx.getRepository(DirectoryUnitEntity).metadata.tablePath;
  const notifications = tx.getRepository(NotificationEntity).metadata.tablePath;
  return orgsOf(
    tx,
    `SELECT u.organisation_id::text AS org FROM ${notifications} n
       JOIN ${units} u ON u.unit_id = n.unit_id WHERE n.id = $1`,
    [id],
  );
}

/**
 * The organisations of every party of a referral, field request or operation, as its events
 * named them, and of the units its timers and notifications went to.
 */
export function objectOrganisations(
  tx: EntityManager,
  objectType: string,
  objectId: string,
): Promise<string[]> {
  const units = tx.getRepository(DirectoryUnitEntity).metadata.tablePath;
  const parties = tx.getRepository(ObjectPartiesEntity).metadata.tablePath;
  const timers = tx.getRepository(EscalationTimerEntity).metadata.tablePath;
  const notifications = tx.getRepository(NotificationEntity).metadata.tablePath;
  return orgsOf(
    tx,
    `SELECT DISTINCT u.organisation_id::text AS org FROM ${units} u
      WHERE u.unit_id IN (
        SELECT unnest(p.unit_ids) FROM ${parties} p
         WHERE p.object_type = $2 AND p.object_id = $1
        UNION SELECT unnest(t.unit_ids) FROM ${timers} t
         WHERE t.object_type = $2 AND t.object_id = $1
        UNION SELECT n.unit_id FROM ${notifications} n
         WHERE n.object_type = $2 AND n.object_id = $1 AND n.unit_id IS NOT NULL)`,
    [objectId, objectType],
  );
}

/** The organisation of a unit. */
export function unitOrganisations(tx: EntityManager, unitId: string): Promise<string[]> {
  const units = tx.getRepository(DirectoryUnitEntity).metadata.tablePath;
  return orgsOf(tx, `SELECT organisation_id::text AS org FROM ${units} WHERE unit_id = $1`, [
    unitId,
  ]);
}
