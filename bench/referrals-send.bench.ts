/**
 * Sending a referral (POST /v1/referrals) under load, as a ratio against a baseline in the same
 * run: baseline = a bare Fastify app whose one route inserts the same JSON body into a scratch
 * table and one outbox row, in one transaction, with `pg` (same Postgres server, same body sizes,
 * same pool size) — the floor of any durable, evented write. The referrals row adds
 * token verification, idempotency, the directory read model, the envelope checks (shape, aad,
 * key ids), the referral row, its timeline, audit and outbox rows in one transaction.
 *
 * CPU per request is this process's (`process.cpuUsage`: the app under test, its pg client and
 * what runs beside it, e.g. the referrals service's relay and audit chainer; the other app idles
 * meanwhile) over the requests answered. By default the load (autocannon, scripts/bench-load.ts)
 * runs in this process too, so both sides' figures include its cost (about 0.6–0.8 ms a request
 * on the 2-core machine). BENCH_LOADER=process runs it in a child process: the CPU figure is then
 * the server's alone and autocannon's is reported apart (`loaderCpuMsPerRequest`), but on a loaded
 * machine the extra process wake-ups lower both sides' throughput and bring the ratio towards 1 —
 * take the ratios from the default mode. On Linux the process's CPU is also split by thread
 * (/proc/self/task): `mainThreadCpuMsPerRequest` is the JavaScript thread's (the apps, pg, the
 * sockets' system calls, most garbage collection), the rest V8's compiler and GC helper threads
 * and libuv's pool — a JIT still at work shows there.
 *
 * Each request carries its own referral: N envelopes are sealed before the run (every referral
 * id is bound into its envelope's aad, so a body cannot be reused) and each request takes the
 * next one, with a fresh Idempotency-Key.
 *
 * Run: `npm run bench:referrals` (needs the local Postgres; events in-process unless
 * BENCH_NATS_URL is set). Options: BENCH_SECONDS (default 5), BENCH_CONNECTIONS (default 10),
 * BENCH_ENVELOPES (default 5000 plus the warm-up's; the
 * referrals run stops early, with a note, if it uses them all: raise it on a fast machine),
 * BENCH_WARMUP (requests each app answers before its timed run, default 2000: after 200, V8
 * was still optimising — and after a deopt re-optimising — the send's functions through the
 * timed run, its compiler threads alone about 0.4–0.7 ms of CPU a send, falling to ~0.2 by 2000;
 * the baseline's few functions are hot after a hundred requests),
 * BENCH_CPU_PROFILE (a file name: writes a V8 CPU profile of the referrals run there, and one
 * of the baseline's beside it (`…-baseline.cpuprofile`), for
 * Chrome DevTools or `npx speedscope`; the profiler costs CPU, so the figures of such a run are
 * not comparable), BENCH_PG_STATS=1 (Postgres's side of each timed run, per request: the WAL
 * this database's relations and commits wrote, by table and index, and by `pg_walinspect` over
 * the run's WAL (other databases' records left out), full-page images apart; the commits; the
 * rows inserted, updated (HOT apart) and deleted by table (pg_stat_user_tables), with the relay's
 * and the audit chainer's work after the run included; printed before the JSON line and in it as
 * `pg`).
 */
import Fastify from 'fastify';
import { fork, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import { Session } from 'node:inspector/promises';
import os from 'node:os';
import path from 'node:path';
import { Client, Pool } from 'pg';
import { directoryService } from '@samverkan/directory';
import { readDevKeyStore } from '@samverkan/directory/src/seed/dev-key-store';
import { referralsService } from '@samverkan/referrals';
import { createPlatformApp, DEMO_UNITS, DEMO_USERS, loadConfig } from '@samverkan/shared';
import {
  createTestDatabase,
  deleteTestStreams,
  eventually,
  testEventNaming,
} from '@samverkan/shared/src/testing';
import { runLoad, type LoadRequest, type LoadResult } from '../scripts/bench-load';
import { sealReferralBody, verifyPinnedKeys } from '../scripts/bench-referrals';

const seconds = Number(process.env.BENCH_SECONDS ?? 5);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 10);
const warmup = Number(process.env.BENCH_WARMUP ?? 2000);
const envelopes = Number(process.env.BENCH_ENVELOPES ?? 5000 + warmup);
const natsUrl = process.env.BENCH_NATS_URL;
const loaderApart = process.env.BENCH_LOADER === 'process';
/** every sealed body (the load generator's process reads them from a file) */
let allBodies: string[] = [];
const cpuProfile = process.env.BENCH_CPU_PROFILE;
const pgStats = process.env.BENCH_PG_STATS === '1';
const poolSize = 10;

// Every statement any pg client of this process sends (the request's own, and the relay's,
// the audit chainer's and the watchers' that the sends cause): statements per request is a
// figure the machine's load does not blur.
let statements = 0;
const clientQuery = Client.prototype.query;
Client.prototype.query = function (this: Client, ...args: unknown[]) {
  statements += 1;
  return (clientQuery as (...a: unknown[]) => unknown).apply(this, args);
} as typeof Client.prototype.query;

const from = DEMO_UNITS.policeTraffickingOst;
const to = DEMO_UNITS.coordinator;

function referralDocument(i: number): Record<string, unknown> {
  return {
    version: 1,
    person: { ageBand: 'adult', languages: ['ro', 'en'], interpreterNeeded: true },
    situation: {
      summary: `Benchmark referral ${i}: met during a police operation in Norrköping.`,
      exploitation: ['trafficking_sexual'],
    },
    requests: ['support_talks', 'protected_housing'],
    consent: { given: true, scope: 'Sharing with the regional coordinator' },
    senderContact: { role: 'officer' },
  };
}

interface Row {
  name: string;
  rps: number;
  p99: number;
  sent: number;
  errors: number;
  /**
   * CPU time of this process per request: the app under test, its pg client and whatever runs
   * beside it (the other app idles); the load generator runs in a process of its own
   */
  cpuMsPerRequest: number;
  /** of which the JavaScript thread's (Linux: /proc/self/task), null where it cannot be read */
  mainThreadCpuMsPerRequest: number | null;
  /** the load generator's CPU per request, when it runs apart (BENCH_LOADER=process) */
  loaderCpuMsPerRequest: number | null;
  /** statements sent to Postgres per request, by every part of the process */
  statementsPerRequest: number;
  rssMiB: number;
}

/** CPU ms this process's JavaScript thread has used (its thread id is the process id), or null. */
function mainThreadCpuMs(): number | null {
  try {
    // Fields 14 and 15 of /proc/<pid>/task/<tid>/stat (utime, stime), in clock ticks of 10 ms;
    // the command name before them is in parentheses and may hold spaces.
    const stat = fs.readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return null;
  }
}

/** The load generator's process (scripts/bench-load.ts), started once. */
let generator: ChildProcess | undefined;
function loadGenerator(): ChildProcess {
  generator ??= fork(path.join(__dirname, '..', 'scripts', 'bench-load.ts'), [], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return generator;
}

function generate(request: LoadRequest, bodies: string[]): Promise<LoadResult> {
  if (!loaderApart) {
    return runLoad(request, bodies);
  }
  const child = loadGenerator();
  return new Promise((resolve, reject) => {
    const onExit = (code: number | null) =>
      reject(new Error(`the load generator exited (${code})`));
    child.once('exit', onExit);
    child.once('message', (m: { ok: boolean; result?: LoadResult; error?: string }) => {
      child.off('exit', onExit);
      if (m.ok) {
        resolve(m.result!);
      } else {
        reject(new Error(m.error));
      }
    });
    child.send(request);
  });
}

/**
 * Runs POSTs of the pre-built bodies (`bodies[from, to)` of the bodies file), one body and one
 * Idempotency-Key per request (from the load generator's process with BENCH_LOADER=process).
 */
async function load(
  name: string,
  url: string,
  headers: Record<string, string>,
  bodies: { file: string; from: number; to: number },
  unique: boolean,
  /** a warm-up of this many requests instead of a timed run */
  amount?: number,
): Promise<Row> {
  const statementsBefore = statements;
  const cpuBefore = process.cpuUsage();
  const mainBefore = mainThreadCpuMs();
  const result = await generate(
    {
      url,
      headers,
      bodiesFile: bodies.file,
      from: bodies.from,
      to: bodies.to,
      unique,
      connections,
      seconds,
      ...(amount ? { amount } : {}),
    },
    allBodies,
  );
  const cpu = process.cpuUsage(cpuBefore);
  const mainAfter = mainThreadCpuMs();
  const sent = Math.max(result.sent, 1);
  return {
    name,
    rps: result.rps,
    p99: result.p99,
    sent: result.sent,
    errors: result.errors,
    cpuMsPerRequest: (cpu.user + cpu.system) / 1000 / sent,
    mainThreadCpuMsPerRequest:
      mainBefore === null || mainAfter === null ? null : (mainAfter - mainBefore) / sent,
    loaderCpuMsPerRequest: loaderApart ? result.cpuMs / sent : null,
    statementsPerRequest: (statements - statementsBefore) / sent,
    rssMiB: process.memoryUsage().rss / 1024 / 1024,
  };
}

/** Runs `work` under the V8 CPU profiler when `file` is set, and writes the profile there. */
async function profiled<T>(file: string | undefined, work: () => Promise<T>): Promise<T> {
  if (!file) {
    return work();
  }
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 200 });
  await session.post('Profiler.start');
  try {
    return await work();
  } finally {
    const { profile } = await session.post('Profiler.stop');
    fs.writeFileSync(file, JSON.stringify(profile));
    session.disconnect();
  }
}

/** What Postgres holds about the bench's database at one moment (BENCH_PG_STATS). */
interface PgSnapshot {
  lsn: string;
  tables: Map<string, { ins: number; upd: number; hot: number; del: number }>;
}

async function pgSnapshot(pool: Pool): Promise<PgSnapshot> {
  // Backends report their table counters when idle, at most once a second, and 10 s later when
  // the shared counters were busy (as they are after a run): let them.
  await new Promise((resolve) => setTimeout(resolve, 11_000));
  const { rows } = await pool.query<{
    name: string;
    ins: string;
    upd: string;
    hot: string;
    del: string;
  }>(
    `SELECT schemaname || '.' || relname AS name, n_tup_ins AS ins, n_tup_upd AS upd,
            n_tup_hot_upd AS hot, n_tup_del AS del
       FROM pg_stat_user_tables`,
  );
  const lsn = (await pool.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn'))
    .rows[0]!.lsn;
  return {
    lsn,
    tables: new Map(
      rows.map((r) => [
        r.name,
        { ins: Number(r.ins), upd: Number(r.upd), hot: Number(r.hot), del: Number(r.del) },
      ]),
    ),
  };
}

interface PgFigures {
  /** WAL bytes of this database's records and its transactions' commits, per request */
  walBytes: number;
  /** of which full-page images (they follow checkpoints, not the work) */
  fpiBytes: number;
  /** WAL records per request */
  walRecords: number;
  /** commit records per request (each one a WAL flush with synchronous_commit on) */
  commits: number;
  /** per request: rows by table, and WAL bytes (no full pages) by relation */
  tables: Record<string, { ins: number; upd: number; hot: number; del: number }>;
  relations: Record<string, number>;
}

/**
 * The run's WAL (between two snapshots) read back with pg_walinspect: the records whose blocks
 * belong to this database, and the commit records of their transactions; each relation by name.
 */
async function pgFigures(
  pool: Pool,
  before: PgSnapshot,
  after: PgSnapshot,
  requests: number,
): Promise<PgFigures> {
  const n = Math.max(requests, 1);
  const { rows } = await pool.query<{
    rel: string;
    records: string;
    bytes: string;
    fpi: string;
  }>(
    `WITH db AS (SELECT oid FROM pg_database WHERE datname = current_database()),
     recs AS (
       SELECT r.xid, r.resource_manager, r.record_type, r.record_length, r.fpi_length,
              substring(r.block_ref from 'rel [0-9]+/' || (SELECT oid FROM db) || '/([0-9]+)') AS node
         FROM pg_get_wal_records_info($1::pg_lsn, $2::pg_lsn) r),
     ours AS (SELECT DISTINCT xid FROM recs WHERE node IS NOT NULL AND xid <> '0'),
     picked AS (
       SELECT CASE WHEN node IS NOT NULL
                   THEN coalesce((SELECT c.oid::regclass::text FROM pg_class c
                                   WHERE c.relfilenode = node::oid LIMIT 1), 'rel ' || node)
                   ELSE 'commit' END AS rel,
              record_length, fpi_length
         FROM recs
        WHERE node IS NOT NULL
           OR (resource_manager = 'Transaction' AND record_type LIKE 'COMMIT%'
               AND xid IN (SELECT xid FROM ours)))
     SELECT rel, count(*) AS records, sum(record_length) AS bytes, sum(fpi_length) AS fpi
       FROM picked GROUP BY rel ORDER BY sum(record_length) DESC`,
    [before.lsn, after.lsn],
  );
  const relations: Record<string, number> = {};
  let walBytes = 0;
  let fpiBytes = 0;
  let walRecords = 0;
  let commits = 0;
  for (const r of rows) {
    walBytes += Number(r.bytes);
    fpiBytes += Number(r.fpi);
    walRecords += Number(r.records);
    if (r.rel === 'commit') {
      commits = Number(r.records);
    }
    relations[r.rel] = round((Number(r.bytes) - Number(r.fpi)) / n, 0);
  }
  const tables: PgFigures['tables'] = {};
  for (const [name, a] of after.tables) {
    const b = before.tables.get(name) ?? { ins: 0, upd: 0, hot: 0, del: 0 };
    const d = { ins: a.ins - b.ins, upd: a.upd - b.upd, hot: a.hot - b.hot, del: a.del - b.del };
    if (d.ins || d.upd || d.del) {
      tables[name] = {
        ins: round(d.ins / n, 2),
        upd: round(d.upd / n, 2),
        hot: round(d.hot / n, 2),
        del: round(d.del / n, 2),
      };
    }
  }
  return {
    walBytes: round(walBytes / n, 0),
    fpiBytes: round(fpiBytes / n, 0),
    walRecords: round(walRecords / n, 1),
    commits: round(commits / n, 2),
    tables,
    relations,
  };
}

function printPgFigures(name: string, f: PgFigures): void {
  process.stdout.write(
    `\n${name}, Postgres per request: WAL ${f.walBytes} B (full pages ${f.fpiBytes} B), ` +
      `${f.walRecords} records, ${f.commits} commits\n`,
  );
  for (const [table, t] of Object.entries(f.tables)) {
    process.stdout.write(
      `  ${table.padEnd(48)} ins ${t.ins} upd ${t.upd} (HOT ${t.hot}) del ${t.del}\n`,
    );
  }
  for (const [rel, bytes] of Object.entries(f.relations)) {
    process.stdout.write(`  WAL ${rel.padEnd(44)} ${String(bytes).padStart(6)} B\n`);
  }
}

function round(n: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

/** A per-request figure that may not be known (null), to two decimals. */
function roundOrNull(n: number | null): number | null {
  return n === null ? null : round(n, 2);
}

async function main(): Promise<void> {
  const db = await createTestDatabase('bench_ref');
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'samverkan-bench-ref-'));
  const naming = testEventNaming();
  const cleanups: Array<() => Promise<unknown>> = [];
  try {
    // ---- the referrals service (with the directory that feeds its read model) --------------
    const config = loadConfig({
      DATABASE_URL: db.url,
      DATABASE_POOL_SIZE: String(poolSize),
      LOG_LEVEL: 'silent',
      AUTH_DEV_ISSUER: 'true',
      SAMVERKAN_DATA_DIR: dataDir,
      RATE_LIMIT_MAX: '100000000',
      EVENTS_SUBJECT_PREFIX: naming.subjectPrefix,
      EVENTS_STREAM_PREFIX: naming.streamPrefix,
      ...(natsUrl ? { NATS_URL: natsUrl } : {}),
    });
    const app = await createPlatformApp({ config, logger: false });
    cleanups.push(() => app.close());
    // Referrals first: its read model listens before the directory seeds (in-process events).
    await app.register(referralsService);
    await app.register(directoryService, { seedDemo: true });
    const address = await app.listen({ port: 0, host: '127.0.0.1' });

    const pool = new Pool({ connectionString: db.url, max: poolSize });
    cleanups.push(() => pool.end());
    await eventually(async () => {
      const { rows } = await pool.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM referrals.directory_units
          WHERE unit_id = ANY($1) AND cardinality(active_encryption_kids) > 0
            AND organisation_kind <> 'unknown'`,
        [[from, to]],
      );
      return rows[0]!.n === 2 ? true : undefined;
    }, 30_000);

    const token = await app.platform.devIssuer!.mint(DEMO_USERS['police.officer']!, {
      audience: config.AUTH_AUDIENCE,
    });
    const auth = { authorization: `Bearer ${token}` };

    // ---- the client's side: verified keys, then N sealed referrals ---------------------------
    const keyStore = readDevKeyStore(dataDir);
    const keysRes = await app.inject({
      method: 'GET',
      url: `/v1/keys?units=${from},${to}`,
      headers: auth,
    });
    const keys = await verifyPinnedKeys(keyStore, keysRes.json());
    const sealStart = process.hrtime.bigint();
    const bodies: string[] = new Array<string>(envelopes);
    const batch = 256;
    for (let start = 0; start < envelopes; start += batch) {
      await Promise.all(
        Array.from({ length: Math.min(batch, envelopes - start) }, async (_, j) => {
          const i = start + j;
          const sealed = await sealReferralBody({
            keyStore,
            keys,
            from,
            to,
            urgency: 'urgent',
            document: referralDocument(i),
          });
          bodies[i] = sealed.body;
        }),
      );
    }
    const sealMs = Number(process.hrtime.bigint() - sealStart) / 1e6;
    const sizes = bodies.map((b) => Buffer.byteLength(b));
    const meanSize = sizes.reduce((a, b) => a + b, 0) / sizes.length;

    // ---- the baseline: a bare Fastify app inserting the same bodies -------------------------
    await pool.query(
      'CREATE TABLE public.bench_scratch (id bigserial PRIMARY KEY, body jsonb NOT NULL)',
    );
    await pool.query(
      'CREATE TABLE public.bench_outbox (position bigserial PRIMARY KEY, id uuid NOT NULL, payload jsonb NOT NULL, published_at timestamptz)',
    );
    const bare = Fastify({ logger: false, bodyLimit: config.BODY_LIMIT_BYTES });
    bare.post('/insert', async (request, reply) => {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const { rows } = await client.query<{ id: string }>(
          'INSERT INTO public.bench_scratch (body) VALUES ($1) RETURNING id',
          [request.body],
        );
        const body = request.body as { id?: string };
        await client.query('INSERT INTO public.bench_outbox (id, payload) VALUES ($1, $2)', [
          randomUUID(),
          { type: 'bench.sent', data: { referralId: body.id ?? null } },
        ]);
        await client.query('COMMIT');
        return await reply.code(201).send({ id: rows[0]!.id });
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      } finally {
        client.release();
      }
    });
    const bareAddress = await bare.listen({ port: 0, host: '127.0.0.1' });
    cleanups.push(() => bare.close());

    // The bodies go to the load generator's process once, as a file.
    allBodies = bodies;
    const bodiesFile = path.join(dataDir, 'bench-bodies.json');
    if (loaderApart) {
      fs.writeFileSync(bodiesFile, JSON.stringify(bodies));
    }
    cleanups.push(async () => {
      generator?.kill();
    });
    // Both apps warm up first (JIT, pool connections, lazily compiled serialisers): the timed
    // runs measure the steady state. The referrals' warm-up spends bodies of its own.
    const all = { file: bodiesFile, from: 0, to: bodies.length };
    const warmBodies = { file: bodiesFile, from: 0, to: warmup };
    const timedBodies = { file: bodiesFile, from: warmup, to: bodies.length };
    if (warmup > 0) {
      await load('warm-up', `${bareAddress}/insert`, {}, all, false, warmup);
      await load('warm-up', `${address}/v1/referrals`, auth, warmBodies, true, warmup);
    }
    const rssBefore = process.memoryUsage().rss / 1024 / 1024;
    // A temporary replication slot keeps the runs' WAL from being recycled (a checkpoint
    // meanwhile) until it is read; it goes with its session.
    const walKeeper = pgStats ? new Client({ connectionString: db.url }) : undefined;
    if (walKeeper) {
      await walKeeper.connect();
      cleanups.push(() => walKeeper.end());
      await walKeeper.query('CREATE EXTENSION IF NOT EXISTS pg_walinspect');
      await walKeeper.query(
        `SELECT pg_create_physical_replication_slot('bench_ref_' || pg_backend_pid(), true, true)`,
      );
    }
    const baseBefore = pgStats ? await pgSnapshot(pool) : undefined;
    const baselineRow = await profiled(
      cpuProfile?.replace(/(\.cpuprofile)?$/, '-baseline.cpuprofile'),
      () =>
        load('baseline: bare Fastify + pg INSERT (jsonb)', `${bareAddress}/insert`, {}, all, false),
    );
    const baseAfter = pgStats ? await pgSnapshot(pool) : undefined;
    const referralsRow = await profiled(cpuProfile, () =>
      load(
        'POST /v1/referrals (police → coordinator)',
        `${address}/v1/referrals`,
        auth,
        timedBodies,
        true,
      ),
    );

    // The relay's and the chainer's work after the last answer belongs to the sends too.
    const refAfter = pgStats ? await pgSnapshot(pool) : undefined;
    const pg =
      baseBefore && baseAfter && refAfter
        ? {
            baseline: await pgFigures(pool, baseBefore, baseAfter, baselineRow.sent),
            referrals: await pgFigures(pool, baseAfter, refAfter, referralsRow.sent),
          }
        : undefined;
    if (pg) {
      printPgFigures(baselineRow.name, pg.baseline);
      printPgFigures(referralsRow.name, pg.referrals);
    }

    const { rows: stored } = await pool.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM referrals.referrals',
    );

    process.stdout.write(
      `\n${seconds}s × ${connections} connections, ${os.cpus().length} cores, node ${process.version}, ` +
        `events ${natsUrl ? 'NATS JetStream' : 'in-process'}, pool ${poolSize}\n` +
        `bodies: ${envelopes} sealed in ${(sealMs / 1000).toFixed(1)} s ` +
        `(${((envelopes * 1000) / sealMs).toFixed(0)}/s on the client), ${meanSize.toFixed(0)} B on average\n`,
    );
    process.stdout.write(
      `${'case'.padEnd(44)} ${'req/s'.padStart(8)} ${'p99 ms'.padStart(7)} ${'÷ baseline'.padStart(11)} ${'sent'.padStart(7)} errors ${'CPU ms/req'.padStart(10)} ${'JS thread'.padStart(9)} ${'SQL/req'.padStart(7)} ${'RSS MiB'.padStart(8)}\n`,
    );
    for (const r of [baselineRow, referralsRow]) {
      process.stdout.write(
        `${r.name.padEnd(44)} ${r.rps.toFixed(0).padStart(8)} ${String(r.p99).padStart(7)} ${(r.rps / baselineRow.rps).toFixed(3).padStart(11)} ${String(r.sent).padStart(7)} ${String(r.errors).padStart(6)} ${r.cpuMsPerRequest.toFixed(2).padStart(10)} ${(r.mainThreadCpuMsPerRequest?.toFixed(2) ?? '–').padStart(9)} ${r.statementsPerRequest.toFixed(1).padStart(7)} ${r.rssMiB.toFixed(0).padStart(8)}\n`,
      );
    }
    process.stdout.write(
      `RSS before the runs (both apps, ${envelopes} bodies held): ${rssBefore.toFixed(0)} MiB; ` +
        `referrals stored: ${stored[0]!.n}\n`,
    );
    if (referralsRow.sent >= timedBodies.to - timedBodies.from - 2 * connections) {
      process.stdout.write(
        'note: the run used every sealed body before its time was up; raise BENCH_ENVELOPES\n',
      );
    }
    // One line of JSON, last, so that runs can be compared by a script.
    process.stdout.write(
      `${JSON.stringify({
        bench: 'referrals-send',
        seconds,
        connections,
        rps: round(referralsRow.rps),
        baselineRps: round(baselineRow.rps),
        ratio: round(referralsRow.rps / baselineRow.rps, 3),
        p99Ms: referralsRow.p99,
        baselineP99Ms: baselineRow.p99,
        p99Ratio: round(referralsRow.p99 / Math.max(baselineRow.p99, 1), 2),
        cpuMsPerRequest: round(referralsRow.cpuMsPerRequest, 2),
        baselineCpuMsPerRequest: round(baselineRow.cpuMsPerRequest, 2),
        statementsPerRequest: round(referralsRow.statementsPerRequest, 2),
        baselineStatementsPerRequest: round(baselineRow.statementsPerRequest, 2),
        cpuRatio: round(referralsRow.cpuMsPerRequest / baselineRow.cpuMsPerRequest, 2),
        mainThreadCpuMsPerRequest: roundOrNull(referralsRow.mainThreadCpuMsPerRequest),
        baselineMainThreadCpuMsPerRequest: roundOrNull(baselineRow.mainThreadCpuMsPerRequest),
        loader: loaderApart ? 'process' : 'in-process',
        loaderCpuMsPerRequest: roundOrNull(referralsRow.loaderCpuMsPerRequest),
        baselineLoaderCpuMsPerRequest: roundOrNull(baselineRow.loaderCpuMsPerRequest),
        errors: referralsRow.errors,
        baselineErrors: baselineRow.errors,
        ...(pg
          ? {
              pg: {
                walBytes: pg.referrals.walBytes,
                baselineWalBytes: pg.baseline.walBytes,
                fpiBytes: pg.referrals.fpiBytes,
                baselineFpiBytes: pg.baseline.fpiBytes,
                commits: pg.referrals.commits,
                baselineCommits: pg.baseline.commits,
              },
            }
          : {}),
      })}\n`,
    );
  } finally {
    for (const cleanup of cleanups.reverse()) {
      await cleanup().catch(() => undefined);
    }
    await db.drop();
    if (natsUrl) {
      await deleteTestStreams(natsUrl, naming.streamPrefix);
    }
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
