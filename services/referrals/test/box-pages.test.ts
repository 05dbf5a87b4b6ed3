/**
 * A box's pages (`GET /v1/referrals?box=…`, referrals/box-page.ts), held against the box worked
 * out from the referrals themselves: an inbox is the referrals to the caller's units and the
 * copies to them (each referral once, however many of the units it reaches), an outbox the
 * referrals from them; newest first, ties broken by id; every filter narrows; following the
 * cursor gives each referral exactly once. Rows share creation times so that the cursor's id
 * part matters, copies name the recipient or repeat a unit, and a referral may reach several of
 * the caller's units.
 */
import { randomUUID } from 'node:crypto';
import type { TestDatabase } from '@samverkan/shared/src/testing';
import type { DataSource } from 'typeorm';
import { ReferralCopyEntryEntity, ReferralEntity } from '../src/entities';
import { createReferralsRepository, type ReferralListQuery } from '../src/referrals';
import { boxPageStatement } from '../src/referrals/box-page';
import { listedColumns } from '../src/referrals/repository';
import type { ReferralsContext } from '../src/services/context';
import { referralView } from '../src/services/views';
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
const STATUSES = ['sent', 'received', 'accepted', 'closed'];
const URGENCIES = ['acute', 'urgent', 'routine'];
const CATEGORIES = ['trafficking_sexual', 'sex_for_compensation', 'other'];

const base = Date.now() - 400 * DAY_MS;
const g = generator(15);
// A few creation times shared by many rows: pages cut inside a run of equal times.
const rows: ReferralRow[] = Array.from({ length: 240 }, (_, i) => ({
  id: randomUUID(),
  sender: g.pick(units),
  recipient: g.pick(units),
  copies:
    g.next() < 0.35
      ? Array.from({ length: 1 + Math.floor(g.next() * 3) }, () => g.pick(units))
      : [],
  category: g.pick(CATEGORIES),
  urgency: g.pick(URGENCIES),
  status: g.pick(STATUSES),
  createdAt: new Date(base + (i % 3 === 0 ? Math.floor(g.next() * 6) : g.next() * 400) * DAY_MS),
}));

beforeAll(async () => {
  ({ db, ds } = await openReferralsDatabase('boxes', 3));
  await insertReferralRows(ds, rows);
}, 60_000);
afterAll(async () => {
  await ds?.destroy();
  await db?.drop();
});

/** The box worked out from the rows, one by one. */
function expected(box: 'inbox' | 'outbox', mine: string[], query: Partial<ReferralListQuery>) {
  return rows
    .filter((r) =>
      box === 'outbox'
        ? mine.includes(r.sender)
        : mine.includes(r.recipient) || r.copies.some((c) => mine.includes(c)),
    )
    .filter((r) => !query.status || query.status.includes(r.status))
    .filter((r) => !query.urgency || r.urgency === query.urgency)
    .filter((r) => !query.category || r.category === query.category)
    .filter((r) => !query.from || r.createdAt >= new Date(query.from))
    .filter((r) => !query.to || r.createdAt < new Date(query.to))
    .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || (a.id < b.id ? 1 : -1))
    .map((r) => r.id);
}

/** Every page of the box, following the cursor as the route does (referrals/queries.ts). */
async function paged(mine: string[], query: Omit<ReferralListQuery, 'cursor'>) {
  const repository = createReferralsRepository({ dataSource: ds } as ReferralsContext);
  const ids: string[] = [];
  let cursor: string | undefined;
  for (let pages = 0; pages < 1000; pages++) {
    const found = await repository.listPage(mine, { ...query, cursor });
    expect(found.length).toBeLessThanOrEqual(query.limit + 1);
    const page = found.slice(0, query.limit);
    ids.push(...page.map((r) => r.id));
    if (found.length <= query.limit) {
      return { ids, pages: pages + 1 };
    }
    cursor = repository.cursorAfter(page[page.length - 1]!);
  }
  throw new Error('the cursor never ended');
}

const [a, b, c] = units as [string, string, string];
const cases: Array<[string, 'inbox' | 'outbox', string[], Partial<ReferralListQuery>]> = [
  ['one unit', 'inbox', [a], {}],
  ['two units (a referral to both is listed once)', 'inbox', [a, b], {}],
  ['three units, open ones', 'inbox', [a, b, c], { status: ['sent', 'received'] }],
  ['acute and open', 'inbox', [b], { urgency: 'acute', status: ['sent', 'received'] }],
  [
    'a category in a period',
    'inbox',
    [a, c],
    {
      category: 'other',
      from: new Date(base + 2 * DAY_MS).toISOString(),
      to: new Date(base + 300 * DAY_MS).toISOString(),
    },
  ],
  ['outbox, one unit', 'outbox', [a], {}],
  ['outbox, two units, closed', 'outbox', [b, c], { status: ['closed'] }],
  ['outbox from a time on', 'outbox', [c], { from: new Date(base + 3 * DAY_MS).toISOString() }],
];

describe.each(cases)('%s', (_name, box, mine, filters) => {
  it.each([1, 3, 7, 100])('gives each referral once, newest first, %i a page', async (limit) => {
    const want = expected(box, mine, filters);
    expect(want.length).toBeGreaterThan(0);
    const got = await paged(mine, { box, limit, ...filters });
    expect(got.ids).toEqual(want);
    expect(got.pages).toBe(Math.max(1, Math.ceil(want.length / limit)));
  });
});

it('lists a referral as it is stored (every field but its envelope)', async () => {
  const repository = createReferralsRepository({ dataSource: ds } as ReferralsContext);
  const page = await repository.listPage([a, b], { box: 'inbox', limit: 50 });
  expect(page.length).toBe(51);
  for (const listed of page) {
    const stored = await repository.findById(listed.id);
    expect(referralView(listed)).toEqual(referralView(stored!));
    expect((listed as { envelope?: unknown }).envelope).toBeUndefined();
  }
});

it('lists nothing for units with no referrals', async () => {
  const repository = createReferralsRepository({ dataSource: ds } as ReferralsContext);
  expect(await repository.listPage([randomUUID()], { box: 'inbox', limit: 10 })).toEqual([]);
});

// A page's statement is prepared (poolQuery): planning it took longer than running it at
// 1,000,000 referrals (bench/referrals-scale). With the unit and the limit as the statement
// writes them, Postgres's generic plan costs no more than a custom one, so that after its five
// custom plans it keeps the generic one: the plan shows parameters ($2), not the values given.
it.each([
  ['an inbox', 'inbox'],
  ['an outbox', 'outbox'],
] as const)('%s page is planned once, then runs on its generic plan', async (_name, box) => {
  const listed = listedColumns(ds.getRepository(ReferralEntity).metadata.columns);
  const tables = {
    referrals: ds.getRepository(ReferralEntity).metadata.tablePath,
    copyEntries: ds.getRepository(ReferralCopyEntryEntity).metadata.tablePath,
  };
  const runner = ds.createQueryRunner();
  try {
    for (const after of [undefined, { c: new Date().toISOString(), i: randomUUID() }]) {
      const page = boxPageStatement(tables, listed, [a], { box, limit: 25 }, after);
      expect(page.prepare).toBe(true);
      const name = `page_${box}_${after ? 'after' : 'first'}`;
      const types = after ? '(uuid, timestamptz, uuid)' : '(uuid)';
      await runner.query(`PREPARE ${name} ${types} AS ${page.sql}`);
      // The values are uuids and times: written as literals (EXECUTE takes no parameters).
      const execute = `EXECUTE ${name} (${page.params.map((v) => `'${String(v)}'`).join(', ')})`;
      for (let i = 0; i < 6; i++) {
        await runner.query(execute);
      }
      const plan = (await runner.query(`EXPLAIN ${execute}`)) as Array<{
        'QUERY PLAN': string;
      }>;
      const text = plan.map((row) => row['QUERY PLAN']).join('\n');
      expect(text).toContain('$1');
      expect(text).not.toContain(a);
      await runner.query(`DEALLOCATE ${name}`);
    }
  } finally {
    await runner.release();
  }
});
