/**
 * Small-cell suppression for aggregate statistics (docs/architecture.md#statistics).
 *
 * Primary suppression: a cell counting fewer than `threshold` referrals shows `"<5"` (for the
 * default threshold) and no median: a median of a handful of acknowledgement times, next to a
 * known count, can point at one case. Zero counts are suppressed too, so that "<5" does not
 * narrow to 1–4.
 *
 * Totals: none are returned, neither overall nor per group, and callers must not add them. A
 * total next to a group with a single suppressed cell gives that cell away by subtraction.
 *
 * Complementary (secondary) suppression: a coarser query (say by month instead of by month and
 * category) is a total in disguise. When the endpoint lets a caller choose the grouping, pass
 * `groupOf` (the key without its finest dimension): in every group with a suppressed cell, the
 * smallest visible cells are suppressed as well ("suppressed") until at least two cells are hidden
 * and the hidden cells sum to at least the threshold, so no hidden cell can be derived exactly
 * or narrowed to below the threshold. This protects one marginal; a table that can be summed
 * along several dimensions needs a fixed set of published groupings, not more ad hoc passes. A
 * group that is a single suppressed cell cannot be protected inside itself: its marginal must be
 * suppressed in the coarser query, which this same rule does when that query is run.
 *
 * Counts are of referrals, not people: one person may be behind several referrals, which makes
 * the threshold a floor, not a guarantee.
 */

export const SMALL_CELL_THRESHOLD = 5;

export interface StatisticsRow<K> {
  key: K;
  count: number;
  medianMinutesToAcknowledge: number | null;
  /** how many referrals the median is over, when fewer than `count` were acknowledged */
  acknowledgedCount?: number;
}

/** `"<5"` for a small cell, `"suppressed"` for a cell hidden to protect one. */
export type PublishedCount = number | `<${number}` | 'suppressed';

export interface PublishedRow<K> {
  key: K;
  count: PublishedCount;
  medianMinutesToAcknowledge: number | null;
}

export interface SuppressionOptions<K> {
  /** the group a cell belongs to for complementary suppression; omit for none */
  groupOf?: (key: K) => string;
}

export function suppressSmallCells<K>(
  rows: readonly StatisticsRow<K>[],
  threshold: number = SMALL_CELL_THRESHOLD,
  options: SuppressionOptions<K> = {},
): PublishedRow<K>[] {
  if (!Number.isInteger(threshold) || threshold < 1) {
    throw new RangeError(`threshold must be a whole number of at least 1, not ${threshold}`);
  }
  for (const row of rows) {
    if (!Number.isInteger(row.count) || row.count < 0) {
      throw new RangeError(`count must be a whole number of at least 0, not ${row.count}`);
    }
  }

  const hidden = new Set<number>(); // indexes of primary suppressed cells
  const complementary = new Set<number>();
  rows.forEach((row, i) => {
    if (row.count < threshold) {
      hidden.add(i);
    }
  });

  const { groupOf } = options;
  if (groupOf) {
    const groups = new Map<string, Array<{ i: number; count: number }>>();
    rows.forEach((row, i) => {
      const group = groupOf(row.key);
      groups.set(group, [...(groups.get(group) ?? []), { i, count: row.count }]);
    });
    for (const members of groups.values()) {
      const isHidden = (m: { i: number }) => hidden.has(m.i) || complementary.has(m.i);
      if (!members.some(isHidden)) {
        continue;
      }
      // smallest first, then input order, so that the result is deterministic
      const visible = members
        .filter((m) => !isHidden(m))
        .sort((a, b) => a.count - b.count || a.i - b.i);
      const hiddenCells = () => members.filter(isHidden);
      const hiddenSum = () => hiddenCells().reduce((sum, m) => sum + m.count, 0);
      for (const next of visible) {
        if (hiddenCells().length >= 2 && hiddenSum() >= threshold) {
          break;
        }
        complementary.add(next.i);
      }
    }
  }

  return rows.map((row, i) => {
    if (hidden.has(i)) {
      return { key: row.key, count: `<${threshold}` as const, medianMinutesToAcknowledge: null };
    }
    if (complementary.has(i)) {
      return { key: row.key, count: 'suppressed' as const, medianMinutesToAcknowledge: null };
    }
    const medianOver = row.acknowledgedCount ?? row.count;
    return {
      key: row.key,
      count: row.count,
      medianMinutesToAcknowledge: medianOver < threshold ? null : row.medianMinutesToAcknowledge,
    };
  });
}
