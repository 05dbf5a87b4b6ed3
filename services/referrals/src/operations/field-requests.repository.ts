import { type EntityManager } from 'typeorm';
import { FieldRequestEntity } from '../entities';

/**
 * Field requests: the only place their SQL lives (issue 15). Functions take the manager to run on
 * (a transaction's inside one). Covered by test/migrations.test.ts (describeRepositorySync).
 */

/** The field request, or null. */
export function findFieldRequest(
  db: EntityManager,
  id: string,
): Promise<FieldRequestEntity | null> {
  return db.findOneBy(FieldRequestEntity, { id });
}

/** The field request as `tx` sees it. */
export function fieldRequestOf(tx: EntityManager, id: string): Promise<FieldRequestEntity> {
  return tx.findOneByOrFail(FieldRequestEntity, { id });
}

/** The field request, locked for the rest of `tx`. */
export function lockFieldRequest(tx: EntityManager, id: string): Promise<FieldRequestEntity> {
  return tx.findOneOrFail(FieldRequestEntity, {
    where: { id },
    lock: { mode: 'pessimistic_write' },
  });
}

/** An operation's field requests, newest first, at most `limit`. */
export function latestFieldRequests(
  db: EntityManager,
  operationId: string,
  limit: number,
): Promise<FieldRequestEntity[]> {
  return db.find(FieldRequestEntity, {
    where: { operationId },
    order: { createdAt: 'DESC', id: 'ASC' },
    take: limit,
  });
}

/** Every field request of an operation (for its report). */
export function fieldRequestsOf(
  db: EntityManager,
  operationId: string,
): Promise<FieldRequestEntity[]> {
  return db.findBy(FieldRequestEntity, { operationId });
}

export function fieldRequestExists(tx: EntityManager, id: string): Promise<boolean> {
  return tx.existsBy(FieldRequestEntity, { id });
}

/** A new field request; answers it as stored (with its creation time). */
export async function insertFieldRequest(
  tx: EntityManager,
  row: Omit<FieldRequestEntity, 'createdAt' | 'updatedAt'>,
): Promise<FieldRequestEntity> {
  await tx.insert(FieldRequestEntity, row as never);
  return tx.findOneByOrFail(FieldRequestEntity, { id: row.id });
}

/**
 * Claims the request if it is still open — one conditional UPDATE, so exactly one of concurrent
 * claimers wins (the others queue on the row lock and then match nothing). Whether it applied.
 */
export async function claimIfOpen(
  tx: EntityManager,
  id: string,
  claim: { claimedBy: string; claimedByUnitId: string; claimedAt: Date },
): Promise<boolean> {
  const claimed = await tx
    .createQueryBuilder()
    .update(FieldRequestEntity)
    .set({ status: 'claimed', ...claim, version: () => 'version + 1' })
    .where("id = :id AND status = 'open'", { id })
    .execute();
  return (claimed.affected ?? 0) > 0;
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

/** Writes the request's changed state (status, times, escalation, version). */
export async function saveFieldRequest(tx: EntityManager, row: FieldRequestEntity): Promise<void> {
  await tx.save(FieldRequestEntity, row);
}
