/**
 * How long until a recipient sees an acute referral: from the police officer's POST
 * /v1/referrals to the `notification` event on the coordinator's live stream (SSE over a real
 * port), with the hub run as it is deployed, in processes of its own, and this process only
 * sending the POSTs and reading the stream. Next to a bare NATS round trip (core publish →
 * subscriber, and a JetStream publish → a pull consumer) measured in the same run on the same
 * server.
 *
 * Two topologies (BENCH_MODES, default `in-process,nats`):
 * - `nats`, the distributed hub of docker/compose.yml: the directory, the referrals and the
 *   notifications service each in its own Node process (`services/<name>/src/server.ts`, as the
 *   images run them), one replica each, on the local Postgres (a database of their own, dropped
 *   after) and NATS JetStream (streams of their own, deleted after). The bench POSTs to the
 *   referrals process and reads the stream from the notifications process directly (no gateway).
 * - `in-process`, the embedded hub as `npm start` runs it (scripts/start.js): all three services
 *   in one child process with in-process events, on the local Postgres (or, with
 *   BENCH_PGLITE=true, on its embedded PGlite, as `npm start` does).
 *
 * The path measured: token check, envelope checks, referral + audit + outbox rows in one
 * transaction → outbox relay → (JetStream →) the notifications consumer: read model, the
 * notification row and its outbox row in one transaction → wake-up → the stream reads it from
 * Postgres → SSE frame → parsed by the client.
 *
 * Every referral's body is sealed (end-to-end encrypted, as the sending agency's own machine does)
 * before the first phase: what is timed, and the bench's CPU, is its HTTP and SSE clients only.
 *
 * Phases per topology: BENCH_REFERRALS (default 300) referrals one at a time (POST, wait for the
 * event, next), then for each rate of BENCH_RATES (default: BENCH_RATE, default 100; e.g.
 * `100,50,150`) BENCH_RATE_SECONDS (default 5) of referrals at that sustained rate, open loop
 * (each POST leaves on its schedule whether or not the previous one has been answered), each
 * measured POST → SSE and where the time went: POST → 201, and 201 → SSE (the relay, JetStream,
 * the consumer, the stream). A rate of 0 skips the sustained phase. Each sustained phase reports
 * per referral sent, per process: CPU-ms (the process's own user + system time, all its threads)
 * and statements sent to Postgres (counted inside each hub process by
 * scripts/bench-process-probe.js, preloaded with `--require`); the CPU-ms of the Postgres
 * backends serving the hub's database (/proc, by pg_stat_activity's pids); committed
 * transactions (the whole database); the bench's own CPU-ms (its HTTP and SSE clients); and each
 * process's idle CPU per second just before the phase (timers, polls, heartbeats). A process
 * whose CPU-ms × rate nears 1000 is saturated, and so is a machine whose processes together need
 * more cores than it has: every stage then queues. The NATS server's CPU is not counted (it may
 * serve others).
 *
 * Other options: BENCH_NATS_URL (default nats://127.0.0.1:4222); BENCH_CONSUMER_BATCHES (e.g.
 * `100,1`; default: the service's default): the NATS topology is started once per value of
 * NOTIFICATIONS_CONSUMER_BATCH (how many events each notifications consumer handles in one
 * transaction), the first being the JSON line's row; BENCH_CPU_PROFILE_DIR: a V8 CPU profile of
 * each hub process over each sustained phase, written there as
 * `<topology>-<rate>-<process>.cpuprofile`, with each one's top self-time functions and its self
 * time by module (package, folder of ours, Node, native, GC) printed. The profiler samples wall
 * time on the main thread: on a busy machine the milliseconds include time the process waited
 * for a core (system calls such as `writev`, one per statement sent, look the most expensive),
 * the shares are what to compare; and the profiler's own sampling adds CPU, so take CPU-ms from
 * a run without it. BENCH_LOG_LEVEL (default `warn`): the hub processes' log level (their output
 * is shown when one fails).
 *
 * Run: `npm run bench:notifications` (needs the local Postgres and NATS), e.g.
 * `BENCH_MODES=nats BENCH_REFERRALS=50 BENCH_RATES=100,50,150 BENCH_RATE_SECONDS=5 npm run
 * bench:notifications`. Ends with one JSON line: p50/p99 POST → SSE at the first sustained rate
 * of the NATS topology (else of what was measured), the bare JetStream hop's p50/p99 beside it,
 * their ratio, the hub's CPU-ms and statements per referral at that rate (its Node processes
 * together; Postgres apart), and every rate's figures per process in `sustained`.
 */
import { jetstream, jetstreamManager, AckPolicy, DeliverPolicy } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { readDevKeyStore } from '@samverkan/directory/src/seed/dev-key-store';
import { openStream } from '@samverkan/notifications/test/helpers/sse-client';
import { DEMO_UNITS, DEMO_USERS, verifyKeysResponse } from '@samverkan/shared';
import { loadDevIssuer } from '@samverkan/shared/src/auth/dev-issuer';
import {
  createTestDatabase,
  deleteTestStreams,
  eventually,
  freePort,
  testEventNaming,
  type TestDatabase,
} from '@samverkan/shared/src/testing';
import { sealReferralBody, verifyPinnedKeys } from '../scripts/bench-referrals';

const ROOT = path.resolve(__dirname, '..');
const PROBE = path.join(ROOT, 'scripts', 'bench-process-probe.js');
const referrals = Number(process.env.BENCH_REFERRALS ?? 300);
/** the sustained phases: this many referrals per second each, open loop (0 skips it) */
const rates = (process.env.BENCH_RATES ?? process.env.BENCH_RATE ?? '100')
  .split(',')
  .map(Number)
  .filter((r) => r > 0);
const sustainedSeconds = Number(process.env.BENCH_RATE_SECONDS ?? 5);
const natsUrl = process.env.BENCH_NATS_URL ?? 'nats://127.0.0.1:4222';
const pglite = process.env.BENCH_PGLITE === 'true';
const profileDir = process.env.BENCH_CPU_PROFILE_DIR;
const logLevel = process.env.BENCH_LOG_LEVEL ?? 'warn';
const from = DEMO_UNITS.policeTraffickingOst;
const to = DEMO_UNITS.coordinator;

interface Stats {
  name: string;
  n: number;
  p50: number;
  p99: number;
  mean: number;
  max: number;
}

function stats(name: string, samples: number[]): Stats {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
  return {
    name,
    n: sorted.length,
    p50: at(0.5),
    p99: at(0.99),
    mean: sorted.reduce((a, b) => a + b, 0) / sorted.length,
    max: sorted[sorted.length - 1]!,
  };
}

const now = () => Number(process.hrtime.bigint()) / 1e6;

/** CPU time a process has used so far, ms (Linux: utime + stime in /proc, in ticks of 1/100 s). */
function procCpuMs(pid: number): number | undefined {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return undefined;
  }
}

/** CPU-ms so far of each Postgres backend serving the hub's database (this client's left out). */
async function postgresCpu(admin: pg.Client | undefined): Promise<Map<number, number> | null> {
  if (!admin) {
    return null;
  }
  const { rows } = await admin.query<{ pid: number }>(
    'SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()',
  );
  const cpu = new Map<number, number>();
  for (const { pid } of rows) {
    const ms = procCpuMs(pid);
    if (ms === undefined) {
      // not on this host (or not readable): no figure rather than a wrong one
      return null;
    }
    cpu.set(pid, ms);
  }
  return cpu;
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// Nothing of the caller's own configuration may leak into the hub's processes.
const CLEAN_ENV = Object.fromEntries(
  Object.entries(process.env).filter(
    ([k]) =>
      !/^(DATABASE_URL|[A-Z]+_DATABASE_URL|NATS_URL|EVENTS_.*|PORT|HOST|SAMVERKAN_DATA_DIR|AUTH_.*|SEED_DEMO_DATA|LOG_LEVEL|METRICS_.*|TRUSTED_PROXIES|NOTIFICATIONS_.*|BENCH_.*)$/.test(
        k,
      ),
  ),
) as Record<string, string>;

/** One process of the hub, started with the probe preloaded and an IPC channel to it. */
class HubProcess {
  private out = '';
  private nextId = 0;
  private readonly waiting = new Map<number, (m: Record<string, unknown>) => void>();
  readonly child: ChildProcess;

  constructor(
    readonly name: string,
    args: string[],
    env: Record<string, string>,
    readonly port: number,
  ) {
    this.child = spawn(process.execPath, ['--require', PROBE, ...args], {
      cwd: ROOT,
      env: { ...CLEAN_ENV, HOST: '127.0.0.1', PORT: String(port), METRICS_PORT: '0', ...env },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    const append = (d: Buffer): void => {
      this.out = (this.out + d.toString()).slice(-32_000);
    };
    this.child.stdout!.on('data', append);
    this.child.stderr!.on('data', append);
    this.child.on('message', (m: Record<string, unknown>) => {
      this.waiting.get(m.id as number)?.(m);
      this.waiting.delete(m.id as number);
    });
  }

  get base(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get pid(): number {
    return this.child.pid!;
  }

  output(): string {
    return this.out;
  }

  async ready(): Promise<void> {
    await eventually(
      async () => {
        if (this.child.exitCode !== null || this.child.signalCode) {
          throw new Error(
            `${this.name} exited (${this.child.exitCode ?? this.child.signalCode}):\n${this.out}`,
          );
        }
        const res = await fetch(`${this.base}/readyz`).catch(() => undefined);
        return res?.status === 200 ? true : undefined;
      },
      // A cold start migrates and seeds the demo directory; on a busy machine that takes a while.
      240_000,
      250,
    );
  }

  /** One question to the probe (scripts/bench-process-probe.js). */
  ask(message: Record<string, unknown>): Promise<Record<string, unknown>> {
    const id = (this.nextId += 1);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        reject(new Error(`${this.name} did not answer the probe's ${String(message.probe)}`));
      }, 30_000);
      this.waiting.set(id, (m) => {
        clearTimeout(timer);
        if (m.error) {
          reject(new Error(`${this.name}: ${String(m.error)}`));
        } else {
          resolve(m);
        }
      });
      this.child.send({ ...message, id });
    });
  }

  /** Statements sent to Postgres and CPU-ms (the probe's; /proc/<pid>/stat if it is silent). */
  async sample(): Promise<{ statements: number | null; cpuMs: number }> {
    const m = await this.ask({ probe: 'sample' }).catch(() => undefined);
    if (m) {
      return { statements: m.statements as number, cpuMs: m.cpuMs as number };
    }
    return { statements: null, cpuMs: procCpuMs(this.pid) ?? NaN };
  }

  /** SIGTERM (a graceful stop: the profile, the streams and the pools closed), SIGKILL after 20 s. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode) {
      return;
    }
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    if (this.child.connected) {
      this.child.disconnect();
    }
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 20_000);
    await exited;
    clearTimeout(timer);
  }
}

/** The hub under test: its processes and where to reach it. */
interface Hub {
  setup: string;
  processes: HubProcess[];
  referralsBase: string;
  notificationsBase: string;
  directoryBase: string;
  dataDir: string;
  /** the database, when it is the local Postgres (for pg_stat_database and the read model) */
  db?: TestDatabase;
  close(): Promise<void>;
}

async function startHub(mode: 'in-process' | 'nats', consumerBatch?: string): Promise<Hub> {
  const db = mode === 'in-process' && pglite ? undefined : await createTestDatabase('bench_ntf');
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'samverkan-bench-ntf-'));
  const naming = testEventNaming();
  const env: Record<string, string> = {
    ...(db ? { DATABASE_URL: db.url } : {}),
    DATABASE_POOL_SIZE: '10',
    LOG_LEVEL: logLevel,
    AUTH_DEV_ISSUER: 'true',
    SAMVERKAN_DATA_DIR: dataDir,
    RATE_LIMIT_MAX: '100000000',
    EVENTS_SUBJECT_PREFIX: naming.subjectPrefix,
    EVENTS_STREAM_PREFIX: naming.streamPrefix,
    ...(consumerBatch ? { NOTIFICATIONS_CONSUMER_BATCH: consumerBatch } : {}),
  };
  const processes: HubProcess[] = [];
  const close = async () => {
    await Promise.all(processes.map((p) => p.stop()));
    await db?.drop();
    if (mode === 'nats') {
      await deleteTestStreams(natsUrl, naming.streamPrefix).catch(() => undefined);
    }
    fs.rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    if (mode === 'in-process') {
      // `npm start`: the compiled hub (rebuilt first when a source changed), in-process events.
      const hub = new HubProcess('hub', ['scripts/start.js'], env, await freePort());
      processes.push(hub);
      await hub.ready();
      return {
        setup: `embedded hub in one process, in-process events, ${db ? 'Postgres' : 'PGlite'}`,
        processes,
        referralsBase: hub.base,
        notificationsBase: hub.base,
        directoryBase: hub.base,
        dataDir,
        db,
        close,
      };
    }
    // As the images run them: node with tsx's loader, one process per service.
    const service = async (name: string, extra: Record<string, string>) =>
      new HubProcess(
        name,
        ['--import', 'tsx', `services/${name}/src/server.ts`],
        {
          ...env,
          TSX_TSCONFIG_PATH: path.join(ROOT, 'tsconfig.json'),
          NATS_URL: natsUrl,
          EVENTS_STREAM_REPLICAS: '1',
          ...extra,
        },
        await freePort(),
      );
    // The directory first: it migrates, seeds the demo directory and writes the development
    // issuer's key that the other two verify tokens with.
    const directory = await service('directory', { SEED_DEMO_DATA: 'true' });
    processes.push(directory);
    await directory.ready();
    const others = await Promise.all(
      ['referrals', 'notifications'].map((n) => service(n, { SEED_DEMO_DATA: 'false' })),
    );
    processes.push(...others);
    await Promise.all(others.map((p) => p.ready()));
    return {
      setup: `distributed: three processes, NATS JetStream, Postgres${consumerBatch ? `, consumer batch ${consumerBatch}` : ''}`,
      processes,
      referralsBase: others[0]!.base,
      notificationsBase: others[1]!.base,
      directoryBase: directory.base,
      dataDir,
      db,
      close,
    };
  } catch (err) {
    const output = processes.map((p) => `--- ${p.name}\n${p.output()}`).join('\n');
    await close().catch(() => undefined);
    throw new Error(`${(err as Error).message}\n${output}`);
  }
}

/** Per sustained referral, at one rate on one hub. */
interface Cost {
  setup: string;
  rate: number;
  /**
   * CPU-ms per referral of each hub process, of this process (`bench`: its HTTP and SSE clients)
   * and of the Postgres backends serving the hub's database (`postgres`, when on this host)
   */
  cpuMs: Record<string, number>;
  /** CPU-ms per second of each hub process just before the phase, with nothing sent */
  idleCpuMsPerSecond: Record<string, number>;
  /** statements per referral of each hub process (null: not counted) */
  statements: Record<string, number | null>;
  transactions: number | null;
}
const costs: Cost[] = [];

interface ProfileTop {
  file: string;
  top: Array<{ fn: string; selfMs: number; share: number }>;
  /** the same self time by where the code lives: a package, a folder of ours, Node, native */
  byModule: Array<{ module: string; share: number }>;
  busyMs: number;
}

/** Where a profiled function lives, for the totals by module. */
function moduleOf(functionName: string, url: string): string {
  if (!url) {
    // (garbage collector), (program), or a native function (writev: socket writes)
    return functionName.startsWith('(') ? functionName : '(native)';
  }
  if (url.startsWith('node:')) {
    return 'node internals';
  }
  const inPackage = /.*node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (inPackage) {
    return inPackage[1]!;
  }
  const parts = url
    .replace(/^file:\/\//, '')
    .replace(`${ROOT}/`, '')
    .split('/');
  return parts[0] === 'services' || parts[0] === 'shared'
    ? parts.slice(0, parts[0] === 'shared' ? 3 : 2).join('/')
    : parts[0]!;
}
const profiles: Record<string, ProfileTop> = {};

/** The functions with the most self time in a .cpuprofile (idle time left out). */
function topOfProfile(file: string, count = 12): ProfileTop {
  const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as {
    nodes: Array<{
      id: number;
      callFrame: { functionName: string; url: string; lineNumber: number };
    }>;
    samples: number[];
    timeDeltas: number[];
  };
  const byId = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
  const self = new Map<string, number>();
  const modules = new Map<string, number>();
  let busy = 0;
  profile.samples.forEach((id, i) => {
    const frame = byId.get(id)!;
    if (frame.functionName === '(idle)') {
      return;
    }
    // timeDeltas[i + 1] is the time until the next sample: the time this one stands for
    const ms = (profile.timeDeltas[i + 1] ?? profile.timeDeltas[i] ?? 0) / 1000;
    const where = frame.url
      ? ` ${frame.url.replace(/^file:\/\//, '').replace(`${ROOT}/`, '')}:${frame.lineNumber + 1}`
      : '';
    const key = `${frame.functionName || '(anonymous)'}${where}`;
    self.set(key, (self.get(key) ?? 0) + ms);
    const module = moduleOf(frame.functionName, frame.url);
    modules.set(module, (modules.get(module) ?? 0) + ms);
    busy += ms;
  });
  const top = [...self.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([fn, ms]) => ({
      fn,
      selfMs: Math.round(ms),
      share: Math.round((ms / busy) * 1000) / 10,
    }));
  const byModule = [...modules.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 12)
    .map(([module, ms]) => ({ module, share: Math.round((ms / busy) * 1000) / 10 }));
  return { file, top, byModule, busyMs: Math.round(busy) };
}

/** POST acute referral → SSE `notification` at the recipient: one at a time, then at each rate. */
async function referralToStream(
  mode: 'in-process' | 'nats',
  consumerBatch?: string,
): Promise<Stats[]> {
  const hub = await startHub(mode, consumerBatch);
  const { setup } = hub;
  const admin = hub.db ? new pg.Client({ connectionString: hub.db.url }) : undefined;
  try {
    await admin?.connect();
    const issuer = await loadDevIssuer(hub.dataDir);
    const mint = (user: string) => issuer.mint(DEMO_USERS[user]!, { audience: 'samverkan' });
    const police = await mint('police.officer');
    const coordinator = await mint('coordinator.ostergotland');

    // Both read models must have the demo directory before the first referral.
    const keysRes = await eventually(async () => {
      const counts = await fetch(`${hub.notificationsBase}/v1/notifications/counts`, {
        headers: { authorization: `Bearer ${coordinator}` },
      });
      const keys = await fetch(`${hub.directoryBase}/v1/keys?units=${from},${to}`, {
        headers: { authorization: `Bearer ${police}` },
      });
      return counts.status === 200 && keys.status === 200
        ? ((await keys.json()) as Parameters<typeof verifyKeysResponse>[0])
        : undefined;
    }, 60_000);
    // …and the notifications read model every demo member, so that nobody is missed.
    if (admin) {
      await eventually(async () => {
        const { rows } = await admin.query<{ n: number }>(
          'SELECT count(*)::int AS n FROM notifications.directory_members WHERE active',
        );
        return rows[0]!.n >= 9 ? true : undefined;
      }, 60_000);
    }
    const keyStore = readDevKeyStore(hub.dataDir);
    const keys = await verifyPinnedKeys(keyStore, keysRes);
    const sustainedCounts = rates.map((r) => Math.round(r * sustainedSeconds));
    const bodies = await Promise.all(
      Array.from({ length: referrals + 5 + sustainedCounts.reduce((a, b) => a + b, 0) }, () =>
        sealReferralBody({
          keyStore,
          keys,
          from,
          to,
          urgency: 'acute',
          document: {
            version: 1,
            person: { ageBand: 'adult' },
            situation: { summary: 'Benchmark referral', exploitation: ['trafficking_sexual'] },
            requests: ['support_talks'],
            consent: { given: true },
            senderContact: { role: 'officer' },
          },
        }),
      ),
    );

    const stream = await openStream(
      `${hub.notificationsBase}/v1/notifications/stream`,
      coordinator,
    );
    await stream.next((e) => e.event === 'counts');
    const post = (body: string) =>
      fetch(`${hub.referralsBase}/v1/referrals`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${police}`,
          'content-type': 'application/json',
          'idempotency-key': randomUUID(),
        },
        body,
      });
    const arrived = (id: string) =>
      stream.next(
        (e) =>
          e.event === 'notification' &&
          (JSON.parse(e.data) as { objectId: string }).objectId === id,
        60_000,
      );
    // The referrals read model follows the directory's events: the first referral goes through
    // once it knows the units. It and the next few warm up the JIT and the pools, uncounted.
    const [first, ...all] = bodies;
    const rest = all.slice(0, referrals + 4);
    let sustainedBodies = all.slice(referrals + 4);
    await eventually(
      async () => ((await post(first!.body)).status === 201 ? true : undefined),
      60_000,
    );
    await arrived(first!.id);
    const samples: number[] = [];
    const answered: number[] = [];
    for (const [i, { id, body }] of rest.entries()) {
      const t0 = now();
      const res = await post(body);
      if (res.status !== 201) {
        throw new Error(`POST /v1/referrals: ${res.status} ${await res.text()}`);
      }
      const t1 = now();
      await arrived(id);
      if (i >= 4) {
        samples.push(now() - t0);
        answered.push(t1 - t0);
      }
      // Keep the client's buffer small.
      stream.events.splice(0);
    }
    const rows: Stats[] = [
      stats(`POST referral answered 201 (${setup})`, answered),
      stats(`POST referral → SSE at recipient (${setup})`, samples),
    ];

    const commits = async () => {
      if (!admin) {
        return null;
      }
      // (the statistics reach pg_stat_database within a second of a session going idle)
      await sleep(1500);
      const { rows: r } = await admin.query<{ n: number }>(
        'SELECT xact_commit::int AS n FROM pg_stat_database WHERE datname = current_database()',
      );
      return r[0]!.n;
    };
    for (const [k, rate] of rates.entries()) {
      const sustained = sustainedBodies.slice(0, sustainedCounts[k]);
      sustainedBodies = sustainedBodies.slice(sustainedCounts[k]);
      // Sustained: one POST every 1000/rate ms on schedule; arrivals matched by id as they come.
      const sent = new Map<string, number>();
      const atRate: number[] = [];
      /** POST → 201, and 201 → SSE (where a backlog builds: the POST path or behind it) */
      const answeredAtRate: number[] = [];
      const answeredAt = new Map<string, number>();
      const afterAnswer: number[] = [];
      const failures: string[] = [];
      const seen = new Set<string>();
      stream.events.splice(0);
      // Each arrival timed as it is parsed (no timer polling the stream: its CPU would be the
      // bench's, on the machine the hub runs on).
      stream.onEvent = (e) => {
        if (e.event !== 'notification') {
          return;
        }
        const t = now();
        const id = (JSON.parse(e.data) as { objectId: string }).objectId;
        const t0 = sent.get(id);
        if (t0 !== undefined && !seen.has(id)) {
          seen.add(id);
          atRate.push(t - t0);
          // (seen before its 201 was read: the answer was not what held it up)
          afterAnswer.push(Math.max(0, t - (answeredAt.get(id) ?? t)));
        }
      };
      // The idle cost first (timers, polls, heartbeats): CPU over the wait for the statistics.
      const idleBefore = await Promise.all(hub.processes.map((p) => p.sample()));
      const idleStart = now();
      const commitsBefore = await commits();
      const idleAfter = await Promise.all(hub.processes.map((p) => p.sample()));
      const idleSeconds = (now() - idleStart) / 1000;
      const pgBefore = await postgresCpu(admin);
      if (profileDir) {
        fs.mkdirSync(profileDir, { recursive: true });
        await Promise.all(hub.processes.map((p) => p.ask({ probe: 'profile-start' })));
      }
      const before = await Promise.all(hub.processes.map((p) => p.sample()));
      const benchBefore = process.cpuUsage();
      const start = now();
      const posts: Array<Promise<void>> = [];
      for (const [i, { id, body }] of sustained.entries()) {
        const due = start + (i * 1000) / rate;
        while (now() < due) {
          await sleep(Math.max(0, Math.min(due - now(), 5)));
        }
        sent.set(id, now());
        posts.push(
          post(body).then(async (res) => {
            const t1 = now();
            answeredAt.set(id, t1);
            answeredAtRate.push(t1 - sent.get(id)!);
            if (res.status !== 201) {
              failures.push(`${res.status} ${await res.text()}`);
            }
          }),
        );
      }
      await Promise.all(posts);
      const deadline = now() + 30_000;
      while (seen.size < sustained.length - failures.length && now() < deadline) {
        await sleep(10);
      }
      stream.onEvent = undefined;
      stream.events.splice(0);
      const benchCpu = process.cpuUsage(benchBefore);
      const after = await Promise.all(hub.processes.map((p) => p.sample()));
      if (profileDir) {
        const label = `${mode === 'nats' ? 'distributed' : 'embedded'}${consumerBatch ? `-batch${consumerBatch}` : ''}-${rate}`;
        await Promise.all(
          hub.processes.map(async (p) => {
            const file = path.join(profileDir, `${label}-${p.name}.cpuprofile`);
            await p.ask({ probe: 'profile-stop', file });
            profiles[`${label}-${p.name}`] = topOfProfile(file);
          }),
        );
      }
      const pgAfter = await postgresCpu(admin);
      const commitsAfter = await commits();
      const n = sustained.length;
      const pgCpu =
        pgBefore && pgAfter
          ? [...pgAfter].reduce((sum, [pid, ms]) => sum + ms - (pgBefore.get(pid) ?? 0), 0)
          : null;
      const cost: Cost = {
        setup,
        rate,
        cpuMs: {
          ...Object.fromEntries(
            hub.processes.map((p, i) => [p.name, (after[i]!.cpuMs - before[i]!.cpuMs) / n]),
          ),
          bench: (benchCpu.user + benchCpu.system) / 1000 / n,
          ...(pgCpu === null ? {} : { postgres: pgCpu / n }),
        },
        idleCpuMsPerSecond: Object.fromEntries(
          hub.processes.map((p, i) => [
            p.name,
            (idleAfter[i]!.cpuMs - idleBefore[i]!.cpuMs) / idleSeconds,
          ]),
        ),
        statements: Object.fromEntries(
          hub.processes.map((p, i) => [
            p.name,
            after[i]!.statements === null || before[i]!.statements === null
              ? null
              : (after[i]!.statements! - before[i]!.statements!) / n,
          ]),
        ),
        transactions:
          commitsBefore === null || commitsAfter === null
            ? null
            : (commitsAfter - commitsBefore) / n,
      };
      costs.push(cost);
      const perProcess = hub.processes
        .map(
          (p) =>
            `${p.name} ${cost.cpuMs[p.name]!.toFixed(2)} CPU-ms (${((cost.cpuMs[p.name]! * rate) / 10).toFixed(0)}% of a core; idle ${cost.idleCpuMsPerSecond[p.name]!.toFixed(0)} CPU-ms/s), ${cost.statements[p.name]?.toFixed(1) ?? '?'} statements`,
        )
        .join('; ');
      process.stdout.write(
        `per sustained referral at ${rate}/s (${setup}): ${perProcess}; bench's clients ${cost.cpuMs.bench!.toFixed(2)} CPU-ms; Postgres backends ${cost.cpuMs.postgres?.toFixed(2) ?? '?'} CPU-ms; ${cost.transactions?.toFixed(1) ?? '?'} committed transactions (whole database); ${((Object.values(cost.cpuMs).reduce((a, b) => a + b, 0) * rate) / 1000).toFixed(2)} cores busy at this rate, all counted (${os.cpus().length} on this machine)\n`,
      );
      if (failures.length > 0) {
        process.stdout.write(
          `note: ${failures.length} sustained POST(s) failed at ${rate}/s (${setup}), e.g. ${failures[0]}\n`,
        );
      }
      if (seen.size < n - failures.length) {
        process.stdout.write(
          `note: ${n - failures.length - seen.size} referral(s) at ${rate}/s never reached the stream within 30 s (${setup})\n`,
        );
      }
      rows.push(
        stats(`POST answered 201 at ${rate}/s (${setup})`, answeredAtRate),
        stats(`201 → SSE at ${rate}/s (${setup})`, afterAnswer),
        stats(`POST → SSE at ${rate}/s sustained (${setup})`, atRate),
      );
      // Let the hub settle before the next rate.
      await sleep(1000);
    }
    stream.close();
    return rows;
  } catch (err) {
    const output = hub.processes.map((p) => `--- ${p.name}\n${p.output()}`).join('\n');
    throw new Error(`${(err as Error).stack ?? String(err)}\n${output}`);
  } finally {
    await admin?.end();
    await hub.close();
  }
}

/** Bare NATS on the same server: core publish → subscriber, and JetStream publish → consumer. */
async function bareNats(): Promise<Stats[]> {
  const nc = await connect({ servers: natsUrl });
  const naming = testEventNaming();
  const count = Math.max(referrals, 50) + 5;
  try {
    const subject = `${naming.subjectPrefix}.bench.core`;
    const core: number[] = [];
    const sub = nc.subscribe(subject);
    const received = (async () => {
      for await (const m of sub) {
        core.push(now() - Number(m.string()));
        if (core.length >= count) {
          break;
        }
      }
    })();
    for (let i = 0; i < count; i += 1) {
      const before = core.length;
      nc.publish(subject, String(now()));
      while (core.length === before) {
        await new Promise((r) => setImmediate(r));
      }
    }
    await received;

    const jsm = await jetstreamManager(nc);
    const stream = `${naming.streamPrefix}_BENCH`;
    const jsSubject = `${naming.subjectPrefix}.bench.js`;
    await jsm.streams.add({ name: stream, subjects: [jsSubject] });
    await jsm.consumers.add(stream, {
      durable_name: 'bench',
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
    });
    const js = jetstream(nc);
    const consumer = await js.consumers.get(stream, 'bench');
    const messages = await consumer.consume({ max_messages: 64 });
    const viaJs: number[] = [];
    const consumed = (async () => {
      for await (const m of messages) {
        viaJs.push(now() - Number(m.string()));
        m.ack();
        if (viaJs.length >= count) {
          break;
        }
      }
    })();
    for (let i = 0; i < count; i += 1) {
      const before = viaJs.length;
      await js.publish(jsSubject, String(now()), { msgID: randomUUID() });
      while (viaJs.length === before) {
        await new Promise((r) => setImmediate(r));
      }
    }
    await consumed;
    await jsm.streams.delete(stream);
    return [
      stats('bare NATS core publish → subscriber', core.slice(5)),
      stats('bare JetStream publish → pull consumer', viaJs.slice(5)),
    ];
  } finally {
    await nc.close();
  }
}

async function main(): Promise<void> {
  const rows: Stats[] = [];
  const modes = (process.env.BENCH_MODES ?? 'in-process,nats').split(',');
  rows.push(...(await bareNats()));
  if (modes.includes('in-process')) {
    rows.push(...(await referralToStream('in-process')));
  }
  if (modes.includes('nats')) {
    // NOTIFICATIONS_CONSUMER_BATCH per run, when asked for: the first is the JSON line's row.
    const batches = process.env.BENCH_CONSUMER_BATCHES?.split(',') ?? [undefined];
    for (const batch of batches) {
      rows.push(...(await referralToStream('nats', batch)));
    }
  }
  const f = (ms: number) => `${ms.toFixed(2)} ms`;
  const load = os.loadavg();
  process.stdout.write(
    [
      '',
      `notifications latency: ${referrals} acute referrals one at a time, ${rates.length > 0 ? `then ${rates.map((r) => `${r}/s`).join(', ')} for ${sustainedSeconds} s each` : 'no sustained phase'}, every body sealed before the timed phases, as an agency's own machine seals it (node ${process.version}, ${os.cpus().length} CPUs, load average ${load.map((l) => l.toFixed(2)).join(' ')})`,
      '',
      '| measurement | n | p50 | p99 | mean | max |',
      '|---|---|---|---|---|---|',
      ...rows.map(
        (r) => `| ${r.name} | ${r.n} | ${f(r.p50)} | ${f(r.p99)} | ${f(r.mean)} | ${f(r.max)} |`,
      ),
      '',
      ...(costs.length > 0
        ? [
            'per sustained referral, CPU-ms (statements) of each process:',
            '',
            ...costs.map(
              (c) =>
                `- ${c.rate}/s, ${c.setup}: ${Object.entries(c.cpuMs)
                  .map(
                    ([name, ms]) =>
                      `${name} ${ms.toFixed(2)}${typeof c.statements[name] === 'number' ? ` (${c.statements[name]!.toFixed(1)})` : ''}`,
                  )
                  .join(', ')}; ${c.transactions?.toFixed(1) ?? '?'} transactions`,
            ),
            '',
          ]
        : []),
      ...Object.entries(profiles).flatMap(([name, p]) => [
        `CPU profile ${name} (${p.file}): ${p.busyMs} ms busy; top self time:`,
        `  by module: ${p.byModule.map((m) => `${m.module} ${m.share}%`).join(', ')}`,
        ...p.top.map(
          (t) => `  ${String(t.selfMs).padStart(6)} ms ${String(t.share).padStart(5)}%  ${t.fn}`,
        ),
        '',
      ]),
    ].join('\n'),
  );
  // One line of JSON, last: each measured path, and POST → SSE over NATS against the bare
  // JetStream hop of the same run.
  const r2 = (n: number) => Math.round(n * 100) / 100;
  const r1 = (n: number) => Math.round(n * 10) / 10;
  const sustainedRow = (setup: string) =>
    rows.find((r) => r.name.includes('sustained') && r.name.includes(setup));
  const oneByOne = (setup: string) =>
    rows.find((r) => r.name.startsWith('POST referral → SSE') && r.name.includes(setup));
  // The target's case: the first sustained rate over NATS; else what was measured.
  const sseAny = sustainedRow('NATS') ?? sustainedRow('') ?? oneByOne('NATS') ?? oneByOne('');
  const bareJs = rows.find((r) => r.name.startsWith('bare JetStream'));
  const cost = costs.find((c) => sseAny?.name.includes(`${c.rate}/s sustained (${c.setup})`));
  const sum = (values: Array<number | null>) =>
    values.some((v) => v === null) ? null : values.reduce<number>((a, b) => a + b!, 0);
  const hubCpu = cost
    ? sum(
        Object.entries(cost.cpuMs).flatMap(([k, v]) =>
          k === 'bench' || k === 'postgres' ? [] : [v],
        ),
      )
    : null;
  const hubStatements = cost ? sum(Object.values(cost.statements)) : null;
  process.stdout.write(
    `\n${JSON.stringify({
      bench: 'notifications-latency',
      referrals,
      ratePerSecond: cost?.rate ?? rates[0] ?? null,
      measured: sseAny?.name ?? null,
      p50Ms: sseAny ? r2(sseAny.p50) : null,
      p99Ms: sseAny ? r2(sseAny.p99) : null,
      baselineP50Ms: bareJs ? r2(bareJs.p50) : null,
      baselineP99Ms: bareJs ? r2(bareJs.p99) : null,
      ratio: sseAny && bareJs ? r2(sseAny.p99 / bareJs.p99) : null,
      // (for the measured row: CPU of the hub's Node processes together, the bench's clients and
      // Postgres not counted, and their Postgres round trips; each process apart in `sustained`)
      cpuMsPerReferral: hubCpu !== null ? r1(hubCpu) : null,
      statementsPerReferral: hubStatements !== null ? r1(hubStatements) : null,
      postgresCpuMsPerReferral: cost?.cpuMs.postgres !== undefined ? r1(cost.cpuMs.postgres) : null,
      transactionsPerReferral:
        typeof cost?.transactions === 'number' ? r1(cost.transactions) : null,
      loadavg: load.map(r2),
      sustained: costs.map((c) => {
        const row = rows.find((r) => r.name === `POST → SSE at ${c.rate}/s sustained (${c.setup})`);
        const answered = rows.find(
          (r) => r.name === `POST answered 201 at ${c.rate}/s (${c.setup})`,
        );
        const after = rows.find((r) => r.name === `201 → SSE at ${c.rate}/s (${c.setup})`);
        return {
          setup: c.setup,
          ratePerSecond: c.rate,
          p50Ms: row ? r2(row.p50) : null,
          p99Ms: row ? r2(row.p99) : null,
          answeredP99Ms: answered ? r2(answered.p99) : null,
          afterAnswerP99Ms: after ? r2(after.p99) : null,
          cpuMsPerReferral: Object.fromEntries(Object.entries(c.cpuMs).map(([k, v]) => [k, r2(v)])),
          statementsPerReferral: Object.fromEntries(
            Object.entries(c.statements).map(([k, v]) => [k, v === null ? null : r1(v)]),
          ),
          transactionsPerReferral: c.transactions === null ? null : r1(c.transactions),
          // the hub's processes, Postgres and the bench's clients together, at this rate: above
          // the machine's cores, or near them, everything queues, whichever process is busiest
          coresBusy: r2((Object.values(c.cpuMs).reduce((a, b) => a + b, 0) * c.rate) / 1000),
          idleCpuMsPerSecond: Object.fromEntries(
            Object.entries(c.idleCpuMsPerSecond).map(([k, v]) => [k, Math.round(v)]),
          ),
        };
      }),
      profiles: Object.fromEntries(
        Object.entries(profiles).map(([k, p]) => [
          k,
          {
            file: p.file,
            busyMs: p.busyMs,
            top: p.top.slice(0, 5),
            byModule: p.byModule.slice(0, 6),
          },
        ]),
      ),
      rows: rows.map((r) => ({ name: r.name, n: r.n, p50Ms: r2(r.p50), p99Ms: r2(r.p99) })),
    })}\n`,
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
