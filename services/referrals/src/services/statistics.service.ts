import { CommonProblems, hasRole, ProblemError, type Principal } from '@samverkan/shared';
import { ReferralEntity } from '../entities';
import {
  CELL_KEY_THRESHOLD,
  cellKeyOf,
  MAX_DEVIATION,
  perturbCount,
  PERTURBATION_TABLE,
} from '../domain/cell-key';
import { deny, type ReferralsContext } from './context';

export const STATISTICS_DIMENSIONS = [
  'month',
  'category',
  'gender',
  'ageBand',
  'citizenshipGroup',
  'outcome',
  'municipality',
] as const;
export type StatisticsDimension = (typeof STATISTICS_DIMENSIONS)[number];

/** Swedish time: months and the `from`/`to` days are Swedish calendar months and days. */
const TIME_ZONE = 'Europe/Stockholm';

/** The SQL of each dimension; a whitelist, so nothing from the request reaches the query text. */
const DIMENSION_SQL: Readonly<Record<StatisticsDimension, string>> = {
  month: `to_char(r.created_at AT TIME ZONE '${TIME_ZONE}', 'YYYY-MM')`,
  category: 'r.category',
  gender: 'r.gender',
  ageBand: 'r.age_band',
  citizenshipGroup: 'r.citizenship_group',
  outcome: `COALESCE(r.outcome, 'none')`,
  municipality: 'r.municipality_code::text',
};

/** `ReferralStatistics.rows` allows at most this many. */
export const MAX_STATISTICS_ROWS = 10_000;

export interface StatisticsQuery {
  from?: string;
  to?: string;
  groupBy?: StatisticsDimension[];
  municipality?: string;
}

type Key = Partial<Record<StatisticsDimension, string>>;

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

/** A calendar day YYYY-MM-DD that exists (2025-02-30 does not), or a 400 naming the field. */
function calendarDay(value: string | undefined, field: 'from' | 'to'): string | null {
  if (value === undefined) {
    return null;
  }
  const m = DAY.exec(value);
  const date = m ? new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))) : null;
  if (!m || !date || date.toISOString().slice(0, 10) !== value) {
    throw new ProblemError(CommonProblems.validation, `${field} must be a day YYYY-MM-DD`, {
      errors: [{ field: `querystring.${field}`, message: 'is not a calendar day' }],
    });
  }
  return value;
}

/** The SQL of a referral's record key for the cell key method (domain/cell-key.ts); `$n` is the secret. */
export const recordKeySql = (alias: string, secretParam: string) =>
  `('x' || substr(md5(${secretParam} || ${alias}.id::text), 1, 8))::bit(32)::bigint`;

/** How the counts are protected, as the answer states it. */
export const DISCLOSURE_CONTROL = {
  method: 'cell_key',
  threshold: CELL_KEY_THRESHOLD,
  maxDeviation: MAX_DEVIATION,
  perturbationTable: PERTURBATION_TABLE.map((row, i) => ({
    cellKeyFrom: i === 0 ? 0 : PERTURBATION_TABLE[i - 1]!.below,
    cellKeyBelow: row.below,
    deviation: row.deviation,
  })),
};

/** The deployment's secret for record keys: derived from the referrals service's audit key. */
export function statisticsSecret(ctx: ReferralsContext): string {
  return ctx.audit.checkpoints.key.deriveSecret('samverkan statistics record keys');
}

/**
 * Aggregate referral statistics (docs/architecture.md#statistics) for analysts and coordinators: counts by the chosen
 * dimensions with the median minutes from sending to acknowledgement, every count perturbed by the
 * cell key method (domain/cell-key.ts) before anything leaves the service, so that no two answers
 * can be subtracted into a small cell. Only metadata in clear is counted; the hub has nothing else.
 */
export function createStatisticsService(ctx: ReferralsContext) {
  const table = ctx.dataSource.getRepository(ReferralEntity).metadata.tablePath;
  const secret = statisticsSecret(ctx);

  return {
    async referrals(principal: Principal, query: StatisticsQuery) {
      const groupBy = query.groupBy?.length ? [...new Set(query.groupBy)] : ['month' as const];
      const target = {
        action: 'statistics.referrals_read',
        objectType: 'statistics',
        objectId: 'referrals',
        detail: {
          groupBy,
          from: query.from ?? null,
          to: query.to ?? null,
          municipality: query.municipality ?? null,
        },
      };
      if (!hasRole(principal, 'analyst', 'coordinator')) {
        await deny(
          ctx,
          principal,
          target,
          'Referral statistics are for users with the analyst or coordinator role',
        );
      }
      const from = calendarDay(query.from, 'from');
      const to = calendarDay(query.to, 'to');
      if (from && to && from > to) {
        throw new ProblemError(CommonProblems.validation, 'from must not be after to', {
          errors: [{ field: 'querystring.from', message: 'is after to' }],
        });
      }

      const dims = groupBy.map((d, i) => `${DIMENSION_SQL[d]} AS d${i}`);
      const positions = groupBy.map((_d, i) => String(i + 1));
      // [from, to] are whole Swedish days: from 00:00 on `from` to 00:00 after `to`, local time.
      const sql = `
        WITH bounds AS (
          SELECT
            (COALESCE($1::date, (day.to_day - interval '1 year')::date)::timestamp
              AT TIME ZONE '${TIME_ZONE}') AS lower,
            ((day.to_day + 1)::timestamp AT TIME ZONE '${TIME_ZONE}') AS upper
          FROM (SELECT COALESCE($2::date, (now() AT TIME ZONE '${TIME_ZONE}')::date) AS to_day) day
        )
        SELECT ${dims.join(', ')},
               count(*)::int AS n,
               sum(${recordKeySql('r', '$4')})::text AS keysum,
               count(r.acknowledged_at)::int AS acknowledged,
               percentile_cont(0.5) WITHIN GROUP (
                 ORDER BY (extract(epoch FROM r.acknowledged_at - r.created_at) / 60)::float8
               ) AS median
          FROM ${table} r CROSS JOIN bounds b
         WHERE r.created_at >= b.lower AND r.created_at < b.upper
           AND ($3::text IS NULL OR r.municipality_code = $3)
         GROUP BY ${positions.join(', ')}
         ORDER BY ${positions.join(', ')}
         LIMIT ${MAX_STATISTICS_ROWS + 1}`;
      // A year is hundreds of thousands of rows at scale (bench/referrals-scale): sorted for the
      // medians in memory rather than on disk, and without JIT compilation, which costs more
      // than it saves on a query planned afresh each time.
      const result = await ctx.dataSource.transaction(async (tx) => {
        await tx.query(`SET LOCAL jit = off`);
        await tx.query(`SET LOCAL work_mem = '64MB'`);
        return (await tx.query(sql, [from, to, query.municipality ?? null, secret])) as Array<
          Record<string, unknown>
        >;
      });
      if (result.length > MAX_STATISTICS_ROWS) {
        throw new ProblemError(
          CommonProblems.validation,
          `More than ${MAX_STATISTICS_ROWS} rows: group by fewer dimensions or a shorter period`,
          { errors: [{ field: 'querystring.groupBy', message: 'gives too many rows' }] },
        );
      }

      const published = result.map((row) => {
        const count = perturbCount(Number(row.n), cellKeyOf(BigInt(String(row.keysum))));
        const median =
          row.median === null ? null : Math.max(0, Math.round(Number(row.median) * 10) / 10);
        return {
          key: Object.fromEntries(groupBy.map((d, i) => [d, String(row[`d${i}`])])) as Key,
          count,
          // A median only beside a published count and over enough acknowledged referrals.
          medianMinutesToAcknowledge:
            typeof count === 'number' && Number(row.acknowledged) >= CELL_KEY_THRESHOLD
              ? median
              : null,
        };
      });

      await ctx.audit.append({
        ...target,
        actor: principal,
        outcome: 'allowed',
        detail: { ...target.detail, rows: published.length },
      });
      return {
        groupBy,
        rows: published,
        suppressedBelow: CELL_KEY_THRESHOLD,
        disclosureControl: DISCLOSURE_CONTROL,
      };
    },
  };
}

export type StatisticsService = ReturnType<typeof createStatisticsService>;
