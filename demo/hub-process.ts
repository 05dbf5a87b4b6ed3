/**
 * The embedded hub for the demo: `scripts/start.js` (what `npm start` runs: hub/src/main.ts
 * compiled, rebuilt first when a source changed) as a child process on
 * a free port with a fresh data folder, ready once `/readyz` answers 200.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';

export const repoRoot = path.resolve(__dirname, '..');

export interface HubProcess {
  url: string;
  dataDir: string;
  child: ChildProcess;
  output(): string;
  stop(): Promise<number | null>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address
          ? resolve(address.port)
          : reject(new Error('no free port')),
      );
    });
  });
}

/** The caller's database, events and auth configuration must not leak into the demo hub. */
function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.entries(process.env).filter(
      ([k]) =>
        !/^(DATABASE_URL|[A-Z]+_DATABASE_URL|NATS_URL|EVENTS_.*|PORT|HOST|SAMVERKAN_DATA_DIR|AUTH_.*|SEED_DEMO_DATA|LOG_LEVEL)$/.test(
          k,
        ),
    ),
  );
}

export async function startHub(dataDir: string, timeoutMs = 120_000): Promise<HubProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, ['scripts/start.js'], {
    cwd: repoRoot,
    env: {
      ...cleanEnv(),
      LOG_LEVEL: 'warn',
      HOST: '127.0.0.1',
      PORT: String(port),
      SAMVERKAN_DATA_DIR: dataDir,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const url = `http://127.0.0.1:${port}`;
  const stop = () =>
    new Promise<number | null>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) {
        resolve(child.exitCode);
        return;
      }
      child.once('exit', (code) => resolve(code));
      child.kill('SIGTERM');
    });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(
        `the hub exited (${child.exitCode ?? child.signalCode}) before it was ready:\n${out}`,
      );
    }
    const res = await fetch(`${url}/readyz`).catch(() => undefined);
    if (res?.status === 200) {
      break;
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`the hub did not become ready within ${timeoutMs / 1000} s:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return { url, dataDir, child, output: () => out, stop };
}
