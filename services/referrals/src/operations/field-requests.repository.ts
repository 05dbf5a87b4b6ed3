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

/** What a new field request is given; the rest of its row is where every one starts. */
export type NewFieldRequest = Omit<
  FieldRequestEntity,
  | 'status'
  | 'claimedBy'
  | 'claimedByUnitId'
  | 'claimedAt'
  | 'enRouteAt'
  | 'onSiteAt'
  | 'completedAt'
  | 'cancelledAt'
  | 'escalatedAt'
  | 'version'
  | 'createdAt'
  | 'updatedAt'
>;

/**
 * A new field request: open, claimed by nobody, nothing of its course yet, at version 1. Answers
 * it as stored (with its creation time).
 */
export async function insertFieldRequest(
  tx: EntityManager,
  request: NewFieldRequest,
): Promise<FieldRequestEntity> {
  const row: Omit<FieldRequestEntity, 'createdAt' | 'updatedAt'> = {
    ...request,
    status: 'open',
    claimedBy: null,
    claimedByUnitId: null,
    claimedAt: null,
    enRouteAt: null,
    onSiteAt: null,
    completedAt: null,
    cancelledAt: null,
    escalatedAt: null,
    version: 1,
  };
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
