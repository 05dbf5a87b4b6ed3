/**
 * `npm test`'s checks before jest, two at a time (or as many as the machine has cores): the type
 * check of both tsconfigs, the API contracts, the lockfile, eslint and prettier. Each is
 * single-threaded, so on two cores this takes about half as long as running them one after the
 * other. Each check's output is printed whole when it ends, with its time; the first failure
 * fails the run (the others still finish so that all problems show at once).
 *
 * tsc and prettier keep caches in node_modules/.cache/samverkan (shared with `npm run
 * test:quick`): a clean clone checks everything, a second run only what changed. eslint runs
 * without its cache here: its rules read types (no-floating-promises, switch-exhaustiveness-check),
 * and its cache would keep a file's old verdict when only a type it uses changed elsewhere.
 * `npm run typecheck` and `npm run lint` stay the uncached, one-at-a-time commands.
 */
import { spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';

export const root = path.resolve(__dirname, '..');
export const cache = path.join(root, 'node_modules', '.cache', 'samverkan');
export const bin = (name: string) => path.join(root, 'node_modules', '.bin', name);

/** What `npm run lint` checks and `npm run format` formats (scripts/prettier-files.js). */
// eslint-disable-next-line @typescript-eslint/no-require-imports -- a CommonJS script without types
const { PRETTIER_FILES } = require('./prettier-files.js') as { PRETTIER_FILES: string[] };

export const tsc = (project: string, buildInfo: string): [string, string[]] => [
  bin('tsc'),
  ['-p', project, '--noEmit', '--incremental', '--tsBuildInfoFile', path.join(cache, buildInfo)],
];

export type Check = [name: string, command: string, args: string[]];

/** prettier's check of what `npm run lint` formats, with its cache. */
export const formatCheck = (name: string): Check => [
  name,
  bin('prettier'),
  [
    '--check',
    '--cache',
    '--cache-location',
    path.join(cache, 'prettier'),
    '--log-level',
    'warn',
    ...PRETTIER_FILES,
  ],
];

/** Slowest first, so that the two lanes end at about the same time. */
const CHECKS: Check[] = [
  ['type-check (tsconfig.json)', ...tsc('tsconfig.json', 'tsconfig.tsbuildinfo')],
  ['lint (eslint)', bin('eslint'), ['.']],
  ['type-check (web/tsconfig.json)', ...tsc('web/tsconfig.json', 'web.tsbuildinfo')],
  ['contracts (generated types)', bin('tsx'), ['scripts/gen-types.ts', '--check']],
  formatCheck('format (prettier)'),
  ['contracts (redocly lint)', bin('redocly'), ['lint', '--config', 'openapi/redocly.yaml']],
  ['lockfile', bin('tsx'), ['scripts/check-lockfile.ts']],
];

interface Outcome {
  name: string;
  code: number | null;
  seconds: number;
}

function run([name, command, args]: Check): Promise<Outcome> {
  const at = Date.now();
  return new Promise((resolve) => {
    const child = spawn(command, args, {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
      shell: process.platform === 'win32',
    });
    const output: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => output.push(d));
    child.stderr.on('data', (d: Buffer) => output.push(d));
    const done = (code: number | null) => {
      const seconds = (Date.now() - at) / 1000;
      const text = Buffer.concat(output).toString().trimEnd();
      const mark = code === 0 ? '✔' : '✖';
      process.stdout.write(`${mark} ${name} (${seconds.toFixed(1)} s)\n${text ? `${text}\n` : ''}`);
      resolve({ name, code, seconds });
    };
    child.once('error', (err) => {
      output.push(Buffer.from(String(err)));
      done(null);
    });
    child.once('close', done);
  });
}

/**
 * Runs the checks, as many at a time as the machine has cores (SAMVERKAN_CHECK_LANES=1: one
 * after the other); exits with 1 when any failed.
 */
export async function runChecks(checks: Check[], what = 'checks'): Promise<void> {
  const lanes = Math.max(1, Number(process.env.SAMVERKAN_CHECK_LANES) || os.availableParallelism());
  const started = Date.now();
  const queue = [...checks];
  const outcomes: Outcome[] = [];
  await Promise.all(
    Array.from({ length: lanes }, async () => {
      for (let check = queue.shift(); check; check = queue.shift()) {
        outcomes.push(await run(check));
      }
    }),
  );
  const failed = outcomes.filter((o) => o.code !== 0);
  const total = ((Date.now() - started) / 1000).toFixed(0);
  if (failed.length > 0) {
    process.stderr.write(`${what} failed: ${failed.map((o) => o.name).join(', ')} (${total} s)\n`);
    process.exit(1);
  }
  process.stdout.write(`${what} passed in ${total} s (${lanes} at a time)\n`);
}

if (require.main === module) {
  void runChecks(CHECKS);
}
