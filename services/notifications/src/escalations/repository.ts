import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { EscalationTimerEntity, NotificationEntity } from '../entities';
import { ESCALATION_KINDS } from '../domain/escalation';

/**
 * Every statement on `escalation_timers`, and the reads of `notifications` that escalation rules
 * take (kept in step with the entities and migrations by test/migrations.test.ts). All run in the
 * caller's transaction.
 */

export interface NewTimer {
  objectType: string;
  objectId: string;
  level: number;
  dueAt: Date;
  unitIds: string[];
  category: string | null;
  urgency: string | null;
  municipalityCode: string | null;
  coordinatorUnitId: string | null;
}

/** Inserts a pending timer; an object's timer of that level that exists already is left alone. */
export function insertTimer(tx: EntityManager, timer: NewTimer): Promise<void> {
  return insertTimers(tx, [timer]);
}

/**
 * Inserts pending timers in one statement, in their order (a consumer's batch); an object's timer
 * of a level that exists already, or comes twice, is left alone.
 */
export async function insertTimers(tx: EntityManager, timers: NewTimer[]): Promise<void> {
  if (timers.length === 0) {
    return;
  }
  const table = tx.getRepository(EscalationTimerEntity).metadata.tablePath;
  await tx.query(
    `INSERT INTO ${table} (id, object_type, object_id, level, due_at, status, unit_ids, category,
       urgency, municipality_code, coordinator_unit_id)
     SELECT id, otype, oid, level, due, 'pending', units, category, urgency, muni, coord
       FROM ROWS FROM (jsonb_to_recordset($1::jsonb) AS (id uuid, otype text, oid uuid,
              level int, due timestamptz, units uuid[], category text, urgency text, muni text,
              coord uuid))
            WITH ORDINALITY AS t(id, otype, oid, level, due, units, category, urgency, muni,
              coord, i)
      ORDER BY i
     ON CONFLICT DO NOTHING`,
    [
      JSON.stringify(
        timers.map((t) => ({
          id: randomUUID(),
          otype: t.objectType,
          oid: t.objectId,
          level: t.level,
          due: t.dueAt.toISOString(),
          units: t.unitIds,
          category: t.category,
          urgency: t.urgency,
          muni: t.municipalityCode,
          coord: t.coordinatorUnitId,
        })),
      ),
    ],
  );
}

/** Stops every pending timer of an object; returns how many. */
export async function cancelPendingTimers(
  tx: EntityManager,
  objectType: string,
  objectId: string,
): Promise<number> {
  const result = await tx
    .createQueryBuilder()
    .update(EscalationTimerEntity)
    .set({ status: 'cancelled', settledAt: () => 'now()' })
    .where("object_type = :objectType AND object_id = :objectId AND status = 'pending'", {
      objectType,
      objectId,
    })
    .execute();
  return result.affected ?? 0;
}

/**
 * The due pending timer that is due longest, locked for `tx` (another replica's claim is
 * skipped), with whether its item was acknowledged meanwhile: one statement.
 */
export async function claimDueTimer(
  tx: EntityManager,
  now: Date,
): Promise<{ timer: EscalationTimerEntity; acknowledged: boolean } | null> {
  const notifications = tx.getRepository(NotificationEntity).metadata.tablePath;
  const { entities, raw } = await tx
    .getRepository(EscalationTimerEntity)
    .createQueryBuilder('t')
    .addSelect(
      `EXISTS (SELECT 1 FROM ${notifications} n WHERE n.object_type = t.object_type
         AND n.object_id = t.object_id AND n.requires_ack AND n.acknowledged_at IS NOT NULL)`,
      'acknowledged',
    )
    .setLock('pessimistic_write', undefined, ['t'])
    .setOnLocked('skip_locked')
    .where("t.status = 'pending' AND t.due_at <= :now", { now })
    .orderBy('t.due_at', 'ASC')
    .limit(1)
    .getRawAndEntities<{ acknowledged: boolean }>();
  const timer = entities[0];
  return timer ? { timer, acknowledged: raw[0]!.acknowledged } : null;
}

/** Settles a claimed timer: it fired, or it was found acknowledged. */
export async function settleTimer(
  tx: EntityManager,
  id: string,
  status: 'fired' | 'cancelled',
  at: Date,
): Promise<void> {
  await tx.update(EscalationTimerEntity, { id }, { status, settledAt: at });
}

/**
 * People (organisation and subject) already told that this object was escalated to them — by
 * our own timer or by the producing service's deadline.
 */
export async function escalatedPeople(
  tx: EntityManager,
  objectType: string,
  objectId: string,
): Promise<Array<{ organisationId: string; userId: string }>> {
  const rows = (await tx.query(
    `SELECT DISTINCT user_organisation_id, user_id FROM ${tx.getRepository(NotificationEntity).metadata.tablePath}
      WHERE object_type = $1 AND object_id = $2 AND kind = ANY($3::text[])`,
    [objectType, objectId, ESCALATION_KINDS],
  )) as Array<{ user_organisation_id: string; user_id: string }>;
  return rows.map((r) => ({ organisationId: r.user_organisation_id, userId: r.user_id }));
}
