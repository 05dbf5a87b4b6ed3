import { type EntityManager } from 'typeorm';
import {
  FieldRequestEntity,
  OperationEntity,
  OperationParticipantEntity,
  OperationShiftEntity,
} from '../entities';

/** The operation's participants as `tx` sees them. */
export function participantsOf(tx: EntityManager, operationId: string) {
  return tx.findBy(OperationParticipantEntity, { operationId });
}

/** The operation, locked for the rest of `tx`. */
export function lockOperation(tx: EntityManager, id: string) {
  return tx.findOneOrFail(OperationEntity, { where: { id }, lock: { mode: 'pessimistic_write' } });
}

/** The field request, locked for the rest of `tx`. */
export function lockFieldRequest(tx: EntityManager, id: string) {
  return tx.findOneOrFail(FieldRequestEntity, {
    where: { id },
    lock: { mode: 'pessimistic_write' },
  });
}

/** Members on an operation shift at `at` (optionally only at some units). */
export async function onShiftNow(
  manager: EntityManager,
  operationId: string,
  at: Date,
  unitIds?: string[],
): Promise<OperationShiftEntity[]> {
  if (unitIds?.length === 0) {
    return [];
  }
  const qb = manager
    .getRepository(OperationShiftEntity)
    .createQueryBuilder('s')
    .where('s.operation_id = :operationId AND s.removed_at IS NULL', { operationId })
    .andWhere('s.starts_at <= :at AND s.ends_at > :at', { at })
    .orderBy('s.unit_id')
    .addOrderBy('s.user_id');
  if (unitIds) {
    qb.andWhere('s.unit_id IN (:...unitIds)', { unitIds });
  }
  return qb.getMany();
}

/** The operation as `tx` sees it. */
export function operationOf(tx: EntityManager, id: string): Promise<OperationEntity> {
  return tx.findOneByOrFail(OperationEntity, { id });
}

/**
 * The open field request whose claim deadline passed longest ago and that has not been
 * escalated, locked for `tx`; other replicas skip it (SKIP LOCKED).
 */
export function claimUnclaimedFieldRequest(
  tx: EntityManager,
  now: Date,
): Promise<FieldRequestEntity | null> {
  return tx
    .getRepository(FieldRequestEntity)
    .createQueryBuilder('f')
    .setLock('pessimistic_write')
    .setOnLocked('skip_locked')
    .where("f.status = 'open' AND f.escalated_at IS NULL AND f.claim_by <= :now", { now })
    .orderBy('f.claim_by', 'ASC')
    .take(1)
    .getOne();
}

export async function saveFieldRequest(tx: EntityManager, row: FieldRequestEntity): Promise<void> {
  await tx.save(FieldRequestEntity, row);
}

/**
 * The operations a caller may see, newest first (at most 500): the same rule as
 * `accessTo()` in access.ts, as SQL.
 */
export async function visibleOperationIds(
  manager: EntityManager,
  who: {
    /** the caller's acting units */
    units: string[];
    organisationId: string | null;
    officer: boolean;
    orgAdmin: boolean;
    status: string | null;
  },
): Promise<string[]> {
  const table = manager.getRepository(OperationEntity).metadata.tablePath;
  const parts = manager.getRepository(OperationParticipantEntity).metadata.tablePath;
  const rows = (await manager.query(
    `SELECT o.id FROM ${table} o
      WHERE ($5::text IS NULL OR o.status = $5)
        AND (o.organiser_unit_id = ANY($1::uuid[]) OR o.coordinator_unit_id = ANY($1::uuid[])
          OR ($3 AND cardinality($1::uuid[]) > 0 AND o.organiser_organisation_id::text = $2)
          OR ($4 AND o.organiser_organisation_id::text = $2)
          OR EXISTS (SELECT 1 FROM ${parts} p WHERE p.operation_id = o.id
                       AND (p.unit_id = ANY($1::uuid[]) OR ($4 AND p.organisation_id::text = $2))))
      ORDER BY o.starts_at DESC, o.id LIMIT 500`,
    [who.units, who.organisationId, who.officer, who.orgAdmin, who.status],
  )) as Array<{ id: string }>;
  return rows.map((r) => r.id);
}
