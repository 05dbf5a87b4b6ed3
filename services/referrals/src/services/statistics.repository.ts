import type { DataSource } from 'typeorm';
import {
  ReferralEntity,
  ReferralStatisticsAcknowledgementEntity,
  ReferralStatisticsMonthEntity,
  ReferralStatisticsSecretEntity,
} from '../entities';

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
export const STATISTICS_TIME_ZONE = 'Europe/Stockholm';

/** `ReferralStatistics.rows` allows at most this many. */
export const MAX_STATISTICS_ROWS = 10_000;

/** The SQL of a referral's record key for the cell key method (domain/cell-key.ts); `$n` is the secret. */
export const recordKeySql = (alias: string, secretParam: string) =>
  `('x' || substr(md5(${secretParam} || ${alias}.id::text), 1, 8))::bit(32)::bigint`;

/** Minutes from sending to acknowledgement in tenths, as the rollup's histogram keeps them. */
export const tenthsSql = (alias: string) =>
  `round(extract(epoch FROM ${alias}.acknowledged_at - ${alias}.created_at) / 6)::int`;

/**
 * Each dimension on a referral row (`r`) and on a rollup row (`m`); a whitelist, so nothing from
 * the request reaches the query text.
 */
export const DIMENSION_SQL: Readonly<
  Record<StatisticsDimension, { referral: string; rollup: string }>
> = {
  month: {
    referral: `to_char(r.created_at AT TIME ZONE '${STATISTICS_TIME_ZONE}', 'YYYY-MM')`,
    rollup: `to_char(m.month, 'YYYY-MM')`,
  },
  category: { referral: 'r.category', rollup: 'm.category' },
  gender: { referral: 'r.gender', rollup: 'm.gender' },
  ageBand: { referral: 'r.age_band', rollup: 'm.age_band' },
  citizenshipGroup: { referral: 'r.citizenship_group', rollup: 'm.citizenship_group' },
  outcome: { referral: `COALESCE(r.outcome, 'none')`, rollup: 'm.outcome' },
  municipality: { referral: 'r.municipality_code::text', rollup: 'm.municipality_code::text' },
};

/** Days as `YYYY-MM-DD`, calendar arithmetic only (no clock, no time zone). */
const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const msOf = (day: string) => Date.parse(`${day}T00:00:00Z`);
const addDays = (day: string, n: number) => dayOf(msOf(day) + n * 86_400_000);
const monthStart = (day: string) => `${day.slice(0, 7)}-01`;
const nextMonth = (day: string) => {
  const d = new Date(msOf(monthStart(day)));
  return dayOf(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1));
};
const daysBetween = (from: string, to: string) => Math.round((msOf(to) - msOf(from)) / 86_400_000);

/** Today in Sweden. */
function stockholmToday(): string {
  return new Intl.DateTimeFormat('sv-SE', {
    timeZone: STATISTICS_TIME_ZONE,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).format(new Date());
}

/** The same day a year earlier (29 February → 28 February), as Postgres' `- interval '1 year'`. */
function yearBefore(day: string): string {
  const [y, m, d] = day.split('-').map(Number) as [number, number, number];
  const last = new Date(Date.UTC(y - 1, m, 0)).getUTCDate();
  return dayOf(Date.UTC(y - 1, m - 1, Math.min(d, last)));
}

interface DayRange {
  from: string;
  to: string;
  sign: 1 | -1;
}

/**
 * How to count the days [from, to] (`to` defaults to today, `from` to a year before `to`): the
 * whole months to add up from the rollup, and the day ranges whose referrals are counted one by
 * one — added where less than half of a month is in the period, subtracted from the month's
 * rollup where more is.
 */
export function periodPlan(
  from: string | null,
  to: string | null,
  today: string,
): { rollup: { from: string; to: string }; live: DayRange[] } {
  const toDay = to ?? today;
  const lo = from ?? yearBefore(toDay);
  const hi = addDays(toDay, 1);
  const live: DayRange[] = [];
  if (lo >= hi) {
    return { rollup: { from: lo, to: lo }, live };
  }
  let rollFrom = monthStart(lo);
  let rollTo = nextMonth(addDays(hi, -1));
  /** The month starting `ms` is only partly in [lo, hi): add its days in, or remove those out. */
  const partial = (ms: string): 'in' | 'whole' | 'out' => {
    const me = nextMonth(ms);
    const inFrom = lo > ms ? lo : ms;
    const inTo = hi < me ? hi : me;
    if (inFrom === ms && inTo === me) {
      return 'whole';
    }
    if (2 * daysBetween(inFrom, inTo) <= daysBetween(ms, me)) {
      live.push({ from: inFrom, to: inTo, sign: 1 });
      return 'in';
    }
    if (inFrom > ms) {
      live.push({ from: ms, to: inFrom, sign: -1 });
    }
    if (inTo < me) {
      live.push({ from: inTo, to: me, sign: -1 });
    }
    return 'out';
  };
  const firstMonth = rollFrom;
  const lastMonth = monthStart(addDays(hi, -1));
  if (partial(firstMonth) === 'in') {
    rollFrom = nextMonth(firstMonth);
  }
  if (lastMonth !== firstMonth && partial(lastMonth) === 'in') {
    rollTo = lastMonth;
  }
  if (rollFrom > rollTo) {
    rollTo = rollFrom;
  }
  return { rollup: { from: rollFrom, to: rollTo }, live };
}

/** One cell as counted: true count, record key sum, acknowledged and the median (minutes). */
export interface StatisticsCell {
  key: string[];
  n: number;
  keysum: bigint;
  acknowledged: number;
  medianMinutes: number | null;
}

/**
 * The statistics' storage (issue 15: "repositories are the only place SQL lives"): the monthly
 * rollup the triggers of migration 1797053000000-ReferralRollups keep, and the referrals of the
 * partial months at a period's ends. Nothing here publishes: the cell key method is applied by
 * the statistics service on what this returns.
 */
/**
 * The median of each group's acknowledgement times, from the `running` rows (tenths of a
 * minute, with how many are below and in all): percentile_cont(0.5), the middle value or the
 * mean of the two middle values, in minutes.
 */
export const MEDIAN_OF_RUNNING_SQL = `(min(u.tenths) FILTER (WHERE u.below > floor((u.total - 1) / 2.0))
                  + min(u.tenths) FILTER (WHERE u.below > ceil((u.total - 1) / 2.0))) / 20.0`;

/** The rollup rows `m` of the whole months [$1, $2), in the municipalities $3 (or all). */
export const ROLLUP_WHERE_SQL = `m.month >= $1::date AND m.month < $2::date
            AND ($3::bpchar[] IS NULL OR m.municipality_code = ANY ($3::bpchar[]))`;

/**
 * The `live` rows of a cells statement: the referrals of `referrals` created in each day range of
 * $5..$7 (Swedish days; cellsParams), in the municipalities $3 (or all), one by one, with the
 * columns `dims`, the range's sign, their record key ($4) signed, and their acknowledgement
 * time in tenths of a minute (null when not acknowledged).
 */
export function liveReferralsSql(referrals: string, dims: string): string {
  const at = (day: string) => `(${day}::timestamp AT TIME ZONE '${STATISTICS_TIME_ZONE}')`;
  return `
          SELECT ${dims}, seg.sign,
                 seg.sign * ${recordKeySql('r', '$4')} AS record_key,
                 CASE WHEN r.acknowledged_at IS NULL THEN NULL ELSE ${tenthsSql('r')} END AS tenths
            FROM unnest($5::date[], $6::date[], $7::int[]) AS seg(lower_day, upper_day, sign)
            JOIN ${referrals} r
              ON r.created_at >= ${at('seg.lower_day')} AND r.created_at < ${at('seg.upper_day')}
           WHERE ($3::bpchar[] IS NULL OR r.municipality_code = ANY ($3::bpchar[]))
        `;
}

/** The parameters $1–$7 of a cells statement: the rollup's months, the filters, the live days. */
export function cellsParams(
  plan: ReturnType<typeof periodPlan>,
  query: { municipalities: string[] | null; secret: string },
): unknown[] {
  return [
    plan.rollup.from,
    plan.rollup.to,
    query.municipalities,
    query.secret,
    plan.live.map((l) => l.from),
    plan.live.map((l) => l.to),
    plan.live.map((l) => l.sign),
  ];
}

/**
 * Runs a cells statement in its own transaction, without JIT (it costs more than it saves on a
 * query planned afresh each time) and with room to sort in memory.
 */
export function queryCells(
  dataSource: DataSource,
  sql: string,
  params: unknown[],
): Promise<Array<Record<string, unknown>>> {
  return dataSource.transaction(async (tx) => {
    await tx.query(`SELECT set_config('jit', 'off', true), set_config('work_mem', '64MB', true)`);
    return (await tx.query(sql, params)) as Array<Record<string, unknown>>;
  });
}

export function createStatisticsRepository(dataSource: DataSource) {
  const referrals = dataSource.getRepository(ReferralEntity).metadata.tablePath;
  const months = dataSource.getRepository(ReferralStatisticsMonthEntity).metadata.tablePath;
  const acks = dataSource.getRepository(ReferralStatisticsAcknowledgementEntity).metadata.tablePath;
  const secrets = dataSource.getRepository(ReferralStatisticsSecretEntity).metadata.tablePath;

  /** A month's cell of referral `c` (as the trigger computes it). */
  const cell = `date_trunc('month', c.created_at AT TIME ZONE '${STATISTICS_TIME_ZONE}')::date,
       c.category, c.gender, c.age_band, c.citizenship_group, COALESCE(c.outcome, 'none'),
       c.municipality_code`;

  return {
    /**
     * Makes the rollup's record keys those of `secret`: when the stored secret is missing (a new
     * database, or one migrated while the service was stopped) or differs, stores it and builds
     * the rollup afresh from every referral, writers held off meanwhile. True if it rebuilt.
     */
    async useRecordKeySecret(secret: string): Promise<boolean> {
      const stored = (await dataSource.query(
        `SELECT s.secret FROM ${secrets} s WHERE s.id = 1`,
        [],
      )) as Array<{
        secret: string;
      }>;
      if (stored[0]?.secret === secret) {
        return false;
      }
      return dataSource.transaction(async (tx) => {
        // Writers wait (their triggers would key with the old secret); readers go on.
        await tx.query(`LOCK TABLE ${referrals} IN SHARE MODE`);
        const again = (await tx.query(
          `SELECT s.secret FROM ${secrets} s WHERE s.id = 1 FOR UPDATE`,
          [],
        )) as Array<{ secret: string }>;
        if (again[0]?.secret === secret) {
          return false;
        }
        await tx.query(
          `INSERT INTO ${secrets} (id, secret, set_at) VALUES (1, $1, now())
           ON CONFLICT (id) DO UPDATE SET secret = excluded.secret, set_at = excluded.set_at`,
          [secret],
        );
        await tx.query(`DELETE FROM ${months}`);
        await tx.query(`DELETE FROM ${acks}`);
        await tx.query(
          `INSERT INTO ${months} (month, category, gender, age_band, citizenship_group, outcome,
             municipality_code, n, keysum, acknowledged)
           SELECT ${cell}, count(*)::int, sum(${recordKeySql('c', '$1')})::bigint,
                  count(c.acknowledged_at)::int
             FROM ${referrals} c
            GROUP BY 1, 2, 3, 4, 5, 6, 7`,
          [secret],
        );
        await tx.query(
          `INSERT INTO ${acks} (month, category, gender, age_band, citizenship_group, outcome,
             municipality_code, minutes_tenths, n)
           SELECT ${cell}, ${tenthsSql('c')}, count(*)::int
             FROM ${referrals} c
            WHERE c.acknowledged_at IS NOT NULL
            GROUP BY 1, 2, 3, 4, 5, 6, 7, 8`,
          [],
        );
        return true;
      });
    },

    /**
     * The cells of the referrals sent in [from, to] (whole Swedish days; `to` defaults to today
     * and `from` to a year before `to`), grouped by `groupBy`, at most `limit` of them. Whole
     * months come from the rollup; the days before the first and after the last whole month from
     * the referrals themselves (the statistics index), so the answer equals counting every
     * referral.
     */
    async cells(query: {
      groupBy: StatisticsDimension[];
      from: string | null;
      to: string | null;
      /** only these municipalities (codes), or all */
      municipalities: string[] | null;
      secret: string;
      limit: number;
    }): Promise<StatisticsCell[]> {
      const { groupBy } = query;
      const plan = periodPlan(query.from, query.to, stockholmToday());
      const dims = (side: 'referral' | 'rollup') =>
        groupBy.map((d, i) => `${DIMENSION_SQL[d][side]} AS d${i}`).join(', ');
      const names = groupBy.map((_d, i) => `d${i}`);
      const list = names.join(', ');
      const positions = names.map((_d, i) => String(i + 1)).join(', ');
      // Whole months [$1, $2) from the rollup; the referrals of each day range in $5..$7
      // counted one by one, added (sign 1) or, where a month is mostly in the period, taken
      // from its whole month (sign −1): whichever reads fewer referrals.
      const sql = `
        WITH live AS MATERIALIZED (${liveReferralsSql(referrals, dims('referral'))}), counted AS (
          SELECT ${list}, sum(x.n)::int AS n, sum(x.keysum)::text AS keysum,
                 sum(x.acknowledged)::int AS acknowledged
            FROM (
              SELECT ${dims('rollup')}, m.n, m.keysum, m.acknowledged
                FROM ${months} m WHERE ${ROLLUP_WHERE_SQL}
              UNION ALL
              SELECT ${list}, l.sign, l.record_key, CASE WHEN l.tenths IS NULL THEN 0 ELSE l.sign END
                FROM live l
            ) x
           GROUP BY ${positions}
          HAVING sum(x.n) > 0
           ORDER BY ${positions}
           LIMIT ${query.limit}
        ), histogram AS (
          SELECT ${list}, h.tenths, sum(h.n) AS n
            FROM (
              SELECT ${dims('rollup')}, m.minutes_tenths AS tenths, m.n
                FROM ${acks} m WHERE ${ROLLUP_WHERE_SQL}
              UNION ALL
              SELECT ${list}, l.tenths, l.sign FROM live l WHERE l.tenths IS NOT NULL
            ) h
           GROUP BY ${positions}, ${groupBy.length + 1}
          HAVING sum(h.n) > 0
        ), running AS (
          SELECT ${list}, h.tenths,
                 sum(h.n) OVER (PARTITION BY ${list} ORDER BY h.tenths) AS below,
                 sum(h.n) OVER (PARTITION BY ${list}) AS total
            FROM histogram h
        ), medians AS (
          -- percentile_cont(0.5): the middle value, or the mean of the two middle values
          SELECT ${list},
                 ${MEDIAN_OF_RUNNING_SQL} AS median
            FROM running u
           GROUP BY ${positions}
        )
        SELECT c.*, md.median::float8 AS median
          FROM counted c LEFT JOIN medians md USING (${list})
         ORDER BY ${positions}`;
      const rows = await queryCells(dataSource, sql, cellsParams(plan, query));
      return rows.map((row) => ({
        key: names.map((name) => String(row[name])),
        n: Number(row.n),
        keysum: BigInt(String(row.keysum)),
        acknowledged: Number(row.acknowledged),
        medianMinutes: row.median === null ? null : Number(row.median),
      }));
    },
  };
}

export type StatisticsRepository = ReturnType<typeof createStatisticsRepository>;
