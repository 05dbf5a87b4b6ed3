/**
 * The distributed topology of docker/compose.yml, without Docker: a three-node NATS JetStream
 * cluster (Debian's nats-server, client and cluster ports on loopback, streams with three
 * replicas), N processes of each service (`tsx services/<name>/src/server.ts`, as the images run
 * them) on the local Postgres in a database of their own, and a gateway that routes `/v1/...`
 * paths to a live replica of the owning service, as nginx does in docker/.
 *
 * Used by the resilience suite (`npm run test:resilience`) and runnable on its own
 * (`npm run topology`) to try the distributed hub by hand.
 */
import httpProxy from '@fastify/http-proxy';
import Fastify, { type FastifyInstance } from 'fastify';
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { DemoUserName } from '@samverkan/shared';
import {
  createTestDatabase,
  deleteTestStreams,
  eventually,
  freePort,
  testEventNaming,
  type TestDatabase,
  type TestEventNaming,
} from '@samverkan/shared/src/testing';

export const ROOT = path.resolve(__dirname, '..');
const TSX = path.join(ROOT, 'node_modules', '.bin', 'tsx');
const NATS_BIN = process.env.NATS_SERVER_BIN ?? '/usr/sbin/nats-server';
const run = promisify(execFile);

export type ServiceName = 'directory' | 'referrals' | 'notifications';

/** Which service answers which path prefix: the same table as docker/nginx.conf. */
export const ROUTES: Record<ServiceName, string[]> = {
  directory: [
    '/v1/organisations',
    '/v1/units',
    '/v1/keys',
    '/v1/key-log',
    '/v1/issuers',
    '/v1/audit/directory',
  ],
  referrals: [
    '/v1/referrals',
    '/v1/statistics',
    '/v1/operations',
    '/v1/field-requests',
    '/v1/audit/referrals',
  ],
  notifications: [
    '/v1/notifications',
    '/v1/notification-preferences',
    '/v1/webhooks',
    '/v1/dead-letters',
    '/v1/audit/notifications',
  ],
};

// Nothing of the caller's own configuration may leak into the processes under test.
export const CLEAN_ENV = Object.fromEntries(
  Object.entries(process.env).filter(
    ([k]) =>
      !/^(DATABASE_URL|[A-Z]+_DATABASE_URL|NATS_URL|EVENTS_.*|PORT|HOST|SAMVERKAN_DATA_DIR|AUTH_.*|SEED_DEMO_DATA|LOG_LEVEL|METRICS_.*|TRUSTED_PROXIES)$/.test(
        k,
      ),
  ),
) as Record<string, string>;

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/**
 * Sends `signal` and waits for the exit. With `group`, to the child's whole process group: a
 * service runs as `tsx` with the server in a node process beneath it, and a SIGKILL of `tsx`
 * alone would leave that server running (and answering) as an orphan.
 */
function waitExit(
  child: ChildProcess | undefined,
  signal: NodeJS.Signals,
  group = false,
): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve();
  }
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    if (group && child.pid !== undefined) {
      try {
        process.kill(-child.pid, signal);
      } catch {
        child.kill(signal);
      }
    } else {
      child.kill(signal);
    }
  });
}

/** One node of the NATS cluster; its store directory survives a kill, as a disk would. */
export class NatsNode {
  child?: ChildProcess;
  constructor(
    readonly name: string,
    readonly port: number,
    readonly clusterPort: number,
    readonly monitorPort: number,
    private readonly routes: string,
    private readonly clusterName: string,
    readonly storeDir: string,
  ) {}

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && !this.child.signalCode;
  }

  async start(): Promise<void> {
    this.child = spawn(
      NATS_BIN,
      [
        '-a',
        '127.0.0.1',
        '-p',
        String(this.port),
        '-m',
        String(this.monitorPort),
        '-n',
        this.name,
        '--cluster_name',
        this.clusterName,
        '--cluster',
        `nats://127.0.0.1:${this.clusterPort}`,
        '--routes',
        this.routes,
        '-js',
        '-sd',
        this.storeDir,
      ],
      { stdio: 'ignore' },
    );
    await eventually(async () => ((await portOpen(this.port)) ? true : undefined), 20_000, 100);
  }

  async stop(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    await waitExit(this.child, signal);
    this.child = undefined;
  }
}

export class NatsCluster {
  private constructor(
    readonly nodes: NatsNode[],
    private readonly baseDir: string,
  ) {}

  static async start(size = 3): Promise<NatsCluster> {
    const baseDir = fs.mkdtempSync(path.join(os.tmpdir(), 'samverkan-nats-cluster-'));
    const ports = await Promise.all(
      Array.from({ length: size }, async () => ({
        port: await freePort(),
        cluster: await freePort(),
        monitor: await freePort(),
      })),
    );
    const routes = ports.map((p) => `nats://127.0.0.1:${p.cluster}`).join(',');
    const clusterName = `samverkan-${path.basename(baseDir).slice(-6)}`;
    const nodes = ports.map(
      (p, i) =>
        new NatsNode(
          `n${i + 1}`,
          p.port,
          p.cluster,
          p.monitor,
          routes,
          clusterName,
          path.join(baseDir, `n${i + 1}`),
        ),
    );
    const cluster = new NatsCluster(nodes, baseDir);
    await Promise.all(nodes.map((n) => n.start()));
    await cluster.waitForJetStream();
    return cluster;
  }

  /** All client URLs, comma-separated, as services take them in NATS_URL. */
  get url(): string {
    return this.nodes.map((n) => n.url).join(',');
  }

  /** Until every running node reports JetStream healthy (a meta leader is elected). */
  async waitForJetStream(timeoutMs = 60_000): Promise<void> {
    await eventually(
      async () => {
        const live = this.nodes.filter((n) => n.running);
        const healthy = await Promise.all(
          live.map(async (n) => {
            const res = await fetch(`http://127.0.0.1:${n.monitorPort}/healthz`).catch(
              () => undefined,
            );
            return res?.status === 200;
          }),
        );
        return live.length > 0 && healthy.every(Boolean) ? true : undefined;
      },
      timeoutMs,
      250,
    );
  }

  async destroy(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.stop('SIGTERM')));
    fs.rmSync(this.baseDir, { recursive: true, force: true });
  }
}

/** One process of one service, restartable on the same port. */
export class ServiceReplica {
  child?: ChildProcess;
  private out = '';
  constructor(
    readonly service: ServiceName,
    readonly index: number,
    readonly port: number,
    private readonly env: () => Record<string, string>,
  ) {}

  get base(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && !this.child.signalCode;
  }

  output(): string {
    return this.out;
  }

  async start(): Promise<void> {
    const child = spawn(
      TSX,
      ['--tsconfig', 'tsconfig.json', `services/${this.service}/src/server.ts`],
      {
        cwd: ROOT,
        env: { ...this.env(), HOST: '127.0.0.1', PORT: String(this.port), METRICS_PORT: '0' },
        stdio: ['ignore', 'pipe', 'pipe'],
        // Its own process group, so that stop() reaches the server beneath tsx.
        detached: true,
      },
    );
    this.child = child;
    const append = (d: Buffer): void => {
      // Keep the tail only: a long run must not grow without bound.
      this.out = (this.out + d.toString()).slice(-64_000);
    };
    child.stdout!.on('data', append);
    child.stderr!.on('data', append);
    await eventually(
      async () => {
        if (child.exitCode !== null || child.signalCode) {
          throw new Error(
            `${this.service}-${this.index} exited (${child.exitCode ?? child.signalCode}):\n${this.out}`,
          );
        }
        const res = await fetch(`${this.base}/readyz`).catch(() => undefined);
        return res?.status === 200 ? true : undefined;
      },
      120_000,
      250,
    );
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    await waitExit(this.child, signal, true);
    // The server may outlive tsx by a moment: wait until its port is free.
    await eventually(async () => ((await portOpen(this.port)) ? undefined : true), 30_000, 100);
  }
}

/**
 * The gateway: `/v1/...` by prefix to the owning service, round-robin over the replicas that
 * answer, skipping one whose port refuses connections (as nginx's `proxy_next_upstream error`).
 */
async function startGateway(replicas: Map<ServiceName, ServiceReplica[]>): Promise<{
  url: string;
  app: FastifyInstance;
}> {
  const app = Fastify({ logger: false });
  app.setNotFoundHandler((request, reply) => {
    void reply
      .code(404)
      .type('application/problem+json')
      .send({
        type: 'urn:samverkan:problem:not-found',
        title: 'Not found',
        status: 404,
        detail: `No service answers ${request.method} ${request.url.split('?')[0]}`,
        instance: request.url.split('?')[0],
        code: 'NOT_FOUND',
      });
  });
  let turn = 0;
  for (const [service, list] of replicas) {
    for (const prefix of ROUTES[service]) {
      await app.register(httpProxy, {
        upstream: list[0]!.base,
        prefix,
        rewritePrefix: prefix,
        http: { requestOptions: { timeout: 30_000 } },
        replyOptions: {
          // As nginx does: an upstream that reset or refused the connection is a 502, with a
          // problem body; the client may retry (with the same Idempotency-Key).
          onError: (reply, { error }) => {
            void reply.code(502).type('application/problem+json').send({
              type: 'urn:samverkan:problem:bad-gateway',
              title: 'The service did not answer',
              status: 502,
              detail: error.message,
              code: 'BAD_GATEWAY',
            });
          },
          // As nginx does (docker/nginx.conf): the client's address replaces whatever
          // X-Forwarded-For the client sent, which the services believe from this gateway only.
          rewriteRequestHeaders: (request, headers) => ({
            ...headers,
            'x-forwarded-for': request.socket.remoteAddress ?? '',
          }),
          getUpstream: () => {
            const live = list.filter((r) => r.running);
            const pool = live.length > 0 ? live : list;
            turn += 1;
            return pool[turn % pool.length]!.base;
          },
        },
      });
    }
  }
  const port = await freePort();
  await app.listen({ host: '127.0.0.1', port });
  return { url: `http://127.0.0.1:${port}`, app };
}

export interface TopologyOptions {
  services?: ServiceName[];
  replicas?: number;
  natsNodes?: number;
  /** extra environment for every service process (e.g. shortened deadlines) */
  env?: Record<string, string>;
}

export class Topology {
  readonly replicas = new Map<ServiceName, ServiceReplica[]>();
  private gatewayApp?: FastifyInstance;
  gatewayUrl = '';

  private constructor(
    readonly db: TestDatabase,
    readonly nats: NatsCluster,
    readonly naming: TestEventNaming,
    readonly dataDir: string,
    private readonly extraEnv: Record<string, string>,
  ) {}

  static async start(options: TopologyOptions = {}): Promise<Topology> {
    const services = options.services ?? ['directory', 'referrals', 'notifications'];
    const count = options.replicas ?? 2;
    const [db, nats] = await Promise.all([
      createTestDatabase('topology'),
      NatsCluster.start(options.natsNodes ?? 3),
    ]);
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'samverkan-topology-'));
    const topology = new Topology(db, nats, testEventNaming(), dataDir, options.env ?? {});
    try {
      for (const service of services) {
        const list = await Promise.all(
          Array.from(
            { length: count },
            async (_, i) =>
              new ServiceReplica(service, i + 1, await freePort(), () =>
                topology.serviceEnv(service),
              ),
          ),
        );
        topology.replicas.set(service, list);
        // The first replica alone first (it migrates and, for the directory, seeds), then the rest.
        await list[0]!.start();
        await Promise.all(list.slice(1).map((r) => r.start()));
      }
      const gateway = await startGateway(topology.replicas);
      topology.gatewayApp = gateway.app;
      topology.gatewayUrl = gateway.url;
    } catch (err) {
      await topology.close();
      throw err;
    }
    return topology;
  }

  serviceEnv(service: ServiceName): Record<string, string> {
    return {
      ...CLEAN_ENV,
      DATABASE_URL: this.db.url,
      NATS_URL: this.nats.url,
      EVENTS_STREAM_REPLICAS: String(Math.min(3, this.nats.nodes.length)),
      EVENTS_SUBJECT_PREFIX: this.naming.subjectPrefix,
      EVENTS_STREAM_PREFIX: this.naming.streamPrefix,
      AUTH_DEV_ISSUER: 'true',
      SAMVERKAN_DATA_DIR: this.dataDir,
      SEED_DEMO_DATA: service === 'directory' ? 'true' : 'false',
      LOG_LEVEL: 'warn',
      OUTBOX_POLL_INTERVAL_MS: '100',
      // The gateway connects from loopback; its X-Forwarded-For is the client's address.
      TRUSTED_PROXIES: '127.0.0.1',
      ...this.extraEnv,
    };
  }

  replica(service: ServiceName, index: number): ServiceReplica {
    const replica = this.replicas.get(service)?.[index - 1];
    if (!replica) {
      throw new Error(`no replica ${service}-${index}`);
    }
    return replica;
  }

  /** `npm run token -- <user>` against the shared data folder. */
  async token(user: DemoUserName): Promise<string> {
    const { stdout } = await run(TSX, ['shared/src/auth/token-cli.ts', user], {
      cwd: ROOT,
      env: { ...CLEAN_ENV, SAMVERKAN_DATA_DIR: this.dataDir },
      encoding: 'utf8',
    });
    return stdout.trim();
  }

  /** Every replica's output, for a failure message. */
  output(): string {
    return [...this.replicas.values()]
      .flat()
      .map((r) => `--- ${r.service}-${r.index}\n${r.output()}`)
      .join('\n');
  }

  async close(): Promise<void> {
    await this.gatewayApp?.close();
    await Promise.all([...this.replicas.values()].flat().map((r) => r.stop('SIGTERM')));
    const live = this.nats.nodes.find((n) => n.running);
    if (live) {
      await deleteTestStreams(live.url, this.naming.streamPrefix).catch(() => undefined);
    }
    await this.nats.destroy();
    await this.db.drop();
    fs.rmSync(this.dataDir, { recursive: true, force: true });
  }
}
