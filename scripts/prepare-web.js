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
