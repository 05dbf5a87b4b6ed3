import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';

/**
 * Test infrastructure: each test file gets its own database and its own event subjects and
 * streams on the real Postgres and NATS, and removes them afterwards, so files run in parallel.
 */
export function testDatabaseAdminUrl(): string {
  return process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
}

export function testNatsUrl(): string {
  return process.env.TEST_NATS_URL ?? 'nats://127.0.0.1:4222';
}

export function uniqueName(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
}

export interface TestDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

export async function createTestDatabase(prefix = 't'): Promise<TestDatabase> {
  const admin = testDatabaseAdminUrl();
  const name = uniqueName(prefix).toLowerCase();
  const client = new Client({ connectionString: admin });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE "${name}"`);
  } finally {
    await client.end();
  }
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    async drop() {
      const c = new Client({ connectionString: admin });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}

export interface TestEventNaming {
  subjectPrefix: string;
  streamPrefix: string;
}

export function testEventNaming(): TestEventNaming {
  const id = uniqueName('t').replace(/[^A-Za-z0-9_]/g, '_');
  return { subjectPrefix: id, streamPrefix: id.toUpperCase() };
}

/** Deletes every stream whose name starts with the prefix. */
export async function deleteTestStreams(natsUrl: string, streamPrefix: string): Promise<void> {
  const nc = await connect({ servers: natsUrl, timeout: 3000 });
  try {
    const jsm = await jetstreamManager(nc);
    for await (const name of jsm.streams.names()) {
      if (name.startsWith(streamPrefix)) {
        await jsm.streams.delete(name);
      }
    }
  } finally {
    await nc.close();
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address
          ? resolve(address.port)
          : reject(new Error('no port')),
      );
    });
  });
}

export interface NatsServerProcess {
  url: string;
  port: number;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** stops and removes its storage */
  destroy(): Promise<void>;
}

/** A private nats-server (JetStream, own storage folder) that a test may stop and start again. */
export async function startNatsServer(
  binary = process.env.NATS_SERVER_BIN ?? '/usr/sbin/nats-server',
): Promise<NatsServerProcess> {
  const port = await freePort();
  const storeDir = fs.mkdtempSync(path.join(os.tmpdir(), 'samverkan-nats-'));
  let child: ChildProcess | undefined;

  async function waitFor(open: boolean): Promise<void> {
    for (let i = 0; i < 100; i += 1) {
      const isOpen = await new Promise<boolean>((resolve) => {
        const s = net.connect({ host: '127.0.0.1', port });
        s.once('connect', () => {
          s.destroy();
          resolve(true);
        });
        s.once('error', () => resolve(false));
      });
      if (isOpen === open) {
        return;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`nats-server on ${port} did not ${open ? 'start' : 'stop'}`);
  }

  const server: NatsServerProcess = {
    url: `nats://127.0.0.1:${port}`,
    port,
    async start() {
      child = spawn(binary, ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', storeDir], {
        stdio: 'ignore',
      });
      await waitFor(true);
    },
    async stop() {
      if (child && child.exitCode === null) {
        const exited = new Promise((r) => child!.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      child = undefined;
      await waitFor(false);
    },
    async destroy() {
      await server.stop();
      fs.rmSync(storeDir, { recursive: true, force: true });
    },
  };
  await server.start();
  return server;
}

/** Polls `check` until it returns a value (not undefined) or the time is up. */
export async function eventually<T>(
  check: () => Promise<T | undefined>,
  timeoutMs = 15_000,
  intervalMs = 50,
): Promise<T> {
  const until = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) {
        return value;
      }
    } catch (err) {
      last = err;
    }
    if (Date.now() > until) {
      throw new Error(
        `condition not met in ${timeoutMs} ms${last ? `: ${(last as Error).message}` : ''}`,
      );
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

export interface TcpProxy {
  port: number;
  /** refuse new connections and cut the open ones, as a crashed server would */
  cut(): Promise<void>;
  /** accept connections again on the same port */
  restore(): Promise<void>;
  close(): Promise<void>;
}

/** A loopback TCP proxy, to take a real server (Postgres, NATS) away from a process and back. */
export async function startTcpProxy(
  targetPort: number,
  targetHost = '127.0.0.1',
): Promise<TcpProxy> {
  const sockets = new Set<net.Socket>();
  const port = await freePort();
  let server: net.Server | undefined;

  const listen = () =>
    new Promise<void>((resolve, reject) => {
      if (server) {
        resolve();
        return;
      }
      server = net.createServer((client) => {
        const upstream = net.connect({ host: targetHost, port: targetPort });
        sockets.add(client);
        sockets.add(upstream);
        const drop = () => {
          client.destroy();
          upstream.destroy();
          sockets.delete(client);
          sockets.delete(upstream);
        };
        client.on('error', drop).on('close', drop);
        upstream.on('error', drop).on('close', drop);
        client.pipe(upstream).pipe(client);
      });
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });

  const cut = async () => {
    const s = server;
    server = undefined;
    for (const socket of sockets) {
      socket.destroy();
    }
    sockets.clear();
    if (s) {
      await new Promise<void>((resolve) => s.close(() => resolve()));
    }
  };

  await listen();
  return { port, cut, restore: listen, close: cut };
}
