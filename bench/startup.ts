/**
 * Start-up time of the embedded hub (`npm start`): from spawning the process to the first 200
 * on `/readyz`, once on a fresh data folder (PGlite initialised, migrations, demo seed, keys
 * generated) and once more on the same folder (a second start).
 *
 * Run: `npm run bench:startup`. Options: BENCH_STARTUP_PORT (default 23456),
 * BENCH_STARTUP_RUNS (fresh starts to take the median of, default 1), BENCH_STARTUP_ROOT (another
 * checkout to start, to compare). Ends with one JSON line.
 * The target (issue 15) is ready in < 10 s on a fresh data folder.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const port = Number(process.env.BENCH_STARTUP_PORT ?? 23456);
const runs = Math.max(1, Number(process.env.BENCH_STARTUP_RUNS ?? 1));
/** the checkout to start (BENCH_STARTUP_ROOT compares another one, e.g. before a change) */
const root = path.resolve(process.env.BENCH_STARTUP_ROOT ?? path.resolve(__dirname, '..'));
const TIMEOUT_MS = 300_000;

/** CPU time the process has used (Linux: /proc), in ms; a fairer figure on a shared machine. */
function cpuMs(pid: number | undefined): number | null {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return Math.round(((Number(fields[11]) + Number(fields[12])) * 1000) / 100);
  } catch {
    return null;
  }
}

async function ready(): Promise<boolean> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/readyz`);
    return response.status === 200;
  } catch {
    return false;
  }
}

function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) {
      return resolve();
    }
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

/** Starts the hub on `dataDir` the way `npm start` does and times it until `/readyz` says 200. */
async function startOnce(dataDir: string): Promise<{ ms: number; cpuMs: number | null }> {
  const started = performance.now();
  // The embedded mode: no outside Postgres, in-process events.
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    SAMVERKAN_DATA_DIR: dataDir,
    PORT: String(port),
    LOG_LEVEL: 'warn',
  };
  delete env.DATABASE_URL;
  delete env.NATS_URL;
  // `npm start` is `node scripts/start.js` (the compiled hub, rebuilt when a source changed); in a
  // checkout from before it, `tsx hub/src/main.ts` with tsx's loader in the one process, so that
  // its CPU time is the hub's.
  const command = fs.existsSync(path.join(root, 'scripts', 'start.js'))
    ? ['scripts/start.js']
    : ['--import', 'tsx', 'hub/src/main.ts'];
  const child = spawn(process.execPath, command, {
    cwd: root,
    env,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  try {
    for (;;) {
      if (child.exitCode !== null) {
        throw new Error(`the hub exited with ${child.exitCode}`);
      }
      if (performance.now() - started > TIMEOUT_MS) {
        throw new Error('the hub was not ready');
      }
      if (await ready()) {
        return { ms: performance.now() - started, cpuMs: cpuMs(child.pid) };
      }
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  } finally {
    await stop(child);
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
}

async function main(): Promise<void> {
  if (await ready()) {
    throw new Error(`something already answers on port ${port}`);
  }
  const fresh: number[] = [];
  const second: number[] = [];
  const freshCpu: number[] = [];
  for (let i = 0; i < runs; i++) {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'samverkan-startup-'));
    try {
      const first = await startOnce(dataDir);
      fresh.push(first.ms);
      freshCpu.push(first.cpuMs ?? NaN);
      second.push((await startOnce(dataDir)).ms);
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  }
  const freshMs = Math.round(median(fresh));
  const secondMs = Math.round(median(second));
  process.stdout.write(
    `fresh data folder: ${(freshMs / 1000).toFixed(1)} s to ready (${(median(freshCpu) / 1000).toFixed(1)} s of CPU); second start: ${(secondMs / 1000).toFixed(1)} s ` +
      `(load ${os.loadavg()[0]?.toFixed(1)})\n`,
  );
  process.stdout.write(
    `${JSON.stringify({
      bench: 'startup',
      freshMs,
      secondStartMs: secondMs,
      freshCpuMs: Number.isNaN(median(freshCpu)) ? null : Math.round(median(freshCpu)),
      targetMs: 10_000,
      runs,
      load1: Number(os.loadavg()[0]?.toFixed(2)),
    })}\n`,
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
