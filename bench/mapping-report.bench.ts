/**
 * The county mapping report's statistics: its five groupings of the cells (per municipality, and
 * per municipality and category, age band, gender, citizenship group) asked as five
 * `StatisticsRepository.cells` calls — each its own transaction with its own settings, as the
 * report did — against the one GROUPING SETS statement it now makes
 * (`services/referrals/src/records/mapping-report.repository.ts`), in the same run on the same
 * data, alternating, with the answers compared once.
 *
 * Referrals are made in Postgres with generate_series over two years and two municipalities of
 * Östergötland (and three elsewhere); the monthly rollup is built from them; the period has
 * partial months at both ends, so both ways also count referrals one by one.
 *
 * Run: `npx tsx bench/mapping-report.bench.ts` (needs the local Postgres; the database is dropped
 * afterwards). Options: BENCH_REFERRALS (default 100000), BENCH_ROUNDS (default 15). Ends with
 * one JSON line: `ratio` is the five calls' p50 over the one statement's.
 */
import { isDeepStrictEqual } from 'node:util';
import { Client } from 'pg';
import { MUNICIPALITIES, openServiceDatabase } from '@samverkan/shared';
import { createTestDatabase } from '@samverkan/shared/src/testing';
import { REFERRALS_ENTITIES } from '../services/referrals/src/entities';
import { REFERRALS_MIGRATIONS } from '../services/referrals/src/migrations';
import { createMappingReportRepository } from '../services/referrals/src/records/mapping-report.repository';
import {
  createStatisticsRepository,
  MAX_STATISTICS_ROWS,
  type StatisticsDimension,
} from '../services/referrals/src/services/statistics.repository';

const referrals = Number(process.env.BENCH_REFERRALS ?? 100_000);
const rounds = Number(process.env.BENCH_ROUNDS ?? 15);
const SECRET = 'mapping report bench';
const SETS: StatisticsDimension[][] = [
  ['municipality'],
  ['municipality', 'category'],
  ['municipality', 'ageBand'],
  ['municipality', 'gender'],
  ['municipality', 'citizenshipGroup'],
];

const p50 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const round = (n: number) => Math.round(n * 100) / 100;

async function main(): Promise<void> {
  const db = await createTestDatabase('bench_mapping');
  const ds = await openServiceDatabase({
    url: db.url,
    schema: 'referrals',
    entities: REFERRALS_ENTITIES,
    migrations: REFERRALS_MIGRATIONS,
    poolSize: 2,
  });
  try {
    const t0 = performance.now();
    // On a client of its own: the service's connections have a statement timeout.
    const client = new Client({ connectionString: db.url });
    await client.connect();
    await client.query('SET statement_timeout = 0');
    await client.query(
      `INSERT INTO referrals.referrals (
         id, sender_unit_id, recipient_unit_id, copy_unit_ids, category, urgency, age_band, gender,
         citizenship_group, municipality_code, legal_basis, status, envelope, envelope_size,
         acknowledge_by, acknowledged_at, handover, created_at, updated_at)
       SELECT gen_random_uuid(), gen_random_uuid(), gen_random_uuid(), '{}'::uuid[],
              (ARRAY['trafficking_sexual', 'trafficking_labour', 'sex_for_compensation',
                     'buyer_support', 'other'])[1 + g % 5],
              'routine',
              (ARRAY['adult', 'adult', 'child', 'unknown'])[1 + g % 4],
              (ARRAY['female', 'female', 'male', 'non_binary', 'unknown'])[1 + g % 5],
              (ARRAY['swedish', 'eu', 'eu', 'non_eu', 'unknown'])[1 + g % 5],
              (ARRAY['0581', '0580', '0180', '1480', '1280'])[1 + g % 5],
              'consent', 'closed', '{}'::jsonb, 0, t.at + interval '1 day',
              CASE WHEN g % 4 = 0 THEN NULL ELSE t.at + ((g % 600) + 5) * interval '1 minute' END,
              '{}'::jsonb, t.at, t.at
         FROM generate_series(1, $1::int) g,
              LATERAL (SELECT now() - g * (interval '730 days' / $1::int) AS at) t`,
      [referrals],
    );
    await client.query('VACUUM ANALYZE referrals.referrals');
    await client.end();
    await createStatisticsRepository(ds).useRecordKeySecret(SECRET);
    const loadMs = performance.now() - t0;

    const statistics = createStatisticsRepository(ds);
    const mapping = createMappingReportRepository(ds);
    const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Stockholm' }).format(
      new Date(),
    );
    const year = Number(today.slice(0, 4)) - 1;
    const query = {
      from: `${year}-01-10`,
      to: `${year}-12-20`,
      municipalities: MUNICIPALITIES.filter((m) => m.code.startsWith('05')).map((m) => m.code),
      secret: SECRET,
      limit: MAX_STATISTICS_ROWS,
    };
    const apart = async () => {
      const out = [];
      for (const groupBy of SETS) {
        out.push(await statistics.cells({ ...query, groupBy }));
      }
      return out;
    };
    const together = () => mapping.cellsBySets({ ...query, sets: SETS });
    const same = isDeepStrictEqual(await apart(), await together());
    const times = { apart: [] as number[], together: [] as number[] };
    for (let i = 0; i < rounds; i += 1) {
      let t = performance.now();
      await apart();
      times.apart.push(performance.now() - t);
      t = performance.now();
      await together();
      times.together.push(performance.now() - t);
    }
    console.log(
      JSON.stringify({
        bench: 'mapping-report-cells',
        referrals,
        rounds,
        loadMs: Math.round(loadMs),
        sameAnswers: same,
        fiveCallsP50Ms: round(p50(times.apart)),
        oneStatementP50Ms: round(p50(times.together)),
        ratio: round(p50(times.apart) / p50(times.together)),
      }),
    );
  } finally {
    await ds.destroy();
    await db.drop();
  }
}

void main();
