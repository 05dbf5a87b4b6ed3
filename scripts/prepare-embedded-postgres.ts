// Run by scripts/prepare-web.js (`npm install`'s prepare step): makes the embedded Postgres's
// templates in node_modules/.cache/samverkan/: the initialised cluster (so that a fresh data
// folder never waits for initdb) and the migrated one (the three services' schemas, no rows and
// no keys: a fresh data folder starts as a copy of it; hub/src/embedded-template.ts). Never fails
// the install: without them, the first start makes the first and runs the migrations itself.
import { freshClusterTemplate } from '../shared/src/db/embedded-postgres';
import { prepareMigratedTemplate } from '../hub/src/embedded-template';

async function main(): Promise<void> {
  await freshClusterTemplate();
  await prepareMigratedTemplate();
}

main().catch((err: unknown) => {
  process.stderr.write(
    `embedded Postgres template not made (the first start makes it): ${String(err)}\n`,
  );
});
