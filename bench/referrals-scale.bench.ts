/**
 * The referrals service's reads at scale: 1,000,000 referrals and 5,000,000 timeline rows loaded
 * into a throwaway database, then the real routes (token, access rules, SQL, serialisation) timed
 * over HTTP on one kept-alive connection: a unit's inbox page, its counts, and a year of statistics.
 *
 * The rows are made inside Postgres with generate_series (one INSERT … SELECT per table, no
 * round trip per row), spread over the demo directory's units and the last two years; 5 % carry a
 * copy to another unit. The envelope is a 640-byte placeholder (the hub never reads it for
 * these routes). Referrals still waiting for acknowledgement past their deadline are loaded as
 * escalated (the deadline watcher escalated each when its deadline passed), so that the service
 * does not escalate thousands of them in the background while the reads are timed. VACUUM
 * ANALYZE follows, as autovacuum would after a bulk load, and a CHECKPOINT.
 *
 * Targets (issue 15): inbox page p99 < 10 ms, counts p99 < 20 ms, a year of statistics < 500 ms.
 *
 * Run: `npm run bench:scale` (needs the local Postgres; the database is dropped afterwards).
 * Options: BENCH_REFERRALS (default 1000000), BENCH_EVENTS_PER_REFERRAL (default 5),
 * BENCH_REQUESTS (default 200 per read route; 20 for statistics), BENCH_KEEP_DATABASE=true to
 * keep the loaded database (its URL is printed) for EXPLAIN, BENCH_DATABASE_URL=<that URL> to
 * time the reads again on it without loading (drop it yourself afterwards, and its data folder,
 * printed too; the service's migrations run on it at start), BENCH_PROFILE_DIR=<folder> to
 * write a V8 CPU profile of each route's timed requests there (open it in Chrome's DevTools).
 * Ends with one JSON line.
 *
 * Each row splits a request's time: `DB` is the time from handing each of the request's
 * statements to a connection of the referrals service's pool to its rows (Postgres, the socket
 * and the parsing of the rows; summed over the request's statements), `GC` the collector's
 * pauses per request and the longest one. A pause that falls while a statement is out is counted
 * in `DB` too: a slow request whose DB time is near a GC pause waited for the collector, not for
 * Postgres.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import fs from 'node:fs';
import http from 'node:http';
import inspector from 'node:inspector';
import os from 'node:os';
import path from 'node:path';
import { PerformanceObserver } from 'node:perf_hooks';
import v8 from 'node:v8';
import vm from 'node:vm';
import { Client } from 'pg';
import { directoryService } from '@samverkan/directory';
import { referralsService } from '@samverkan/referrals';
import { createPlatformApp, DEMO_UNITS, DEMO_USERS, loadConfig } from '@samverkan/shared';
import { createTestDatabase, eventually, testEventNaming } from '@samverkan/shared/src/testing';

const referrals = Number(process.env.BENCH_REFERRALS ?? 1_000_000);
const eventsPerReferral = Number(process.env.BENCH_EVENTS_PER_REFERRAL ?? 5);
const requests = Number(process.env.BENCH_REQUESTS ?? 200);
const statisticsRequests = Math.max(5, Math.round(requests / 10));
/** keep the loaded database afterwards (to look at plans); its URL is printed */
const keepDatabase = process.env.BENCH_KEEP_DATABASE === 'true';
/** a database an earlier run kept (BENCH_KEEP_DATABASE): time the reads again without loading */
const reuseUrl = process.env.BENCH_DATABASE_URL;
/** a folder for a CPU profile of each route's timed requests (warm-up excluded) */
const profileDir = process.env.BENCH_PROFILE_DIR;

const CATEGORIES = [
  'trafficking_sexual',
  'trafficking_labour',
  'sex_for_compensation',
  'child_sexual_exploitation',
  'buyer_support',
  'other',
];
const MUNICIPALITIES = ['0581', '0580', '0180', '1480', '1280'];

interface Timing {
  name: string;
  n: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** the process's CPU per request (user + system), which a loaded machine stretches less */
  cpuMs: number;
  /** a request's statements on the referrals pool, from sent to rows parsed, summed: p50, p99 */
  dbP50Ms: number;
  dbP99Ms: number;
  /** the garbage collector's pauses per request, and the longest pause */
  gcMs: number;
  gcMaxMs: number;
  targetMs: number;
}

/** The pg pool of a DataSource (TypeORM's driver keeps it as `master`): its clients. */
interface PgPool {
  _clients: unknown[];
}

/** The statements of the request being timed: their time, summed (`timeStatements`). */
const requestStatements = new AsyncLocalStorage<{ took: number }>();
/** What the request being timed adds to; the server runs each request in it (an onRequest hook). */
let timedRequest = { took: 0 };

/**
 * Times every statement a client of `pool` runs for the request being timed (in its async
 * context: the service's relay, chainer and watchers run in their own), from sent to rows parsed,
 * adding it to the request's `took`. pg's `Client#query` is the one path of the pool's statements
 * (poolQuery's `pool.query` and TypeORM's runners end there, with a callback or a promise).
 */
function timeStatements(pool: PgPool): void {
  const query = Client.prototype.query as (this: Client, ...args: unknown[]) => unknown;
  (Client.prototype as { query: unknown }).query = function (this: Client, ...args: unknown[]) {
    const meter = requestStatements.getStore();
    if (!meter || !pool._clients.includes(this)) {
      return query.apply(this, args);
    }
    const t0 = performance.now();
    const done = () => {
      meter.took += performance.now() - t0;
    };
    const last = args[args.length - 1];
    if (typeof last === 'function') {
      args[args.length - 1] = (...result: unknown[]) => {
        done();
        return (last as (...a: unknown[]) => unknown)(...result);
      };
      return query.apply(this, args);
    }
    const result = query.apply(this, args);
    return result instanceof Promise ? result.finally(done) : result;
  };
}

/**
 * The collector's pauses, each with its start (`performance.now()`): the observer is told of them
 * a little later, so a window is cut by their start, not by when they arrive.
 */
function watchCollector(): {
  pauses: Array<{ at: number; ms: number }>;
  stop: () => void;
} {
  const pauses: Array<{ at: number; ms: number }> = [];
  const observer = new PerformanceObserver((list) => {
    pauses.push(...list.getEntries().map((e) => ({ at: e.startTime, ms: e.duration })));
  });
  observer.observe({ entryTypes: ['gc'] });
  return { pauses, stop: () => observer.disconnect() };
}

/** Set by main: the collector's watch. */
let collector: { pauses: Array<{ at: number; ms: number }> } = { pauses: [] };

/** The V8 profiler of this process, started now; `stop` writes what it sampled to `file`. */
async function startProfile(): Promise<{ stop: (file: string) => Promise<void> }> {
  const session = new inspector.Session();
  session.connect();
  const post = (method: string, params?: object) =>
    new Promise<unknown>((resolve, reject) =>
      session.post(method, params ?? {}, (err, result) => (err ? reject(err) : resolve(result))),
    );
  await post('Profiler.enable');
  await post('Profiler.setSamplingInterval', { interval: 200 });
  await post('Profiler.start');
  return {
    async stop(file) {
      const { profile } = (await post('Profiler.stop')) as { profile: unknown };
      session.disconnect();
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, JSON.stringify(profile));
    },
  };
}

v8.setFlagsFromString('--expose-gc');
/** A full collection of the heap (V8's `gc`, exposed above). */
const collectGarbage = vm.runInNewContext('gc') as () => void;

function round(n: number): number {
  return Math.round(n * 100) / 100;
}

async function time(
  name: string,
  n: number,
  targetMs: number,
  run: (i: number) => Promise<void>,
): Promise<Timing> {
  // Unmeasured runs first: plans cached, pages in shared buffers, the route's code optimised by
  // the JIT (after a few runs only, the first route timed paid for much of everyone's warm-up).
  for (let i = 0; i < Math.min(20, n); i++) {
    await run(i);
  }
  // The garbage of what came before (the start, the load, the route timed before) is collected
  // now, not charged to this route's requests (it was to the first route's: a quarter of its
  // main thread's time went to the collector, against a few percent for the routes after it).
  collectGarbage();
  const samples: number[] = [];
  const db: number[] = [];
  const profiler = profileDir ? await startProfile() : undefined;
  collector.pauses.length = 0;
  const started = performance.now();
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < n; i++) {
    const statements = { took: 0 };
    timedRequest = statements;
    const t0 = performance.now();
    await run(i);
    samples.push(performance.now() - t0);
    db.push(statements.took);
  }
  const cpu = process.cpuUsage(cpu0);
  const ended = performance.now();
  // The observer is told of the last pauses after this tick.
  await new Promise((resolve) => setImmediate(resolve));
  // The full collection above is not the route's: only the pauses that began while it ran.
  const pauses = collector.pauses.filter((p) => p.at >= started && p.at < ended).map((p) => p.ms);
  if (profiler) {
    await profiler.stop(path.join(profileDir!, `${name.replace(/[^a-z0-9]+/gi, '-')}.cpuprofile`));
  }
  samples.sort((a, b) => a - b);
  db.sort((a, b) => a - b);
  const at = (sorted: number[], q: number) => sorted[Math.min(n - 1, Math.ceil(q * n) - 1)]!;
  return {
    name,
    n,
    p50Ms: round(at(samples, 0.5)),
    p99Ms: round(at(samples, 0.99)),
    maxMs: round(samples[samples.length - 1]!),
    cpuMs: round((cpu.user + cpu.system) / 1000 / n),
    dbP50Ms: round(at(db, 0.5)),
    dbP99Ms: round(at(db, 0.99)),
    gcMs: round(pauses.reduce((a, b) => a + b, 0) / n),
    gcMaxMs: round(Math.max(0, ...pauses)),
    targetMs,
  };
}

/** The rows, made in Postgres: referrals over two years across `units`, and their timelines. */
async function load(
  url: string,
  units: string[],
): Promise<{ referralsMs: number; eventsMs: number }> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('SET synchronous_commit = off');
    await client.query("SET maintenance_work_mem = '256MB'");
    // Secondary indexes are dropped for the load and made again after it: one sorted build is
    // many times faster than 6,000,000 insertions into each index. The rows are the same.
    const { rows: indexes } = await client.query<{ name: string; definition: string }>(
      `SELECT i.indexname AS name, i.indexdef AS definition
         FROM pg_indexes i
        WHERE i.schemaname = 'referrals' AND i.tablename IN ('referrals', 'referral_events')
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)`,
    );
    for (const index of indexes) {
      await client.query(`DROP INDEX referrals."${index.name}"`);
    }
    const t0 = performance.now();
    await client.query(
      `INSERT INTO referrals.referrals (
         id, sender_unit_id, recipient_unit_id, copy_unit_ids, category, urgency, age_band, gender,
         citizenship_group, municipality_code, legal_basis, status, envelope, envelope_size,
         acknowledge_by, acknowledged_at, accepted_at, closed_at, outcome, handover,
         escalation_level, created_at, updated_at)
       SELECT
         -- ids that sort like their creation (as UUIDv7 would), made from the row number
         (lpad(to_hex(g), 8, '0') || '-0000-4000-8000-' || lpad(to_hex(g), 12, '0'))::uuid,
         ($1::uuid[])[1 + (g * 13 + 3) % cardinality($1::uuid[])],
         ($1::uuid[])[1 + (g * 7) % cardinality($1::uuid[])],
         CASE WHEN g % 20 = 0 THEN ARRAY[($1::uuid[])[1 + (g * 5 + 1) % cardinality($1::uuid[])]]
              ELSE '{}'::uuid[] END,
         ($2::text[])[1 + g % cardinality($2::text[])],
         (ARRAY['acute', 'urgent', 'routine', 'routine'])[1 + g % 4],
         (ARRAY['adult', 'adult', 'adult', 'child', 'unknown'])[1 + g % 5],
         (ARRAY['female', 'female', 'male', 'non_binary', 'unknown'])[1 + g % 5],
         (ARRAY['swedish', 'eu', 'eu', 'non_eu', 'unknown'])[1 + g % 5],
         ($3::text[])[1 + g % cardinality($3::text[])],
         'consent',
         CASE WHEN x.recent THEN (ARRAY['sent', 'received', 'accepted', 'handover_planned'])[1 + g % 4]
              ELSE (ARRAY['closed', 'closed', 'closed', 'closed', 'closed', 'closed', 'declined',
                          'forwarded', 'withdrawn', 'handover_confirmed'])[1 + g % 10] END,
         jsonb_build_object('protected', 'eyJhbGciOiJFQ0RILUVTIn0',
                            'ciphertext', repeat(md5(g::text), 20)),
         700,
         x.created_at + interval '1 day',
         CASE WHEN x.recent AND g % 4 = 0 THEN NULL
              ELSE x.created_at + ((g % 600) + 5) * interval '1 minute' END,
         CASE WHEN x.recent THEN NULL ELSE x.created_at + interval '1 day' END,
         CASE WHEN x.recent THEN NULL ELSE x.created_at + interval '30 days' END,
         CASE WHEN x.recent THEN NULL
              ELSE (ARRAY['support_started', 'person_declined', 'unreachable', 'referred_elsewhere',
                          'other'])[1 + g % 5] END,
         '{"mode": null, "plannedFor": null, "senderConfirmation": null, "recipientConfirmation": null}'::jsonb,
         -- A referral still unacknowledged past its deadline was escalated when the deadline
         -- passed, as the deadline watcher does: loaded unescalated, the service would escalate
         -- ~5,000 of them while the reads are timed (audit, outbox, events in the same process).
         CASE WHEN x.recent AND g % 4 = 0 AND x.created_at + interval '1 day' <= now() THEN 1
              ELSE 0 END,
         x.created_at,
         x.created_at
       FROM generate_series(1, $4::int) g,
            LATERAL (SELECT now() - ($4::int - g) * (interval '730 days' / $4::int) AS created_at) t,
            LATERAL (SELECT t.created_at, t.created_at > now() - interval '30 days' AS recent) x`,
      [units, CATEGORIES, MUNICIPALITIES, referrals],
    );
    const referralsMs = performance.now() - t0;
    const t1 = performance.now();
    await client.query(
      `INSERT INTO referrals.referral_events (id, referral_id, at, event, actor_unit_id, detail)
       SELECT overlay(r.id::text PLACING lpad(to_hex(e), 4, '0') FROM 10 FOR 4)::uuid,
              r.id, r.created_at + e * interval '1 hour',
              (ARRAY['sent', 'received', 'accepted', 'handover_planned', 'closed', 'note'])[1 + (e - 1) % 6],
              CASE WHEN e = 1 THEN r.sender_unit_id ELSE r.recipient_unit_id END,
              '{}'::jsonb
         FROM referrals.referrals r, generate_series(1, $1::int) e`,
      [eventsPerReferral],
    );
    for (const index of indexes) {
      await client.query(index.definition);
    }
    const eventsMs = performance.now() - t1;
    await client.query('VACUUM ANALYZE referrals.referrals');
    await client.query('VACUUM ANALYZE referrals.referral_events');
    // The load's pages are written out now: a checkpoint still flushing gigabytes of it while the
    // reads are timed charged its I/O to whichever route ran then (the first one's DB p99 was ten
    // times its p50), which a database that grew to this size over years does not pay.
    await client.query('CHECKPOINT');
    return { referralsMs, eventsMs };
  } finally {
    await client.end();
  }
}

async function main(): Promise<void> {
  const db = reuseUrl
    ? { url: reuseUrl, drop: async () => undefined }
    : await createTestDatabase('bench_scale');
  // A kept database keeps its data folder (named after it): the demo directory's keys are made
  // once, as a hub's are on its first start. A fresh folder on every run against a kept database
  // made and registered new unit keys each time (the run after ~25 failed: a unit's key event
  // lists at most 50 active keys), and the seed's writes ran in the timed process.
  const keepData = keepDatabase || reuseUrl !== undefined;
  const dataDir = keepData
    ? path.join(os.tmpdir(), `samverkan-bench-scale-${new URL(db.url).pathname.slice(1)}`)
    : fs.mkdtempSync(path.join(os.tmpdir(), 'samverkan-bench-scale-'));
  fs.mkdirSync(dataDir, { recursive: true });
  const naming = testEventNaming();
  const config = loadConfig({
    DATABASE_URL: db.url,
    LOG_LEVEL: 'silent',
    AUTH_DEV_ISSUER: 'true',
    SAMVERKAN_DATA_DIR: dataDir,
    RATE_LIMIT_MAX: '100000000',
    EVENTS_SUBJECT_PREFIX: naming.subjectPrefix,
    EVENTS_STREAM_PREFIX: naming.streamPrefix,
  });
  const app = await createPlatformApp({ config, logger: false });
  // Each request's handling runs in the meter of the request being timed (the client's context
  // does not cross the socket).
  app.addHook('onRequest', (_request, _reply, done) => {
    requestStatements.run(timedRequest, done);
  });
  const watch = watchCollector();
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  try {
    let referralsPool: PgPool | undefined;
    await app.register(referralsService, {
      onServices: (services) => {
        referralsPool = (services.context.dataSource.driver as unknown as { master: PgPool })
          .master;
      },
    });
    await app.register(directoryService, { seedDemo: true });
    await app.ready();
    timeStatements(referralsPool!);
    collector = watch;
    const units = Object.values(DEMO_UNITS);
    const unit = DEMO_UNITS.coordinator;
    // The referrals read model must know the coordinator's unit and its people.
    const coordinatorToken = await app.platform.devIssuer!.mint(
      DEMO_USERS['coordinator.ostergotland']!,
      { audience: config.AUTH_AUDIENCE },
    );
    const analystToken = await app.platform.devIssuer!.mint(DEMO_USERS['lansstyrelsen.analyst']!, {
      audience: config.AUTH_AUDIENCE,
    });
    // The routes are read over HTTP on one kept-alive connection, as a client reads them:
    // through `app.inject` part of each request's garbage outlived a young-generation collection
    // (light-my-request's objects; a bare Fastify's GET injected promoted 7.5 KB a request, over
    // a socket 0.1), which a client over HTTP never causes.
    await app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = app.server.address() as { port: number };
    const get = (url: string, token: string) =>
      new Promise<{ body: string; json: <T>() => T }>((resolve, reject) => {
        http
          .get(
            {
              host: '127.0.0.1',
              port,
              path: url,
              agent,
              headers: { authorization: `Bearer ${token}` },
            },
            (res) => {
              let body = '';
              res.setEncoding('utf8');
              res.on('data', (chunk: string) => (body += chunk));
              res.on('end', () =>
                res.statusCode === 200
                  ? resolve({ body, json: <T>() => JSON.parse(body) as T })
                  : reject(new Error(`GET ${url}: ${res.statusCode} ${body}`)),
              );
            },
          )
          .on('error', reject);
      });
    await eventually(async () => {
      const res = await app.inject({
        method: 'GET',
        url: `/v1/referrals/counts?box=inbox&unit=${unit}`,
        headers: { authorization: `Bearer ${coordinatorToken}` },
      });
      return res.statusCode === 200 ? true : undefined;
    }, 60_000);

    let loaded = { referralsMs: 0, eventsMs: 0 };
    if (reuseUrl) {
      process.stdout.write(`reading the database an earlier run loaded (${reuseUrl})\n`);
    } else {
      process.stdout.write(
        `loading ${referrals.toLocaleString('en')} referrals and ${(referrals * eventsPerReferral).toLocaleString('en')} timeline rows…\n`,
      );
      loaded = await load(db.url, units);
      process.stdout.write(
        `loaded: referrals in ${(loaded.referralsMs / 1000).toFixed(1)} s, the timeline and the indexes in ${(loaded.eventsMs / 1000).toFixed(1)} s\n`,
      );
    }

    // What the coordinator's inbox holds (for the report).
    const counts = (
      await get(`/v1/referrals/counts?box=inbox&unit=${unit}`, coordinatorToken)
    ).json<{
      byStatus: Record<string, number>;
    }>();
    const inboxSize = Object.values(counts.byStatus).reduce((a, b) => a + b, 0);

    // Pages further down follow the cursor of the page before, as a person scrolling does.
    let cursor: string | null = null;
    const inbox = await time('inbox page (25, following the cursor)', requests, 10, async (i) => {
      const res = await get(
        `/v1/referrals?box=inbox&unit=${unit}&limit=25${cursor && i % 10 !== 0 ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
        coordinatorToken,
      );
      // The page's last member is its cursor: read from the end of the body, so that the CPU
      // per page is the server's, not the bench's parsing of 25 referrals.
      cursor = JSON.parse(res.body.slice(res.body.lastIndexOf('"nextCursor":') + 13, -1)) as
        string | null;
    });
    const inboxFiltered = await time('inbox page, acute and open', requests, 10, async () => {
      await get(
        `/v1/referrals?box=inbox&unit=${unit}&limit=25&urgency=acute&status=sent&status=received`,
        coordinatorToken,
      );
    });
    const countsTiming = await time('inbox counts', requests, 20, async () => {
      await get(`/v1/referrals/counts?box=inbox&unit=${unit}`, coordinatorToken);
    });
    const outboxCounts = await time('outbox counts', requests, 20, async () => {
      await get(`/v1/referrals/counts?box=outbox&unit=${unit}`, coordinatorToken);
    });
    const statistics = await time(
      'statistics, a year by month',
      statisticsRequests,
      500,
      async () => {
        await get('/v1/statistics/referrals', analystToken);
      },
    );
    const statisticsTwo = await time(
      'statistics, a year by month and category',
      statisticsRequests,
      500,
      async () => {
        await get('/v1/statistics/referrals?groupBy=month&groupBy=category', analystToken);
      },
    );
    const rows = [inbox, inboxFiltered, countsTiming, outboxCounts, statistics, statisticsTwo];
    process.stdout.write(
      `\nreferrals at scale: ${referrals.toLocaleString('en')} referrals, ` +
        `${(referrals * eventsPerReferral).toLocaleString('en')} timeline rows; the coordinator's inbox ` +
        `holds ${inboxSize.toLocaleString('en')} (node ${process.version}, ${os.cpus().length} CPUs, ` +
        `load ${os.loadavg()[0]!.toFixed(1)})\n\n| route | n | p50 | p99 | max | CPU | DB p50 / p99 | GC / max pause | target |\n|---|---|---|---|---|---|---|---|---|\n`,
    );
    for (const r of rows) {
      process.stdout.write(
        `| ${r.name} | ${r.n} | ${r.p50Ms} ms | ${r.p99Ms} ms | ${r.maxMs} ms | ${r.cpuMs} ms | ${r.dbP50Ms} / ${r.dbP99Ms} ms | ${r.gcMs} / ${r.gcMaxMs} ms | < ${r.targetMs} ms${r.p99Ms < r.targetMs ? '' : ' (missed)'} |\n`,
      );
    }
    process.stdout.write(
      `\n${JSON.stringify({
        bench: 'referrals-scale',
        referrals,
        timelineRows: referrals * eventsPerReferral,
        inboxRows: inboxSize,
        loadSeconds: round((loaded.referralsMs + loaded.eventsMs) / 1000),
        inboxPageP99Ms: inbox.p99Ms,
        inboxPageCpuMs: inbox.cpuMs,
        countsP99Ms: countsTiming.p99Ms,
        statisticsYearP99Ms: statistics.p99Ms,
        load1: round(os.loadavg()[0]!),
        rows,
      })}\n`,
    );
  } finally {
    watch.stop();
    agent.destroy();
    await app.close();
    if (keepDatabase || reuseUrl) {
      process.stdout.write(`kept the database: ${db.url}\n`);
    } else {
      await db.drop();
    }
    if (keepData) {
      process.stdout.write(`kept its data folder: ${dataDir}\n`);
    } else {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
