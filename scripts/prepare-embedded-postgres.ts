// Run by scripts/prepare-web.js (`npm install`'s prepare step): makes the embedded Postgres's initialised-cluster
// template (node_modules/.cache/samverkan/), so that the first `npm start` on a fresh data folder
// unpacks it instead of running initdb into the folder. Never fails the install: without the
// template, the first start makes it.
import { freshClusterTemplate } from '../shared/src/db/embedded-postgres';

freshClusterTemplate().catch((err: unknown) => {
  process.stderr.write(
    `embedded Postgres template not made (the first start makes it): ${String(err)}\n`,
  );
});
