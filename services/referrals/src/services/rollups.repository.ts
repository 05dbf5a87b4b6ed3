import type { DataSource } from 'typeorm';
import {
  ReferralBoxCountEntity,
  ReferralStatisticsAcknowledgementEntity,
  ReferralStatisticsMonthEntity,
} from '../entities';

/**
 * The append-only counters of migration 1797053000000-ReferralRollups (box counts, the monthly
 * statistics and their acknowledgement histogram): each change adds rows of +n/−n and readers sum
 * a key's rows. Compacting folds each key's rows into one (none when every sum is zero: a key
 * whose count adds up to nothing may still carry a record-key sum, when one change moved one
 * referral out of the cell and another in).
 *
 * Exact while writers and other replicas' compactions run: one statement deletes a key's rows
 * and inserts their sum, so a reader's snapshot holds either the rows or the sum; rows another
 * compaction already deleted are skipped (and so not summed twice); rows added meanwhile stay.
 */
export function createRollupsRepository(dataSource: DataSource) {
  const table = (entity: new () => unknown) => dataSource.getRepository(entity).metadata.tablePath;
  const compactions = [
    {
      table: table(ReferralBoxCountEntity),
      key: ['unit_id', 'box', 'status', 'urgency'],
      sums: ['n'],
    },
    {
      table: table(ReferralStatisticsMonthEntity),
      key: [
        'month',
        'category',
        'gender',
        'age_band',
        'citizenship_group',
        'outcome',
        'municipality_code',
      ],
      sums: ['n', 'keysum', 'acknowledged'],
    },
    {
      table: table(ReferralStatisticsAcknowledgementEntity),
      key: [
        'month',
        'category',
        'gender',
        'age_band',
        'citizenship_group',
        'outcome',
        'municipality_code',
        'minutes_tenths',
      ],
      sums: ['n'],
    },
  ];

  return {
    /** Folds every key's rows into one; answers how many rows it removed. */
    async compact(): Promise<number> {
      let removed = 0;
      for (const c of compactions) {
        const positions = c.key.map((_k, i) => String(i + 1)).join(', ');
        const keys = c.key.join(', ');
        const anySum = (alias: string) => c.sums.map((s) => `sum(${alias}.${s}) <> 0`).join(' OR ');
        // One statement: the keys that have more than one row (or rows that add up to nothing),
        // their rows deleted and summed into one. A row another compaction deleted first is
        // skipped by the DELETE (and so not summed twice); rows added meanwhile stay.
        const [row] = (await dataSource.query(
          `WITH folded AS (
             SELECT ${keys} FROM ${c.table} r GROUP BY ${positions}
             HAVING count(*) > 1 OR NOT (${anySum('r')})
           ), gone AS (
             DELETE FROM ${c.table} t USING folded f
              WHERE ${c.key.map((k) => `t.${k} = f.${k}`).join(' AND ')}
             RETURNING ${c.key.map((k) => `t.${k}`).join(', ')}, ${c.sums.map((s) => `t.${s}`).join(', ')}
           ), summed AS (
             INSERT INTO ${c.table} (${keys}, ${c.sums.join(', ')})
             SELECT ${c.key.map((k) => `g.${k}`).join(', ')}, ${c.sums.map((s) => `sum(g.${s})`).join(', ')}
               FROM gone g GROUP BY ${positions} HAVING ${anySum('g')}
             RETURNING 1
           )
           SELECT (SELECT count(*) FROM gone)::int - (SELECT count(*) FROM summed)::int AS removed`,
        )) as Array<{ removed: number }>;
        removed += row?.removed ?? 0;
      }
      return removed;
    },
  };
}

export type RollupsRepository = ReturnType<typeof createRollupsRepository>;
