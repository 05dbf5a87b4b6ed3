import type { EntityManager } from 'typeorm';
import { EscalationTimerEntity, NotificationEntity } from '../entities';
import { ObjectPartiesEntity } from './object-parties.entity';

/**
 * Every statement of the records work: the parties of referrals, field requests and operations
 * (`object_parties`), the purge of notification texts, and the retention purge (kept in step with
 * the entities and migrations by test/migrations.test.ts).
 */

/** Adds units to an object's parties: parties only grow (a forward or an invitation adds units). */
export async function rememberParties(
  tx: EntityManager,
  objectType: string,
  objectId: string,
  units: string[],
): Promise<void> {
  const table = tx.getRepository(ObjectPartiesEntity).metadata.tablePath;
  await tx.query(
    `INSERT INTO ${table} (object_type, object_id, unit_ids, purged_at, updated_at)
     VALUES ($1, $2, $3::uuid[], NULL, now())
     ON CONFLICT (object_type, object_id) DO UPDATE
       SET unit_ids = ARRAY(SELECT DISTINCT u FROM unnest(${table}.unit_ids || EXCLUDED.unit_ids) u ORDER BY u),
           updated_at = now()`,
    [objectType, objectId, [...new Set(units)]],
  );
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
