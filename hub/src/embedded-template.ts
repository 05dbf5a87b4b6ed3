/**
 * The embedded hub's migrated database template: a stopped PGlite cluster in which the three
 * services' schemas and migrations have run (tables, indexes, triggers; no rows, no keys), kept
 * in node_modules/.cache/samverkan/ by `npm install`'s prepare step. A fresh data folder starts
 * as a copy of it instead of unpacking an empty cluster and running ~40 migrations.
 *
 * Its name carries a hash of every migration file, so a template made before a migration was
 * added or edited is never used: the start then runs the migrations as without a template (and
 * `npm run prepare` makes a current one).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { DIRECTORY_ENTITIES } from '@samverkan/directory/src/entities';
import { DIRECTORY_MIGRATIONS } from '@samverkan/directory/src/migrations';
import { NOTIFICATIONS_ENTITIES } from '@samverkan/notifications/src/entities';
import { NOTIFICATIONS_MIGRATIONS } from '@samverkan/notifications/src/migrations';
import { REFERRALS_ENTITIES } from '@samverkan/referrals/src/entities';
import { REFERRALS_MIGRATIONS } from '@samverkan/referrals/src/migrations';
import { makeMigratedTemplate, openServiceDatabase, pgliteCache } from '@samverkan/shared';

const ROOT = path.resolve(__dirname, '../..');
/** The services' schemas, migrated in this order (each as the service does when it starts). */
const SCHEMAS = [
  {
    schema: 'notifications',
    entities: NOTIFICATIONS_ENTITIES,
    migrations: NOTIFICATIONS_MIGRATIONS,
  },
  { schema: 'referrals', entities: REFERRALS_ENTITIES, migrations: REFERRALS_MIGRATIONS },
  { schema: 'directory', entities: DIRECTORY_ENTITIES, migrations: DIRECTORY_MIGRATIONS },
];

/** sha256 over every service's migration files (names and contents), in a stable order. */
function migrationsHash(): string {
  const hash = crypto.createHash('sha256');
  for (const service of SCHEMAS.map((s) => s.schema).sort()) {
    const dir = path.join(ROOT, 'services', service, 'src', 'migrations');
    for (const name of fs.readdirSync(dir).sort()) {
      hash.update(`${service}/${name}\0`);
      hash.update(fs.readFileSync(path.join(dir, name)));
      hash.update('\0');
    }
  }
  return hash.digest('hex').slice(0, 16);
}

/** Where the template for this PGlite version and these migrations is (or would be) kept. */
export function migratedTemplatePath(): string | undefined {
  const cache = pgliteCache();
  return cache && path.join(cache.dir, `pglite-${cache.version}-schemas-${migrationsHash()}`);
}

/**
 * Makes the template if it is not there (removing templates of older migrations); returns its
 * path. Run by the prepare step (scripts/prepare-embedded-postgres.ts).
 */
export async function prepareMigratedTemplate(): Promise<string | undefined> {
  const target = migratedTemplatePath();
  if (!target || fs.existsSync(path.join(target, 'PG_VERSION'))) {
    return target;
  }
  await makeMigratedTemplate(target, async (url) => {
    for (const { schema, entities, migrations } of SCHEMAS) {
      // Exactly what each service does when it opens its database on start.
      const dataSource = await openServiceDatabase({ url, schema, entities, migrations });
      await dataSource.destroy();
    }
  });
  const dir = path.dirname(target);
  for (const name of fs.readdirSync(dir)) {
    if (/-schemas-[0-9a-f]+$/.test(name) && path.join(dir, name) !== target) {
      fs.rmSync(path.join(dir, name), { recursive: true, force: true });
    }
  }
  return target;
}
