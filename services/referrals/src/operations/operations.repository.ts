import { In, IsNull, type EntityManager } from 'typeorm';
import { OperationEntity, OperationParticipantEntity, OperationShiftEntity } from '../entities';

/**
 * Operations, their participants and shifts: the only place their SQL lives (issue 15). Each
 * function takes the manager to run on — a transaction's inside one (`transact`), the data
 * source's otherwise — so that on the embedded PGlite nothing reads on another connection while a
 * transaction is open. Covered by test/migrations.test.ts (describeRepositorySync).
 */

/** The operation, or null. */
export function findOperation(db: EntityManager, id: string): Promise<OperationEntity | null> {
  return db.findOneBy(OperationEntity, { id });
}

/** The operation as `tx` sees it. */
export function operationOf(tx: EntityManager, id: string): Promise<OperationEntity> {
  return tx.findOneByOrFail(OperationEntity, { id });
}

/** The operation, locked for the rest of `tx`. */
export function lockOperation(tx: EntityManager, id: string): Promise<OperationEntity> {
  return tx.findOneOrFail(OperationEntity, { where: { id }, lock: { mode: 'pessimistic_write' } });
}

/** The operations with these ids (in no particular order). */
export function operationsByIds(db: EntityManager, ids: string[]): Promise<OperationEntity[]> {
  return ids.length ? db.findBy(OperationEntity, { id: In(ids) }) : Promise.resolve([]);
}

/** The newest operations (by start), at most `limit`. */
export function latestOperations(db: EntityManager, limit: number): Promise<OperationEntity[]> {
  return db.find(OperationEntity, { order: { startsAt: 'DESC', id: 'ASC' }, take: limit });
}

/** A new operation (version 1); answers it as stored (with its creation time). */
export async function insertOperation(
  tx: EntityManager,
  op: Omit<OperationEntity, 'createdAt' | 'updatedAt'>,
): Promise<OperationEntity> {
  await tx.insert(OperationEntity, op as never);
  return tx.findOneByOrFail(OperationEntity, { id: op.id });
}

/** Writes the operation's changed state (status, times, version). */
export async function saveOperation(tx: EntityManager, op: OperationEntity): Promise<void> {
  await tx.save(OperationEntity, op);
}

/** The operation's participants as `tx` sees them. */
export function participantsOf(
  tx: EntityManager,
  operationId: string,
): Promise<OperationParticipantEntity[]> {
  return tx.findBy(OperationParticipantEntity, { operationId });
}

/** The participants of several operations. */
export function participantsOfOperations(
  db: EntityManager,
  operationIds: string[],
): Promise<OperationParticipantEntity[]> {
  return operationIds.length
    ? db.findBy(OperationParticipantEntity, { operationId: In(operationIds) })
    : Promise.resolve([]);
}

/** The units that accepted taking part. */
export function acceptedParticipants(
  tx: EntityManager,
  operationId: string,
): Promise<OperationParticipantEntity[]> {
  return tx.findBy(OperationParticipantEntity, { operationId, status: 'accepted' });
}

/** One unit's participation, as `tx` sees it. */
export function participantOf(
  tx: EntityManager,
  operationId: string,
  unitId: string,
): Promise<OperationParticipantEntity> {
  return tx.findOneByOrFail(OperationParticipantEntity, { operationId, unitId });
}

/** Invited units (status 'invited'). */
export async function insertParticipants(
  tx: EntityManager,
  rows: OperationParticipantEntity[],
): Promise<void> {
  if (rows.length) {
    await tx.insert(OperationParticipantEntity, rows);
  }
}

/** Writes a participation's answer. */
export async function saveParticipant(
  tx: EntityManager,
  row: OperationParticipantEntity,
): Promise<void> {
  await tx.save(OperationParticipantEntity, row);
}

/** Every shift of the operation (removed ones too), earliest first. */
export function shiftsOf(db: EntityManager, operationId: string): Promise<OperationShiftEntity[]> {
  return db.find(OperationShiftEntity, {
    where: { operationId },
    order: { startsAt: 'ASC', id: 'ASC' },
  });
}

/** The shifts that count (not removed). */
export function currentShiftsOf(
  db: EntityManager,
  operationId: string,
): Promise<OperationShiftEntity[]> {
  return db.findBy(OperationShiftEntity, { operationId, removedAt: IsNull() });
}

/** A shift of the operation, or null. */
export function findShift(
  db: EntityManager,
  operationId: string,
  shiftId: string,
): Promise<OperationShiftEntity | null> {
  return db.findOneBy(OperationShiftEntity, { id: shiftId, operationId });
}

/** The shift, locked for the rest of `tx`. */
export function lockShift(tx: EntityManager, shiftId: string): Promise<OperationShiftEntity> {
  return tx.findOneOrFail(OperationShiftEntity, {
    where: { id: shiftId },
    lock: { mode: 'pessimistic_write' },
  });
}

/** A new shift; answers it as stored (with its creation time). */
export async function insertShift(
  tx: EntityManager,
  row: Omit<OperationShiftEntity, 'createdAt'>,
): Promise<OperationShiftEntity> {
  await tx.insert(OperationShiftEntity, row as never);
  return tx.findOneByOrFail(OperationShiftEntity, { id: row.id });
}

/** Writes the shift's removal. */
export async function saveShift(tx: EntityManager, row: OperationShiftEntity): Promise<void> {
  await tx.save(OperationShiftEntity, row);
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
