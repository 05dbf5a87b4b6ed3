import type { DataSource } from 'typeorm';
import {
  EncounterTallyEntity,
  FieldRequestEntity,
  OperationEntity,
  ReferralEntity,
  ReferralStatisticsAcknowledgementEntity,
  ReferralStatisticsMonthEntity,
} from '../entities';
import {
  cellsParams,
  DIMENSION_SQL,
  liveReferralsSql,
  MEDIAN_OF_RUNNING_SQL,
  periodPlan,
  queryCells,
  ROLLUP_WHERE_SQL,
  STATISTICS_TIME_ZONE,
  type StatisticsCell,
  type StatisticsDimension,
} from '../services/statistics.repository';

/**
 * The county mapping report's storage (docs/statistics.md): the statistics' cells of several
 * groupings in one statement, and the operation weeks of a county with their field requests and
 * tallies.
 */
export function createMappingReportRepository(dataSource: DataSource) {
  const table = (entity: Parameters<DataSource['getRepository']>[0]) =>
    dataSource.getRepository(entity).metadata.tablePath;
  const referrals = table(ReferralEntity);
  const months = table(ReferralStatisticsMonthEntity);
  const acks = table(ReferralStatisticsAcknowledgementEntity);

  return {
    /**
     * The cells of each grouping in `sets`, for the referrals sent in [from, to] (whole Swedish
     * days), as `StatisticsRepository.cells` counts each grouping on its own — the same whole
     * months from the rollup, the same partial months from the referrals, the same medians and
     * at most `limit` cells per grouping — but in one statement (GROUPING SETS), so the rollup
     * and the partial months are read once for all of them.
     */
    async cellsBySets(query: {
      sets: StatisticsDimension[][];
      from: string;
      to: string;
      municipalities: string[];
      secret: string;
      limit: number;
    }): Promise<StatisticsCell[][]> {
      const dimensions = [...new Set(query.sets.flat())];
      const plan = periodPlan(query.from, query.to, query.to);
      const names = dimensions.map((_d, i) => `d${i}`);
      const list = names.join(', ');
      const dims = (side: 'referral' | 'rollup') =>
        dimensions.map((d, i) => `${DIMENSION_SQL[d][side]} AS d${i}`).join(', ');
      const nameOf = (d: StatisticsDimension) => names[dimensions.indexOf(d)]!;
      const sets = (extra: string[]) =>
        query.sets.map((s) => `(${[...s.map(nameOf), ...extra].join(', ')})`).join(', ');
      /** GROUPING(d0, …, dn) has bit n − k set when dk is not in the grouping. */
      const bit = (k: number) => 1 << (names.length - 1 - k);
      const setMask = (s: StatisticsDimension[]) =>
        names.reduce((mask, _n, k) => (s.includes(dimensions[k]!) ? mask : mask | bit(k)), 0);
      // As in StatisticsRepository.cells: a cell's median joins its counts on equal keys, so a
      // key that is null in a grouping's own dimension has no median there either.
      const sameCell = names
        .map((n, k) => `((c.g & ${bit(k)}) <> 0 OR md.${n} = c.${n})`)
        .join(' AND ');
      const sql = `
        WITH live AS MATERIALIZED (${liveReferralsSql(referrals, dims('referral'))}), counted AS (
          SELECT GROUPING(${list}) AS g, ${list}, sum(x.n)::int AS n,
                 sum(x.keysum)::text AS keysum, sum(x.acknowledged)::int AS acknowledged
            FROM (
              SELECT ${dims('rollup')}, m.n, m.keysum, m.acknowledged
                FROM ${months} m WHERE ${ROLLUP_WHERE_SQL}
              UNION ALL
              SELECT ${list}, l.sign, l.record_key, CASE WHEN l.tenths IS NULL THEN 0 ELSE l.sign END
                FROM live l
            ) x
           GROUP BY GROUPING SETS (${sets([])})
          HAVING sum(x.n) > 0
        ), ranked AS (
          SELECT c.*, row_number() OVER (PARTITION BY c.g ORDER BY ${list}) AS rank
            FROM counted c
        ), histogram AS (
          SELECT GROUPING(${list}) AS g, ${list}, h.tenths, sum(h.n) AS n
            FROM (
              SELECT ${dims('rollup')}, m.minutes_tenths AS tenths, m.n
                FROM ${acks} m WHERE ${ROLLUP_WHERE_SQL}
              UNION ALL
              SELECT ${list}, l.tenths, l.sign FROM live l WHERE l.tenths IS NOT NULL
            ) h
           GROUP BY GROUPING SETS (${sets(['tenths'])})
          HAVING sum(h.n) > 0
        ), running AS (
          SELECT h.g, ${list}, h.tenths,
                 sum(h.n) OVER (PARTITION BY h.g, ${list} ORDER BY h.tenths) AS below,
                 sum(h.n) OVER (PARTITION BY h.g, ${list}) AS total
            FROM histogram h
        ), medians AS (
          -- percentile_cont(0.5): the middle value, or the mean of the two middle values
          SELECT u.g, ${list},
                 ${MEDIAN_OF_RUNNING_SQL} AS median
            FROM running u
           GROUP BY u.g, ${list}
        )
        SELECT c.g, ${names.map((n) => `c.${n}`).join(', ')}, c.n, c.keysum, c.acknowledged,
               md.median::float8 AS median
          FROM ranked c LEFT JOIN medians md ON md.g = c.g AND ${sameCell}
         WHERE c.rank <= ${Number(query.limit)}
         ORDER BY c.g, ${names.map((n) => `c.${n}`).join(', ')}`;
      const rows = await queryCells(dataSource, sql, cellsParams(plan, query));
      return query.sets.map((set) => {
        const mask = setMask(set);
        return rows
          .filter((row) => Number(row.g) === mask)
          .map((row) => ({
            key: set.map((d) => String(row[nameOf(d)])),
            n: Number(row.n),
            keysum: BigInt(String(row.keysum)),
            acknowledged: Number(row.acknowledged),
            medianMinutes: row.median === null ? null : Number(row.median),
          }));
      });
    },

    /**
     * The operation weeks in the municipalities `codes` that overlap the Swedish days [from, to]
     * (not cancelled), oldest first, with their field requests and encounter tallies.
     */
    async operationsInCounty(codes: string[], from: string, to: string) {
      const lower = `((:from::date)::timestamp AT TIME ZONE '${STATISTICS_TIME_ZONE}')`;
      const upper = `(((:to::date) + 1)::timestamp AT TIME ZONE '${STATISTICS_TIME_ZONE}')`;
      const operations = await dataSource
        .getRepository(OperationEntity)
        .createQueryBuilder('o')
        .where('o.municipality_codes && :codes', { codes })
        .andWhere(`o.starts_at < ${upper}`, { to })
        .andWhere(`o.ends_at >= ${lower}`, { from })
        .andWhere("o.status <> 'cancelled'")
        .orderBy('o.starts_at', 'ASC')
        .addOrderBy('o.id', 'ASC')
        .getMany();
      const ids = operations.map((o) => o.id);
      if (ids.length === 0) {
        return { operations, requests: [], tallies: [] };
      }
      // One after the other: the embedded PGlite serves one statement at a time anyway.
      const requests = await dataSource
        .getRepository(FieldRequestEntity)
        .createQueryBuilder('f')
        .where('f.operation_id IN (:...ids)', { ids })
        .getMany();
      const tallies = await dataSource
        .getRepository(EncounterTallyEntity)
        .createQueryBuilder('t')
        .where('t.operation_id IN (:...ids)', { ids })
        .getMany();
      return { operations, requests, tallies };
    },
  };
}

export type MappingReportRepository = ReturnType<typeof createMappingReportRepository>;
