import { createHash } from 'node:crypto';
import { cellKeyOf, perturbCount, type PerturbedCount } from './cell-key';

/**
 * The cell key method (cell-key.ts) for counts of people from encounter tallies, which are
 * numbers, not records. Each person a tally counts becomes a record with a fixed key: the first
 * 32 bits of md5(secret ∥ field request id ∥ ":" ∥ what is counted ∥ ":" ∥ i) for the i-th of
 * them. A published cell sums the keys of the people in it, so the same people always get the
 * same perturbation, in an operation's report and in the county mapping report alike, however
 * the cell was reached: one report cannot be subtracted from the other into a small cell.
 *
 * A referral created from a field request counts with the record key the referral statistics use
 * (md5(secret ∥ referral id)), so "referrals created" agrees with those statistics as well.
 */

export interface TallyContribution {
  fieldRequestId: string;
  /** what is counted, e.g. `people:female/adult/eu` or `buyersMet` */
  label: string;
  count: number;
}

const md5Key = (text: string) =>
  BigInt(`0x${createHash('md5').update(text).digest('hex').slice(0, 8)}`);

/** The record key of a referral, equal to the SQL of `recordKeySql` in the statistics. */
export function referralRecordKey(secret: string, referralId: string): bigint {
  return md5Key(secret + referralId);
}

export function tallyRecordKeySum(secret: string, c: TallyContribution): bigint {
  let sum = 0n;
  for (let i = 0; i < c.count; i += 1) {
    sum += md5Key(`${secret}${c.fieldRequestId}:${c.label}:${i}`);
  }
  return sum;
}

/** Publishes a cell made of these contributions (and these referrals). */
export function protectedCount(
  secret: string,
  contributions: readonly TallyContribution[],
  referralIds: readonly string[] = [],
): PerturbedCount {
  let count = 0;
  let keySum = 0n;
  for (const c of contributions) {
    count += c.count;
    keySum += tallyRecordKeySum(secret, c);
  }
  for (const id of referralIds) {
    count += 1;
    keySum += referralRecordKey(secret, id);
  }
  return perturbCount(count, cellKeyOf(keySum));
}

/** The label of a people-met group: one group of a tally (gender, age band, citizenship group). */
export const peopleLabel = (cell: { gender: string; ageBand: string; citizenshipGroup: string }) =>
  `people:${cell.gender}/${cell.ageBand}/${cell.citizenshipGroup}`;
