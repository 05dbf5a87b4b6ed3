import { openServiceDatabase, pendingSchemaChanges } from '@samverkan/shared';
import { createTestDatabase, type TestDatabase } from '@samverkan/shared/src/testing';
import type { DataSource } from 'typeorm';
import { DIRECTORY_ENTITIES } from '../src/entities';
import { DIRECTORY_MIGRATIONS } from '../src/migrations';

let db: TestDatabase;
let ds: DataSource;

beforeAll(async () => {
  db = await createTestDatabase('mig');
  ds = await openServiceDatabase({
    url: db.url,
    schema: 'directory',
    entities: DIRECTORY_ENTITIES,
    migrations: DIRECTORY_MIGRATIONS,
    poolSize: 2,
  });
});

afterAll(async () => {
  await ds?.destroy();
  await db?.drop();
});

it('the committed migrations produce exactly what the entities describe', async () => {
  // The same comparison `typeorm migration:generate --check` makes.
  expect(await pendingSchemaChanges(ds)).toEqual([]);
});

it('migrations run on an up-to-date schema are a no-op, and revert cleanly', async () => {
  expect(await ds.runMigrations()).toEqual([]);
  for (let i = 0; i < DIRECTORY_MIGRATIONS.length; i += 1) {
    await ds.undoLastMigration();
  }
  const tables = (await ds.query(
    `SELECT table_name FROM information_schema.tables WHERE table_schema = 'directory' AND table_name <> 'migrations'`,
  )) as unknown[];
  expect(tables).toEqual([]);
  expect(await ds.runMigrations()).toHaveLength(DIRECTORY_MIGRATIONS.length);
  expect(await pendingSchemaChanges(ds)).toEqual([]);
});

it('replicas starting at once on an empty database migrate it once, without colliding', async () => {
  const fresh = await createTestDatabase('mig');
  const open = () =>
    openServiceDatabase({
      url: fresh.url,
      schema: 'directory',
      entities: DIRECTORY_ENTITIES,
      migrations: DIRECTORY_MIGRATIONS,
      poolSize: 2,
    });
  try {
    const sources = await Promise.all([open(), open(), open()]);
    const applied = (await sources[0]!.query(
      'SELECT count(*)::int AS n FROM directory.migrations',
    )) as Array<{ n: number }>;
    expect(applied[0]!.n).toBe(DIRECTORY_MIGRATIONS.length);
    await Promise.all(sources.map((s) => s.destroy()));
  } finally {
    await fresh.drop();
  }
});
