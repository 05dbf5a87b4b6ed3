/**
 * `npm run test:quick`: the contributor's loop — type-check, lint, the unit tests and the
 * quickest integration tests (a database per file, as in `npm test`), each step timed. Run
 * `npm test` (everything, several minutes) before handing in.
 *
 * Type-check and lint keep caches in node_modules/.cache/samverkan, so a second run only
 * re-checks what changed; they run two at a time (scripts/checks.ts). Then one jest run takes
 * the unit tests and the quick integration tests together (one jest start, both workers busy).
 * The integration tests picked here need PostgreSQL but not Chromium.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { bin, cache, formatCheck, root, runChecks, tsc, type Check } from './checks';

/** Fast, and between them they start every service against a real database. */
const QUICK_INTEGRATION = [
  'services/directory/test/migrations.test.ts',
  'services/referrals/test/migrations.test.ts',
  'services/notifications/test/migrations.test.ts',
  'services/directory/test/smoke.test.ts',
];

const checks: Check[] = [
  ['type-check', ...tsc('tsconfig.json', 'tsconfig.tsbuildinfo')],
  ['lint', bin('eslint'), ['--cache', '--cache-location', path.join(cache, 'eslint'), '.']],
  formatCheck('format'),
];

async function main(): Promise<void> {
  const started = Date.now();
  await runChecks(checks, 'type-check, lint and format');

  const at = Date.now();
  process.stdout.write('\n▶ unit tests and quick integration tests\n');
  // Every unit spec, and of the integration files only the quick ones (jest ORs the patterns).
  const result = spawnSync(bin('jest'), ['--silent', '\\.spec\\.ts$', ...QUICK_INTEGRATION], {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, SAMVERKAN_PREFLIGHT_BROWSER: 'skip' },
    shell: process.platform === 'win32',
  });
  const seconds = ((Date.now() - at) / 1000).toFixed(1);
  if (result.status !== 0) {
    process.stderr.write(`✖ tests failed after ${seconds} s\n`);
    process.exit(result.status ?? 1);
  }
  process.stdout.write(`✔ tests (${seconds} s)\n`);
  process.stdout.write(
    `\ntest:quick passed in ${((Date.now() - started) / 1000).toFixed(0)} s; run npm test before handing in\n`,
  );
}

void main();
