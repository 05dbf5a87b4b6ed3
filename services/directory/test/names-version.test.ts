/**
 * The look-alike index (units/name-index.ts) is kept in each replica's memory and rebuilt when a
 * read sees a newer names' version than the one it was built from (migration
 * 1797061000000-NamesVersion: triggers move the version in the transaction of any change to a
 * name). Two replicas share one database: a rename made through one must change what the other
 * shows at its next read — never a stale index.
 */
import { DEMO_ORGANISATIONS as O, DEMO_UNITS as U } from '@samverkan/shared';
import { buildDirectory, type TestDirectory } from './helpers/build';

let a: TestDirectory;
let b: TestDirectory;

beforeAll(async () => {
  a = await buildDirectory();
  // The second replica: the same database and data folder (so the same dev issuer), no seeding.
  b = await buildDirectory({
    seed: false,
    env: { DATABASE_URL: a.db.url, SAMVERKAN_DATA_DIR: a.dataDir },
  });
}, 180_000);
afterAll(async () => {
  await b?.close();
  await a?.close();
});

const NOVAHUSET_UNIT = 'Novahuset stödsamtal';

/** A unit as a replica shows it, read with a token of the first replica's dev issuer. */
async function unitOn(replica: TestDirectory, id: string) {
  const res = await replica.app.inject({
    method: 'GET',
    url: `/v1/units/${id}`,
    headers: { authorization: `Bearer ${await a.token('police.officer')}` },
  });
  expect(res.statusCode).toBe(200);
  return res.json() as {
    name: string;
    mistakableFor: Array<{ organisationId: string; name: string }>;
  };
}

async function namesVersion(): Promise<number> {
  const rows = (await a.app.directory.context.dataSource.query(
    'SELECT version FROM directory.names_version',
  )) as Array<{ version: string }>;
  expect(rows).toHaveLength(1);
  return Number(rows[0]!.version);
}

it('moves the names’ version on a rename only, not on other changes', async () => {
  const before = await namesVersion();
  const described = await a
    .as('novahuset.admin')
    .patch(`/v1/units/${U.novahuset}`, { description: 'Stödsamtal, även på arabiska' });
  expect(described.statusCode).toBe(200);
  expect(await namesVersion()).toBe(before);

  const renamed = await a
    .as('novahuset.admin')
    .patch(`/v1/units/${U.novahuset}`, { name: 'Novahuset samtal' });
  expect(renamed.statusCode).toBe(200);
  expect(await namesVersion()).toBeGreaterThan(before);
  const back = await a.as('novahuset.admin').patch(`/v1/units/${U.novahuset}`, {
    name: NOVAHUSET_UNIT,
  });
  expect(back.statusCode).toBe(200);
});

it('a rename through one replica changes the look-alikes the other replica shows next', async () => {
  const ds = a.app.directory.context.dataSource;
  const coordinator = await unitOn(a, U.coordinator);
  // A look-alike stored before the rule (straight in SQL: the API refuses it): both replicas
  // build their index with it.
  const lookAlike = coordinator.name.replace(/o/g, '\u043e');
  await ds.query('UPDATE directory.units SET name = $1 WHERE id = $2', [lookAlike, U.novahuset]);
  try {
    for (const replica of [a, b]) {
      expect((await unitOn(replica, U.coordinator)).mistakableFor).toEqual([
        { organisationId: O.novahuset, name: lookAlike },
      ]);
    }

    // Renamed through the first replica: the second shows the coordinator unflagged at once.
    const renamed = await a
      .as('novahuset.admin')
      .patch(`/v1/units/${U.novahuset}`, { name: NOVAHUSET_UNIT });
    expect(renamed.statusCode).toBe(200);
    expect((await unitOn(b, U.coordinator)).mistakableFor).toEqual([]);
    expect((await unitOn(b, U.novahuset)).name).toBe(NOVAHUSET_UNIT);

    // A look-alike again, straight in SQL: each replica flags it at its next read.
    await ds.query('UPDATE directory.units SET name = $1 WHERE id = $2', [lookAlike, U.novahuset]);
    expect((await unitOn(b, U.coordinator)).mistakableFor).toHaveLength(1);
    const search = await a.as('police.officer').get('/v1/units?limit=100');
    const items = search.json().items as Array<{ id: string; mistakableFor: unknown[] }>;
    expect(items.find((u) => u.id === U.coordinator)!.mistakableFor).toEqual([
      { organisationId: O.novahuset, name: lookAlike },
    ]);
  } finally {
    await ds.query('UPDATE directory.units SET name = $1 WHERE id = $2', [
      NOVAHUSET_UNIT,
      U.novahuset,
    ]);
  }
  for (const replica of [a, b]) {
    expect((await unitOn(replica, U.coordinator)).mistakableFor).toEqual([]);
  }
});
