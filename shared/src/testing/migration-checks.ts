import type { DataSource, EntitySchema, MixedList } from 'typeorm';
import { openServiceDatabase, pendingSchemaChanges } from '../db/data-source';
import { createTestDatabase, type TestDatabase } from './test-infra';

/**
 * The checks every service's migrations must pass, as jest tests: the committed migrations
 * produce exactly what the entities describe (what `typeorm migration:generate --check` compares),
 * they revert cleanly and apply again, and replicas starting together migrate once.
 */
export function describeMigrations(options: {
  schema: string;
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  entities: MixedList<Function | string | EntitySchema>;
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  migrations: Array<Function>;
}): void {
  const open = (url: string) =>
    openServiceDatabase({
      url,
      schema: options.schema,
      entities: options.entities,
      migrations: options.migrations,
      poolSize: 2,
    });

  describe(`${options.schema} migrations`, () => {
    let db: TestDatabase;
    let ds: DataSource;
    beforeAll(async () => {
      db = await createTestDatabase('mig');
      ds = await open(db.url);
    });
    afterAll(async () => {
      await ds?.destroy();
      await db?.drop();
    });

    it('produce exactly what the entities describe', async () => {
      expect(await pendingSchemaChanges(ds)).toEqual([]);
    });

    it('are a no-op when up to date, revert cleanly and apply again', async () => {
      expect(await ds.runMigrations()).toEqual([]);
      for (let i = 0; i < options.migrations.length; i += 1) {
        await ds.undoLastMigration();
      }
      const tables = (await ds.query(
        `SELECT table_name FROM information_schema.tables WHERE table_schema = $1 AND table_name <> 'migrations'`,
        [options.schema],
      )) as unknown[];
      expect(tables).toEqual([]);
      // …and the comparison sees what is missing then (it would pass an empty answer otherwise).
      expect((await pendingSchemaChanges(ds)).join('\n')).toMatch(/CREATE TABLE/);
      expect(await ds.runMigrations()).toHaveLength(options.migrations.length);
      expect(await pendingSchemaChanges(ds)).toEqual([]);
    });

    it('run once when replicas start together on an empty database', async () => {
      const fresh = await createTestDatabase('mig');
      try {
        const sources = await Promise.all([open(fresh.url), open(fresh.url), open(fresh.url)]);
        const [row] = (await sources[0]!.query(
          `SELECT count(*)::int AS n FROM "${options.schema}".migrations`,
        )) as Array<{ n: number }>;
        expect(row!.n).toBe(options.migrations.length);
        await Promise.all(sources.map((s) => s.destroy()));
      } finally {
        await fresh.drop();
      }
    });
  });
}
