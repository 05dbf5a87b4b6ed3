/**
 * Disclosure control by the cell key method (docs/architecture.md#statistics), as national statistics offices use it
 * (the Australian Bureau of Statistics' TableBuilder, Destatis' and Eurostat's census tables):
 *
 * - Every referral has a record key: a whole number in [0, 2^32), fixed for ever, derived from its
 *   id and a secret of the deployment (the first 32 bits of md5(secret ∥ id)). The hub keeps
 *   referral ids and their metadata after a purge, so a record key never changes.
 * - A cell's key is the sum of its records' keys modulo 2^32, divided by 2^32: a number in [0, 1)
 *   that depends only on which referrals are in the cell. The same cell, however it is reached
 *   (any query, grouping or filter that selects the same referrals), gets the same key and so the
 *   same perturbation: asking again, or asking around, averages nothing away.
 * - The perturbation table maps the cell key to a deviation of −2…+2 (unbiased: 10 % −2, 20 % −1,
 *   40 % 0, 20 % +1, 10 % +2). A cell of fewer than 5 referrals is never published as a number;
 *   nor is a cell whose perturbed value falls under 5: both show as `"<5"`.
 *
 * Differencing two answers (a total minus a part) gives the difference of two perturbed values:
 * the true difference is anywhere within ±4 of it, so a cell under 5 cannot be worked out. The
 * parameters are public (openapi/referrals.yaml); only the secret is not.
 */

export const CELL_KEY_THRESHOLD = 5;
export const CELL_KEY_MODULUS = 2 ** 32;

/** Upper bounds of the cell key (exclusive) and the deviation below each: cumulative 10/30/70/90/100 %. */
export const PERTURBATION_TABLE: ReadonlyArray<{ below: number; deviation: number }> = [
  { below: 0.1, deviation: -2 },
  { below: 0.3, deviation: -1 },
  { below: 0.7, deviation: 0 },
  { below: 0.9, deviation: 1 },
  { below: 1, deviation: 2 },
];

export const MAX_DEVIATION = 2;

export type PerturbedCount = number | `<${number}`;

/** The cell key in [0, 1) from the sum of the cell's record keys (any size). */
export function cellKeyOf(recordKeySum: bigint): number {
  const m = BigInt(CELL_KEY_MODULUS);
  return Number(((recordKeySum % m) + m) % m) / CELL_KEY_MODULUS;
}

export function deviationFor(cellKey: number): number {
  if (!(cellKey >= 0 && cellKey < 1)) {
    throw new RangeError(`a cell key is in [0, 1), not ${cellKey}`);
  }
  return PERTURBATION_TABLE.find((row) => cellKey < row.below)!.deviation;
}

/** What is published for a cell of `count` referrals with the given cell key. */
export function perturbCount(
  count: number,
  cellKey: number,
  threshold: number = CELL_KEY_THRESHOLD,
): PerturbedCount {
  if (!Number.isInteger(count) || count < 0) {
    throw new RangeError(`count must be a whole number of at least 0, not ${count}`);
  }
  if (count < threshold) {
    return `<${threshold}`;
  }
  const published = count + deviationFor(cellKey);
  return published < threshold ? `<${threshold}` : published;
}

/**
 * What someone who knows the method and its table (but not the secret) can say about a cell's true
 * count from its published value: the whole numbers it may be.
 */
export function possibleTrueCounts(
  published: PerturbedCount,
  threshold: number = CELL_KEY_THRESHOLD,
): { min: number; max: number } {
  if (typeof published === 'number') {
    return { min: Math.max(threshold, published - MAX_DEVIATION), max: published + MAX_DEVIATION };
  }
  // Under the threshold, or a cell of up to threshold − 1 + MAX_DEVIATION perturbed below it.
  return { min: 1, max: threshold - 1 + MAX_DEVIATION };
}
