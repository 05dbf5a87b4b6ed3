// `npm install`'s prepare step: builds the web front door (web/dist) so that `npm start` serves
// it at once (README's two commands do all the set-up). Skipped where the web workspace or its
// build tool is not installed, as in the services' container images (they install production
// dependencies only and do not carry web/); the gateway image builds it itself.
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
if (
  !fs.existsSync(path.join(root, 'web', 'package.json')) ||
  !fs.existsSync(path.join(root, 'node_modules', 'vite', 'package.json'))
) {
  process.exit(0);
}
execFileSync('npm', ['run', 'build', '--workspace', 'web'], { cwd: root, stdio: 'inherit' });

// The embedded hub compiled to JavaScript (scripts/build-hub.js), so that the first `npm start`
// does not compile it. Not needed for the install to succeed: `npm start` builds it when missing.
try {
  execFileSync(process.execPath, [path.join('scripts', 'build-hub.js')], {
    cwd: root,
    stdio: 'inherit',
  });
} catch {
  // the first start builds it
}

// The embedded Postgres's initialised-cluster template (node_modules/.cache/samverkan/), so the
// first `npm start` on a fresh data folder unpacks it instead of running initdb into the folder
// (shared/src/db/embedded-postgres.ts). Not needed for the install to succeed.
try {
  execFileSync(
    process.execPath,
    [require.resolve('tsx/cli'), path.join('scripts', 'prepare-embedded-postgres.ts')],
    { cwd: root, stdio: 'inherit' },
  );
} catch {
  // the first start makes the template
}
