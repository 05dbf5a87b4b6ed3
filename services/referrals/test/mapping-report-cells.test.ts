/**
 * The mapping report's cells come from one GROUPING SETS statement
 * (records/mapping-report.repository.ts `cellsBySets`) instead of one `cells()` call per grouping.
 * Both must count the same: the same cells, counts, record key sums, acknowledged counts,
 * medians and per-grouping limit, for periods that are whole months, partial months at either
 * end (added day by day, or taken from the month's rollup) and a single day.
 */
import { DEMO_UNITS as U } from '@samverkan/shared';
import { createMappingReportRepository } from '../src/records/mapping-report.repository';
import {
  createStatisticsRepository,
  type StatisticsDimension,
} from '../src/services/statistics.repository';
import { agencyClient, referralDocument } from './helpers/agency-client';
import { buildHub, type TestHub } from './helpers/build';

let hub: TestHub;
const SECRET = 'cells by sets';
const CODES = ['0580', '0581', '0583'];
const SETS: StatisticsDimension[][] = [
  ['municipality'],
  ['municipality', 'category'],
  ['municipality', 'ageBand'],
  ['municipality', 'gender'],
  ['municipality', 'citizenshipGroup'],
];
const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Stockholm' }).format(new Date());
const daysBefore = (n: number) =>
  new Date(Date.parse(`${today}T12:00:00Z`) - n * 86_400_000).toISOString().slice(0, 10);

beforeAll(async () => {
  hub = await buildHub();
  const police = agencyClient(hub, 'police.officer', U.policeTraffickingOst);
  const values = {
    category: ['trafficking_sexual', 'trafficking_labour', 'other'],
    ageBand: ['adult', 'unknown'],
    gender: ['female', 'male', 'unknown'],
    citizenshipGroup: ['eu', 'swedish', 'non_eu', 'unknown'],
  };
  for (let i = 0; i < 30; i += 1) {
    const meta = {
      municipalityCode: CODES[i % CODES.length]!,
      category: values.category[i % 3]!,
      ageBand: values.ageBand[(i >> 1) % 2]!,
      gender: values.gender[(i >> 2) % 3]!,
      citizenshipGroup: values.citizenshipGroup[i % 4]!,
    };
    const body = await police.referral(
      { recipientUnitId: U.coordinator },
      referralDocument('cells'),
      meta,
    );
    const res = await hub.as('police.officer').post('/v1/referrals', body);
    expect({ status: res.statusCode, body: res.statusCode === 201 ? null : res.json() }).toEqual({
      status: 201,
      body: null,
    });
  }
  // Spread over a year, two thirds acknowledged after a varying time; then the rollup is built
  // afresh from the referrals as they now are.
  await hub.referrals.context.dataSource.query(
    `WITH numbered AS (
       SELECT id, row_number() OVER (ORDER BY id) AS i FROM referrals.referrals
     )
     UPDATE referrals.referrals r
        SET created_at = now() - n.i * interval '11 days 5 hours',
            acknowledged_at = CASE WHEN n.i % 3 = 0 THEN NULL
                                   ELSE now() - n.i * interval '11 days 5 hours'
                                        + n.i * interval '7 minutes 13 seconds' END
       FROM numbered n WHERE n.id = r.id`,
  );
  expect(
    await createStatisticsRepository(hub.referrals.context.dataSource).useRecordKeySecret(SECRET),
  ).toBe(true);
});
afterAll(async () => {
  await hub?.close();
});

describe('the mapping report cells in one statement', () => {
  it.each([
    ['a year', daysBefore(365), today],
    ['partial months at both ends', daysBefore(200), daysBefore(20)],
    ['most of two months', daysBefore(95), daysBefore(40)],
    ['a single day', daysBefore(33), daysBefore(33)],
    ['a period without referrals', daysBefore(2000), daysBefore(1900)],
  ])('are the cells of each grouping on its own: %s', async (_name, from, to) => {
    const { dataSource } = hub.referrals.context;
    const statistics = createStatisticsRepository(dataSource);
    for (const limit of [10_000, 3]) {
      const query = { from, to, municipalities: CODES, secret: SECRET, limit };
      const together = await createMappingReportRepository(dataSource).cellsBySets({
        ...query,
        sets: SETS,
      });
      const apart = [];
      for (const groupBy of SETS) {
        apart.push(await statistics.cells({ ...query, groupBy }));
      }
      expect(together).toEqual(apart);
    }
  });

  it('counts what is there (the comparison is not between two empty answers)', async () => {
    const [totals] = await createMappingReportRepository(
      hub.referrals.context.dataSource,
    ).cellsBySets({
      sets: SETS,
      from: daysBefore(365),
      to: today,
      municipalities: CODES,
      secret: SECRET,
      limit: 10_000,
    });
    expect(totals!.reduce((n, c) => n + c.n, 0)).toBeGreaterThan(20);
    expect(totals!.some((c) => c.medianMinutes !== null)).toBe(true);
  });
});
