/**
 * The box counts, copy entries and monthly statistics rollup that the triggers of migration
 * 1797053000000-ReferralRollups keep (issue 15), held against the referrals themselves, counted
 * one by one as the service did before: through inserts, updates that move a referral between
 * cells, updates that move nothing, deletes, a rollback, concurrent writers on the same counters
 * (with compactions running among them), the migration on referrals stored before it, and a
 * changed record-key secret.
 */
import { randomUUID } from 'node:crypto';
import type { TestDatabase } from '@samverkan/shared/src/testing';
import type { DataSource } from 'typeorm';
import { ReferralRollups1797053000000 } from '../src/migrations/1797053000000-ReferralRollups';
import { StaticReferralRollups1797060000000 } from '../src/migrations/1797060000000-StaticReferralRollups';
import { LeanReferralInsertRollups1797080000001 } from '../src/migrations/1797080000001-LeanReferralInsertRollups';
import { createReferralsRepository } from '../src/referrals/repository';
import { createRollupsRepository } from '../src/services/rollups.repository';
import type { ReferralsContext } from '../src/services/context';
import {
  createStatisticsRepository,
  recordKeySql,
  type StatisticsDimension,
} from '../src/services/statistics.repository';
import {
  generator,
  insertReferralRows,
  openReferralsDatabase,
  type ReferralRow,
} from './helpers/referral-rows';

let db: TestDatabase;
let ds: DataSource;
const units = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
const DAY_MS = 24 * 60 * 60 * 1000;

beforeAll(async () => {
  ({ db, ds } = await openReferralsDatabase('rollups', 6));
});
afterAll(async () => {
  await ds?.destroy();
  await db?.drop();
});

function randomRows(n: number, seed: number, newestDaysAgo = 0, spanDays = 420): ReferralRow[] {
  const g = generator(seed);
  return Array.from({ length: n }, () => {
    const recipient = g.pick(units);
    // Copies may repeat a unit and may name the recipient: each counts once, the recipient never.
    const copies =
      g.next() < 0.4
        ? Array.from({ length: 1 + Math.floor(g.next() * 3) }, () => g.pick(units))
        : [];
    const createdAt = new Date(Date.now() - (newestDaysAgo + g.next() * spanDays) * DAY_MS);
    const acknowledged = g.next() < 0.7;
    return {
      id: randomUUID(),
      sender: g.pick(units),
      recipient,
      copies,
      category: g.pick(['trafficking_sexual', 'sex_for_compensation', 'other']),
      urgency: g.pick(['acute', 'urgent', 'routine']),
      gender: g.pick(['female', 'male']),
      status: g.pick(['sent', 'received', 'accepted', 'closed']),
      municipality: g.pick(['0580', '0581']),
      createdAt,
      // Whole seconds to hours, so that tenths of a minute round both ways.
      acknowledgedAt: acknowledged
        ? new Date(createdAt.getTime() + Math.floor(g.next() * 4 * 3600) * 1000)
        : null,
      outcome: g.next() < 0.3 ? g.pick(['support_started', 'unreachable']) : null,
    };
  });
}

/** A box's counts as the service counted them before the counters: from the referrals. */
async function countedFromReferrals(box: 'inbox' | 'outbox', unit: string) {
  const where =
    box === 'inbox'
      ? `(r.recipient_unit_id = $1 OR (r.copy_unit_ids @> ARRAY[$1::uuid] AND r.recipient_unit_id <> $1))`
      : 'r.sender_unit_id = $1';
  return (await ds.query(
    `SELECT r.status, count(*)::int AS n,
            count(*) FILTER (WHERE r.urgency = 'acute' AND r.status IN ('sent', 'received'))::int AS acute
       FROM referrals.referrals r WHERE ${where} GROUP BY r.status ORDER BY r.status`,
    [unit],
  )) as Array<{ status: string; n: number; acute: number }>;
}

/** Every unit's boxes and copies equal counting the referrals (and something was counted). */
async function expectBoxesExact(): Promise<void> {
  const repository = createReferralsRepository({ dataSource: ds } as ReferralsContext);
  let total = 0;
  for (const unit of units) {
    for (const box of ['inbox', 'outbox'] as const) {
      const kept = await repository.countsByStatus(box, unit);
      const counted = await countedFromReferrals(box, unit);
      expect([...kept].sort((a, b) => a.status.localeCompare(b.status))).toEqual(counted);
      total += counted.reduce((sum, c) => sum + c.n, 0);
    }
    const entries = (await ds.query(
      `SELECT e.referral_id AS id, e.created_at AS at FROM referrals.referral_copy_entries e
        WHERE e.unit_id = $1 ORDER BY 1`,
      [unit],
    )) as Array<{ id: string; at: Date }>;
    const copies = (await ds.query(
      `SELECT r.id, r.created_at AS at FROM referrals.referrals r
        WHERE r.copy_unit_ids @> ARRAY[$1::uuid] AND r.recipient_unit_id <> $1 ORDER BY 1`,
      [unit],
    )) as Array<{ id: string; at: Date }>;
    expect(entries).toEqual(copies);
  }
  expect(total).toBeGreaterThan(0);
}

describe('box counts and copy entries', () => {
  it('equal counting the referrals through inserts, updates, deletes and a rollback', async () => {
    await insertReferralRows(ds, randomRows(120, 1));
    await insertReferralRows(ds, randomRows(1, 2));
    await expectBoxesExact();

    // Moves between statuses and units, an update that moves nothing, a copy list changed.
    await ds.query(
      `UPDATE referrals.referrals SET status = 'received', urgency = 'acute' WHERE status = 'sent'`,
    );
    const counterRows = async () =>
      (
        (await ds.query(
          `SELECT (SELECT count(*) FROM referrals.referral_box_counts)::int
                + (SELECT count(*) FROM referrals.referral_copy_entries)::int AS n`,
        )) as Array<{ n: number }>
      )[0]!.n;
    const rowsBefore = await counterRows();
    await ds.query(`UPDATE referrals.referrals SET updated_at = now()`);
    expect(await counterRows()).toBe(rowsBefore); // nothing counted moved: nothing added
    await ds.query(
      `UPDATE referrals.referrals SET recipient_unit_id = $1, copy_unit_ids = ARRAY[$2::uuid, $1::uuid]
        WHERE id IN (SELECT id FROM referrals.referrals ORDER BY id LIMIT 10)`,
      [units[0], units[1]],
    );
    await expectBoxesExact();

    // A rolled-back change leaves no trace in the counters.
    await expect(
      ds.transaction(async (tx) => {
        await insertReferralRows(tx, randomRows(5, 3));
        await tx.query(`UPDATE referrals.referrals SET status = 'closed'`);
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    await expectBoxesExact();

    await ds.query(
      `DELETE FROM referrals.referrals WHERE id IN (SELECT id FROM referrals.referrals ORDER BY id DESC LIMIT 7)`,
    );
    await expectBoxesExact();

    // Compacted: one row per key, the same counts.
    expect(await createRollupsRepository(ds).compact()).toBeGreaterThan(0);
    const [compacted] = (await ds.query(
      `SELECT count(*)::int AS rows, count(DISTINCT (unit_id, box, status, urgency))::int AS keys
         FROM referrals.referral_box_counts`,
    )) as Array<{ rows: number; keys: number }>;
    expect(compacted!.rows).toBe(compacted!.keys);
    await expectBoxesExact();
  });

  it('stay exact with concurrent writers on the same counters, compacted meanwhile', async () => {
    const rollups = createRollupsRepository(ds);
    const compactions = Promise.all([rollups.compact(), rollups.compact(), rollups.compact()]);
    const rounds = await Promise.all(
      [11, 12, 13, 14, 15].map((seed) =>
        ds.transaction(async (tx) => {
          const rows = randomRows(15, seed).map((r) => ({ ...r, recipient: units[2]! }));
          for (const row of rows) {
            await insertReferralRows(tx, [row]);
          }
          await tx.query(`UPDATE referrals.referrals SET status = 'accepted' WHERE id = $1`, [
            rows[0]!.id,
          ]);
          return rows.length;
        }),
      ),
    );
    expect(rounds).toEqual([15, 15, 15, 15, 15]);
    await compactions;
    await expectBoxesExact();
    await Promise.all([rollups.compact(), rollups.compact()]);
    await expectBoxesExact();
  });

  it('are built by the migration from the referrals stored before it', async () => {
    const runner = ds.createQueryRunner();
    try {
      // The migrations down and up again: the static triggers replace the first ones' function,
      // the lean insert path is added to it last (the later tests run with the function as the
      // migrations leave it).
      const migration = new ReferralRollups1797053000000();
      const staticTriggers = new StaticReferralRollups1797060000000();
      const leanInsert = new LeanReferralInsertRollups1797080000001();
      await leanInsert.down(runner);
      await staticTriggers.down(runner);
      await migration.down(runner);
      await insertReferralRows(ds, randomRows(40, 21)); // no triggers now
      await migration.up(runner);
      await expectBoxesExact();
      await staticTriggers.up(runner);
      await insertReferralRows(ds, randomRows(10, 22));
      await expectBoxesExact();
      await leanInsert.up(runner);
      for (const row of randomRows(10, 23)) {
        await insertReferralRows(ds, [row]);
      }
      await expectBoxesExact();
    } finally {
      await runner.release();
    }
  });
});

/** A Swedish calendar day `daysAgo` days before now. */
const stockholmDay = (daysAgo: number) =>
  new Intl.DateTimeFormat('sv-SE', {
    timeZone: 'Europe/Stockholm',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).format(new Date(Date.now() - daysAgo * DAY_MS));

const COLUMN: Record<StatisticsDimension, string> = {
  month: `to_char(r.created_at AT TIME ZONE 'Europe/Stockholm', 'YYYY-MM')`,
  category: 'r.category',
  gender: 'r.gender',
  ageBand: 'r.age_band',
  citizenshipGroup: 'r.citizenship_group',
  outcome: `COALESCE(r.outcome, 'none')`,
  municipality: 'r.municipality_code::text',
};

/** The statistics' cells counted one by one from the referrals (the service's query before the rollup). */
async function countedCells(
  groupBy: StatisticsDimension[],
  from: string | null,
  to: string | null,
  municipality: string | null,
  secret: string,
) {
  const dims = groupBy.map((d, i) => `${COLUMN[d]} AS d${i}`).join(', ');
  const positions = groupBy.map((_d, i) => String(i + 1)).join(', ');
  const rows = (await ds.query(
    `WITH b AS (
       SELECT (COALESCE($1::date, (t.to_day - interval '1 year')::date)::timestamp AT TIME ZONE 'Europe/Stockholm') AS lower,
              ((t.to_day + 1)::timestamp AT TIME ZONE 'Europe/Stockholm') AS upper
         FROM (SELECT COALESCE($2::date, (now() AT TIME ZONE 'Europe/Stockholm')::date) AS to_day) t)
     SELECT ${dims}, count(*)::int AS n, sum(${recordKeySql('r', '$4')})::text AS keysum,
            count(r.acknowledged_at)::int AS acknowledged,
            percentile_cont(0.5) WITHIN GROUP (
              ORDER BY round(extract(epoch FROM r.acknowledged_at - r.created_at) / 6) / 10.0) AS median
       FROM referrals.referrals r CROSS JOIN b
      WHERE r.created_at >= b.lower AND r.created_at < b.upper
        AND ($3::text IS NULL OR r.municipality_code = $3)
      GROUP BY ${positions} ORDER BY ${positions}`,
    [from, to, municipality, secret],
  )) as Array<Record<string, unknown>>;
  return rows.map((row) => ({
    key: groupBy.map((_d, i) => String(row[`d${i}`])),
    n: Number(row.n),
    keysum: BigInt(String(row.keysum)),
    acknowledged: Number(row.acknowledged),
    medianMinutes: row.median === null ? null : Number(row.median),
  }));
}

async function expectStatisticsExact(secret: string): Promise<void> {
  const statistics = createStatisticsRepository(ds);
  const periods: Array<[string | null, string | null]> = [
    [null, null], // the default year, ending in today's (partial) month
    [stockholmDay(300), stockholmDay(40)], // partial months at both ends
    [stockholmDay(200), stockholmDay(190)], // days within one or two months
    [null, stockholmDay(100)],
    [stockholmDay(500), null],
  ];
  const groupings: StatisticsDimension[][] = [
    ['month'],
    ['category', 'gender'],
    ['outcome', 'municipality', 'month'],
  ];
  let compared = 0;
  for (const [from, to] of periods) {
    for (const groupBy of groupings) {
      for (const municipality of [null, '0581']) {
        const kept = await statistics.cells({
          groupBy,
          from,
          to,
          municipalities: municipality ? [municipality] : null,
          secret,
          limit: 10_001,
        });
        const counted = await countedCells(groupBy, from, to, municipality, secret);
        expect(kept.map((c) => ({ ...c, medianMinutes: null }))).toEqual(
          counted.map((c) => ({ ...c, medianMinutes: null })),
        );
        kept.forEach((c, i) => {
          const m = counted[i]!.medianMinutes;
          if (m === null) {
            expect(c.medianMinutes).toBeNull();
          } else {
            expect(c.medianMinutes).toBeCloseTo(m, 9);
          }
        });
        compared += counted.length;
      }
    }
  }
  expect(compared).toBeGreaterThan(100);
}

describe('the statistics rollup', () => {
  it('gives the cells, keys and medians of counting every referral, over whole and partial months', async () => {
    // Stored before the secret: built when the service first sets it.
    await insertReferralRows(ds, randomRows(300, 31, 0, 500));
    const statistics = createStatisticsRepository(ds);
    expect(await statistics.useRecordKeySecret('secret-a')).toBe(true);
    expect(await statistics.useRecordKeySecret('secret-a')).toBe(false);
    await expectStatisticsExact('secret-a');

    // Then kept by the triggers: new referrals, acknowledgements, outcomes, a deletion.
    await insertReferralRows(ds, randomRows(150, 32, 0, 500));
    // One referral per statement, as a send inserts it (the trigger's lean path for one
    // unacknowledged referral, its general one for an acknowledged one).
    for (const row of randomRows(30, 33, 0, 500)) {
      await insertReferralRows(ds, [row]);
    }
    await ds.query(
      `UPDATE referrals.referrals SET acknowledged_at = created_at + interval '7 minutes 33 seconds'
        WHERE acknowledged_at IS NULL AND id IN (SELECT id FROM referrals.referrals ORDER BY id LIMIT 40)`,
    );
    await ds.query(
      `UPDATE referrals.referrals SET outcome = 'referred_elsewhere', status = 'closed'
        WHERE id IN (SELECT id FROM referrals.referrals ORDER BY id DESC LIMIT 40)`,
    );
    await ds.query(
      `DELETE FROM referrals.referrals WHERE id IN (SELECT id FROM referrals.referrals ORDER BY created_at LIMIT 5)`,
    );
    await expectStatisticsExact('secret-a');
    expect(await createRollupsRepository(ds).compact()).toBeGreaterThan(0);
    await expectStatisticsExact('secret-a');
  });

  it('is built again with the record keys of a changed secret', async () => {
    const statistics = createStatisticsRepository(ds);
    expect(await statistics.useRecordKeySecret('secret-b')).toBe(true);
    await expectStatisticsExact('secret-b');
  });

  it('keeps a folded key whose count adds up to nothing but whose record keys do not', async () => {
    // One change that moved one referral out of a cell and another in: n 0, a keysum. Another
    // key's rows add up to nothing at all. (A month no query here reads, removed afterwards.)
    const cell = `'1990-01-01', 'other', 'female', 'adult', 'eu', 'none', '0581'`;
    const other = `'1990-02-01', 'other', 'female', 'adult', 'eu', 'none', '0581'`;
    await ds.query(
      `INSERT INTO referrals.referral_statistics_months (month, category, gender, age_band,
         citizenship_group, outcome, municipality_code, n, keysum, acknowledged)
       VALUES (${cell}, 0, 12345, 0), (${other}, 1, 7, 1), (${other}, -1, -7, -1)`,
    );
    await createRollupsRepository(ds).compact();
    const rows = (await ds.query(
      `SELECT to_char(month, 'YYYY-MM') AS month, n, keysum::int AS keysum, acknowledged
         FROM referrals.referral_statistics_months WHERE month < '2000-01-01'`,
    )) as Array<Record<string, unknown>>;
    expect(rows).toEqual([{ month: '1990-01', n: 0, keysum: 12345, acknowledged: 0 }]);
    await ds.query(`DELETE FROM referrals.referral_statistics_months WHERE month < '2000-01-01'`);
  });
});
