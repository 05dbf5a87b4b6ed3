import { type EntityManager } from 'typeorm';
import { EncounterTallyEntity, ReferralEntity } from '../entities';

/**
 * Encounter tallies and the referrals they link: the only place their SQL lives (issue 15).
 * Covered by test/migrations.test.ts (describeRepositorySync).
 */

/** The tally of a field request, or null. */
export function tallyOf(db: EntityManager, fieldRequestId: string) {
  return db.findOneBy(EncounterTallyEntity, { fieldRequestId });
}

/** Every tally of an operation (for its report). */
export function talliesOf(db: EntityManager, operationId: string) {
  return db.findBy(EncounterTallyEntity, { operationId });
}

export function tallyExists(tx: EntityManager, fieldRequestId: string): Promise<boolean> {
  return tx.existsBy(EncounterTallyEntity, { fieldRequestId });
}

/** A new tally; answers it as stored (with its recording time). */
export async function insertTally(
  tx: EntityManager,
  row: Omit<EncounterTallyEntity, 'recordedAt'>,
): Promise<EncounterTallyEntity> {
  await tx.insert(EncounterTallyEntity, row);
  return tx.findOneByOrFail(EncounterTallyEntity, { fieldRequestId: row.fieldRequestId });
}

/** A referral the tally links, locked for the rest of `tx`, or null. */
export function lockReferral(tx: EntityManager, id: string): Promise<ReferralEntity | null> {
  return tx.findOne(ReferralEntity, { where: { id }, lock: { mode: 'pessimistic_write' } });
}

/** Links a referral to the operation and field request the tally records. */
export async function linkReferral(
  tx: EntityManager,
  referralId: string,
  link: { operationId: string; fieldRequestId: string },
): Promise<void> {
  await tx.update(ReferralEntity, { id: referralId }, link);
}
