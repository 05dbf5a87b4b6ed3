/**
 * Starting the hub the ways people run it, for the end-to-end tests: the embedded all-in-one
 * process (`npm start`'s entry) and the services as separate processes (distributed mode), plus
 * `npm run token` and a small fetch client. Copied in spirit from embedded.test.ts and
 * distributed.test.ts, which keep their own.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { promisify } from 'node:util';
import { eventually, freePort } from '@samverkan/shared/src/testing';

export const root = path.resolve(__dirname, '../../..');
const tsx = path.join(root, 'node_modules', '.bin', 'tsx');
const run = promisify(execFile);

/** Nothing of the caller's own configuration may leak into the processes under test. */
export const cleanEnv = Object.fromEntries(
  Object.entries(process.env).filter(
    ([k]) =>
      !/^(DATABASE_URL|[A-Z]+_DATABASE_URL|NATS_URL|EVENTS_.*|PORT|HOST|SAMVERKAN_DATA_DIR|AUTH_.*|SEED_DEMO_DATA|LOG_LEVEL|METRICS_.*)$/.test(
        k,
      ),
  ),
);

export interface RunningProcess {
  name: string;
  child: ChildProcess;
  base: string;
  output(): string;
}

/** Starts a process and waits until its `/readyz` answers 200 (or it exits). */
async function startAndWait(
  name: string,
  args: string[],
  env: Record<string, string>,
): Promise<RunningProcess> {
  const port = await freePort();
  const child = spawn(tsx, args, {
    cwd: root,
    env: {
      ...cleanEnv,
      LOG_LEVEL: 'warn',
      HOST: '127.0.0.1',
      PORT: String(port),
      // Several processes on one host: no metrics listener unless a test asks for one.
      METRICS_PORT: '0',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const proc: RunningProcess = { name, child, base: `http://127.0.0.1:${port}`, output: () => out };
  let exited = false;
  child.once('exit', () => (exited = true));
  const outcome = await eventually(
    async () => {
      if (exited) {
        return 'exited';
      }
      const res = await fetch(`${proc.base}/readyz`).catch(() => undefined);
      return res?.status === 200 ? 'ready' : undefined;
    },
    // A cold start seeds the demo directory; on a shared, busy machine that can take minutes.
    240_000,
    250,
  ).catch((err: Error) => {
    child.kill('SIGKILL');
    throw new Error(`${name} did not become ready: ${err.message}\n${out}`);
  });
  if (outcome === 'exited') {
    throw new Error(`${name} exited with ${child.exitCode} before it was ready:\n${out}`);
  }
  return proc;
}

/** `npm start`: the embedded hub on PGlite in `dataDir`, in-process events. */
export function startEmbeddedHub(
  dataDir: string,
  env: Record<string, string> = {},
): Promise<RunningProcess> {
  // scripts/start.js as `npm start` runs it: the compiled hub, rebuilt when a source changed.
  return startAndWait('hub', ['scripts/start.js'], { SAMVERKAN_DATA_DIR: dataDir, ...env });
}

/** One service as its own process, as the container image runs it. */
export function startService(
  name: 'directory' | 'referrals',
  env: Record<string, string>,
): Promise<RunningProcess> {
  return startAndWait(name, ['--tsconfig', 'tsconfig.json', `services/${name}/src/server.ts`], env);
}

export function stopProcess(proc: RunningProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (proc.child.exitCode !== null || proc.child.signalCode !== null) {
      resolve(proc.child.exitCode);
      return;
    }
    proc.child.once('exit', (code) => resolve(code));
    proc.child.kill('SIGTERM');
  });
}

/** `npm run token -- <user>` against a data folder, remembered per user. */
export function tokens(dataDir: string) {
  const cache = new Map<string, Promise<string>>();
  return (user: string): Promise<string> => {
    if (!cache.has(user)) {
      cache.set(
        user,
        run(tsx, ['shared/src/auth/token-cli.ts', user], {
          cwd: root,
          env: { ...cleanEnv, SAMVERKAN_DATA_DIR: dataDir },
          encoding: 'utf8',
        }).then(({ stdout }) => stdout.trim()),
      );
    }
    return cache.get(user)!;
  };
}

export interface HttpResult {
  status: number;
  headers: Headers;
  text: string;
  // the tests read into answers freely; the contract tests check their shapes
  body: any;
}

/** A fetch client for one base URL and one token. */
export function http(base: string, jwt: string) {
  const send = async (
    method: 'GET' | 'POST',
    url: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<HttpResult> => {
    const res = await fetch(`${base}${url}`, {
      method,
      headers: {
        authorization: `Bearer ${jwt}`,
        ...(method === 'POST'
          ? { 'content-type': 'application/json', 'idempotency-key': randomUUID() }
          : {}),
        ...headers,
      },
      ...(method === 'POST' ? { body: JSON.stringify(body ?? {}) } : {}),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON (CSV, or an error page): keep the text
    }
    return { status: res.status, headers: res.headers, text, body: parsed };
  };
  return {
    get: (url: string, headers?: Record<string, string>) => send('GET', url, undefined, headers),
    post: (url: string, body?: unknown) => send('POST', url, body),
  };
}
