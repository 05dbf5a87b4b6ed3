import type { DataSource } from 'typeorm';
import {
  ReferralBoxCountEntity,
  ReferralStatisticsAcknowledgementEntity,
  ReferralStatisticsMonthEntity,
} from '../entities';

/**
 * The append-only counters of migration 1797053000000-ReferralRollups (box counts, the monthly
 * statistics and their acknowledgement histogram): each change adds rows of +n/−n and readers sum
 * a key's rows. Compacting folds each key's rows into one (none when they add up to nothing).
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
        const key = c.key.map((k) => `t.${k}`).join(', ');
        const positions = c.key.map((_k, i) => String(i + 1)).join(', ');
        // The rows of the keys that have more than one (or add up to nothing)…
        const ids = (
          (await dataSource.query(
            `SELECT t.id FROM ${c.table} t
              WHERE (${key}) IN (SELECT ${key} FROM ${c.table} t GROUP BY ${positions}
                                 HAVING count(*) > 1 OR sum(t.n) = 0)`,
            [],
          )) as Array<{ id: string }>
        ).map((r) => r.id);
        if (ids.length === 0) {
          continue;
        }
        // …deleted and summed in one statement; a row another compaction deleted first is not
        // returned here, so nothing is summed twice.
        const [row] = (await dataSource.query(
          `WITH gone AS (
             DELETE FROM ${c.table} t WHERE t.id = ANY ($1::bigint[])
             RETURNING ${key}, ${c.sums.map((s) => `t.${s}`).join(', ')}
           ), summed AS (
             INSERT INTO ${c.table} (${c.key.join(', ')}, ${c.sums.join(', ')})
             SELECT ${c.key.map((k) => `g.${k}`).join(', ')}, ${c.sums.map((s) => `sum(g.${s})`).join(', ')}
               FROM gone g GROUP BY ${positions} HAVING sum(g.n) <> 0
             RETURNING 1
           )
           SELECT (SELECT count(*) FROM gone)::int - (SELECT count(*) FROM summed)::int AS removed`,
          [ids],
        )) as Array<{ removed: number }>;
        removed += row?.removed ?? 0;
      }
      return removed;
    },
  };
}

export type RollupsRepository = ReturnType<typeof createRollupsRepository>;
