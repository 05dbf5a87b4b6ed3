/**
 * How long until a recipient sees an acute referral: from the police officer's POST
 * /v1/referrals to the `notification` event on the coordinator's live stream (SSE over a real
 * port), p50/p99 over a few hundred referrals sent one after another. Measured with the events
 * in-process (the embedded hub's transport) and over NATS JetStream (the distributed one), and
 * next to a bare NATS round trip (core publish → subscriber, and a JetStream publish → a push
 * consumer) measured in the same run on the same server.
 *
 * The path measured: token check, envelope checks, referral + audit + outbox rows in one
 * transaction → outbox relay → (JetStream →) the notifications consumer: read model, the
 * notification row and its outbox row in one transaction → wake-up → the stream reads it from
 * Postgres → SSE frame → parsed by the client.
 *
 * Run: `npm run bench:notifications` (needs the local Postgres and NATS). Options:
 * BENCH_REFERRALS (default 300), BENCH_NATS_URL (default nats://127.0.0.1:4222),
 * BENCH_PGLITE=true to run the in-process mode on the embedded PGlite like `npm start`,
 * BENCH_MODES (default `in-process,nats`), BENCH_RATE (default 100) and BENCH_RATE_SECONDS
 * (default 5): after the one-at-a-time run, referrals are sent at a sustained BENCH_RATE per
 * second (open loop: each POST leaves on its schedule, whether or not the previous one has been
 * answered) and POST → SSE is measured for each, with where the time went: POST → 201, and
 * 201 → SSE (the relay, JetStream, the notifications consumers, the stream). BENCH_CONSUMER_BATCHES
 * (default `100,1`): the NATS mode runs once per value of NOTIFICATIONS_CONSUMER_BATCH (how many
 * events each notifications consumer handles in one transaction), the first one being the row the
 * JSON line reports; `1` is one transaction per event, as before batching.
 *
 * Each sustained run also reports what one referral costs end to end: committed transactions
 * (the whole database), statements sent to Postgres and CPU-ms of this process — which runs the
 * three services and the bench's own HTTP and SSE clients on one event loop, so that at a rate
 * where CPU-ms × rate nears 1000 the process is saturated and every stage queues behind it.
 */
import { jetstream, jetstreamManager, AckPolicy, DeliverPolicy } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { directoryService } from '@samverkan/directory';
import { readDevKeyStore } from '@samverkan/directory/src/seed/dev-key-store';
import { notificationsService, type NotificationsServices } from '@samverkan/notifications';
import { openStream } from '@samverkan/notifications/test/helpers/sse-client';
import { referralsService } from '@samverkan/referrals';
import {
  createPlatformApp,
  DEMO_UNITS,
  DEMO_USERS,
  loadConfig,
  referralMetadata,
  sealEnvelope,
  startEmbeddedPostgres,
  verifyKeysResponse,
} from '@samverkan/shared';
import {
  createTestDatabase,
  deleteTestStreams,
  eventually,
  testEventNaming,
} from '@samverkan/shared/src/testing';

const referrals = Number(process.env.BENCH_REFERRALS ?? 300);
/** the sustained phase: this many referrals per second, open loop (0 skips it) */
const rate = Number(process.env.BENCH_RATE ?? 100);
const sustainedSeconds = Number(process.env.BENCH_RATE_SECONDS ?? 5);
const natsUrl = process.env.BENCH_NATS_URL ?? 'nats://127.0.0.1:4222';
const pglite = process.env.BENCH_PGLITE === 'true';
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
let refusedFreshKeys = 0;

/**
 * Statements sent to Postgres by this process (every service's pool, the driver under TypeORM
 * too) while `countingStatements`: what a sustained referral costs in round trips, end to end.
 */
let statements = 0;
let countingStatements = false;
{
  const proto = pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
  const query = proto.query;
  proto.query = function (this: unknown, ...args: unknown[]) {
    if (countingStatements) {
      statements += 1;
    }
    return query.apply(this, args);
  };
}

/** Per sustained referral, end to end (all three services and the bench's own clients). */
interface Cost {
  setup: string;
  cpuMs: number;
  statements: number;
  transactions: number;
}
const costs: Cost[] = [];

/** POST acute referral → SSE `notification` at the recipient, `referrals` times in a row. */
async function referralToStream(
  mode: 'in-process' | 'nats',
  consumerBatch?: string,
): Promise<Stats[]> {
  const embedded =
    mode === 'in-process' && pglite
      ? await startEmbeddedPostgres(fs.mkdtempSync(path.join(os.tmpdir(), 'samverkan-bench-pgl-')))
      : undefined;
  const db = embedded ? undefined : await createTestDatabase('bench_ntf');
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'samverkan-bench-ntf-'));
  const naming = testEventNaming();
  const env: Record<string, string> = {
    ...(db ? { DATABASE_URL: db.url } : {}),
    DATABASE_POOL_SIZE: '10',
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'silent',
    AUTH_DEV_ISSUER: 'true',
    SAMVERKAN_DATA_DIR: dataDir,
    RATE_LIMIT_MAX: '100000000',
    EVENTS_SUBJECT_PREFIX: naming.subjectPrefix,
    EVENTS_STREAM_PREFIX: naming.streamPrefix,
    ...(mode === 'nats' ? { NATS_URL: natsUrl } : {}),
    ...(consumerBatch ? { NOTIFICATIONS_CONSUMER_BATCH: consumerBatch } : {}),
  };
  const saved = { ...process.env };
  Object.assign(process.env, env);
  const config = loadConfig(env);
  const app = await createPlatformApp({
    config,
    databaseUrl: embedded?.url,
    ...(process.env.BENCH_LOG_LEVEL ? {} : { logger: false }),
  });
  try {
    let notifications: NotificationsServices | undefined;
    await app.register(notificationsService, { onServices: (n) => (notifications = n) });
    await app.register(referralsService);
    await app.register(directoryService, { seedDemo: true });
    const base = await app.listen({ port: 0, host: '127.0.0.1' });
    const mint = (user: string) =>
      app.platform.devIssuer!.mint(DEMO_USERS[user]!, { audience: config.AUTH_AUDIENCE });
    const police = await mint('police.officer');
    const coordinator = await mint('coordinator.ostergotland');

    // Both read models must have the demo directory before the first referral.
    const ready = async () => {
      const res = await app.inject({
        method: 'GET',
        url: '/v1/notifications/counts',
        headers: { authorization: `Bearer ${coordinator}` },
      });
      const keys = await app.inject({
        method: 'GET',
        url: `/v1/keys?units=${from},${to}`,
        headers: { authorization: `Bearer ${police}` },
      });
      return res.statusCode === 200 && keys.statusCode === 200 ? keys : undefined;
    };
    const keysRes = await eventually(ready, 60_000);
    // …and the notifications read model every demo member, so that nobody is missed.
    await eventually(async () => {
      const [row] = (await notifications!.context.dataSource.query(
        'SELECT count(*)::int AS n FROM notifications.directory_members WHERE active',
      )) as Array<{ n: number }>;
      return row!.n >= 9 ? true : undefined;
    }, 60_000);
    const keyStore = readDevKeyStore(dataDir);
    const keys = await verifyKeysResponse(keysRes.json(), {
      trustedRootFingerprints: Object.fromEntries(
        Object.entries(keyStore.roots).map(([org, root]) => [org, [root.kid]]),
      ),
      requirePinnedRoots: true,
    });
    const own = keyStore.units[from]!;
    const sustainedCount = Math.round(rate * sustainedSeconds);
    const bodies = await Promise.all(
      Array.from({ length: referrals + 5 + sustainedCount }, async () => {
        const id = randomUUID();
        const sealed = await sealEnvelope({
          meta: referralMetadata({
            id: id,
            senderUnitId: from,
            recipientUnitId: to,
            category: 'trafficking_sexual',
            urgency: 'acute',
            ageBand: 'adult',
            gender: 'female',
            citizenshipGroup: 'eu',
            municipalityCode: '0581',
            legalBasis: 'consent',
          }),
          document: {
            version: 1,
            person: { ageBand: 'adult' },
            situation: { summary: 'Benchmark referral', exploitation: ['trafficking_sexual'] },
            requests: ['support_talks'],
            consent: { given: true },
            senderContact: { role: 'officer' },
          },
          sender: { signingKey: { kid: own.sig.kid, privateJwk: own.sig.privateJwk } },
          recipients: [{ unitId: to, encryptionKeys: keys.get(to)!.encryptionKeys }],
          senderEncryptionKeys: keys.get(from)!.encryptionKeys,
        });
        return {
          id,
          body: JSON.stringify({
            id,
            senderUnitId: from,
            recipientUnitId: to,
            copyUnitIds: [],
            category: 'trafficking_sexual',
            urgency: 'acute',
            ageBand: 'adult',
            gender: 'female',
            citizenshipGroup: 'eu',
            municipalityCode: '0581',
            legalBasis: 'consent',
            envelope: sealed.jwe,
          }),
        };
      }),
    );

    const stream = await openStream(`${base}/v1/notifications/stream`, coordinator);
    await stream.next((e) => e.event === 'counts');
    const post = (body: string) =>
      fetch(`${base}/v1/referrals`, {
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
    const sustained = all.slice(referrals + 4);
    await eventually(
      async () => ((await post(first!.body)).status === 201 ? true : undefined),
      60_000,
    );
    await arrived(first!.id);
    const samples: number[] = [];
    const answered: number[] = [];
    for (const [i, { id, body }] of rest.entries()) {
      const t0 = now();
      let res = await post(body);
      if (
        res.status === 409 &&
        (await res.clone().text()).includes('idempotency-key-in-progress')
      ) {
        // Seen now and then on the embedded PGlite only (a fresh key refused as in progress):
        // refused before the handler ran, so the same referral may be sent again. Counted.
        refusedFreshKeys += 1;
        res = await post(body);
      }
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
    // Sustained: one POST every 1000/rate ms on schedule; arrivals matched by id as they come.
    const sent = new Map<string, number>();
    let commitsBefore = 0;
    let transactionsPerReferral: number | undefined;
    const atRate: number[] = [];
    /** sustained: POST → 201, and 201 → SSE (where a backlog builds: the POST path or behind it) */
    const answeredAtRate: number[] = [];
    const answeredAt = new Map<string, number>();
    const afterAnswer: number[] = [];
    const failures: string[] = [];
    if (sustained.length > 0) {
      const seen = new Set<string>();
      const collect = setInterval(() => {
        const t = now();
        for (const e of stream.events.splice(0)) {
          if (e.event !== 'notification') {
            continue;
          }
          const id = (JSON.parse(e.data) as { objectId: string }).objectId;
          const t0 = sent.get(id);
          if (t0 !== undefined && !seen.has(id)) {
            seen.add(id);
            atRate.push(t - t0);
            // (seen before its 201 was read: the answer was not what held it up)
            afterAnswer.push(Math.max(0, t - (answeredAt.get(id) ?? t)));
          }
        }
      }, 1);
      const commits = async () => {
        // (the statistics reach pg_stat_database within a second of a session going idle)
        await new Promise((r) => setTimeout(r, 1500));
        const [row] = (await notifications!.context.dataSource.query(
          'SELECT xact_commit::int AS n FROM pg_stat_database WHERE datname = current_database()',
        )) as Array<{ n: number }>;
        return row!.n;
      };
      commitsBefore = await commits();
      const cpuBefore = process.cpuUsage();
      statements = 0;
      countingStatements = true;
      const start = now();
      const posts: Array<Promise<void>> = [];
      for (const [i, { id, body }] of sustained.entries()) {
        const due = start + (i * 1000) / rate;
        while (now() < due) {
          await new Promise((r) => setTimeout(r, Math.max(0, Math.min(due - now(), 5))));
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
        await new Promise((r) => setTimeout(r, 10));
      }
      clearInterval(collect);
      countingStatements = false;
      const cpu = process.cpuUsage(cpuBefore);
      const statementsSent = statements;
      transactionsPerReferral = ((await commits()) - commitsBefore) / sustained.length;
      costs.push({
        setup: '',
        cpuMs: (cpu.user + cpu.system) / 1000 / sustained.length,
        statements: statementsSent / sustained.length,
        transactions: transactionsPerReferral,
      });
    }
    stream.close();
    const setup = `${mode === 'nats' ? 'NATS JetStream' : 'in-process events'}, ${embedded ? 'PGlite' : 'Postgres'}${consumerBatch ? `, consumer batch ${consumerBatch}` : ''}`;
    if (transactionsPerReferral !== undefined) {
      const cost = costs[costs.length - 1]!;
      cost.setup = setup;
      process.stdout.write(
        `per sustained referral (${setup}, all services and the bench's clients in this process): ${cost.transactions.toFixed(1)} committed transactions (whole database), ${cost.statements.toFixed(1)} statements, ${cost.cpuMs.toFixed(1)} CPU-ms\n`,
      );
    }
    if (failures.length > 0) {
      process.stdout.write(
        `note: ${failures.length} sustained POST(s) failed (${setup}), e.g. ${failures[0]}\n`,
      );
    }
    return [
      stats(`POST referral answered 201 (${setup})`, answered),
      stats(`POST referral → SSE at recipient (${setup})`, samples),
      ...(atRate.length > 0
        ? [
            stats(`POST answered 201 at ${rate}/s (${setup})`, answeredAtRate),
            stats(`201 → SSE at ${rate}/s (${setup})`, afterAnswer),
            stats(`POST → SSE at ${rate}/s sustained (${setup})`, atRate),
          ]
        : []),
    ];
  } finally {
    await app.close();
    await embedded?.stop();
    await db?.drop();
    if (mode === 'nats') {
      await deleteTestStreams(natsUrl, naming.streamPrefix);
    }
    fs.rmSync(dataDir, { recursive: true, force: true });
    process.env = saved;
  }
}

/** Bare NATS on the same server: core publish → subscriber, and JetStream publish → consumer. */
async function bareNats(): Promise<Stats[]> {
  const nc = await connect({ servers: natsUrl });
  const naming = testEventNaming();
  try {
    const subject = `${naming.subjectPrefix}.bench.core`;
    const core: number[] = [];
    const sub = nc.subscribe(subject);
    const received = (async () => {
      for await (const m of sub) {
        core.push(now() - Number(m.string()));
        if (core.length >= referrals + 5) {
          break;
        }
      }
    })();
    for (let i = 0; i < referrals + 5; i += 1) {
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
        if (viaJs.length >= referrals + 5) {
          break;
        }
      }
    })();
    for (let i = 0; i < referrals + 5; i += 1) {
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
    // NOTIFICATIONS_CONSUMER_BATCH per run: the first is the service's default (the target's
    // row), `1` (one transaction per event, as before batching) for comparison in the same run.
    for (const batch of (process.env.BENCH_CONSUMER_BATCHES ?? '100,1').split(',')) {
      rows.push(...(await referralToStream('nats', batch)));
    }
  }
  const f = (ms: number) => `${ms.toFixed(2)} ms`;
  process.stdout.write(
    [
      '',
      `notifications latency: ${referrals} acute referrals, one at a time (node ${process.version}, ${os.cpus().length} CPUs)`,
      '',
      '| measurement | n | p50 | p99 | mean | max |',
      '|---|---|---|---|---|---|',
      ...rows.map(
        (r) => `| ${r.name} | ${r.n} | ${f(r.p50)} | ${f(r.p99)} | ${f(r.mean)} | ${f(r.max)} |`,
      ),
      '',
      ...(refusedFreshKeys > 0
        ? [
            `note: ${refusedFreshKeys} POST(s) answered 409 idempotency-key-in-progress for a fresh key and were sent again (timed from the first try)`,
            '',
          ]
        : []),
    ].join('\n'),
  );
  // One line of JSON, last: each measured path, and POST → SSE over NATS against the bare
  // JetStream hop of the same run.
  const r2 = (n: number) => Math.round(n * 100) / 100;
  const sustainedRow = (setup: string) =>
    rows.find((r) => r.name.includes('sustained') && r.name.includes(setup));
  const oneByOne = (setup: string) =>
    rows.find((r) => r.name.startsWith('POST referral → SSE') && r.name.includes(setup));
  // The target's case: sustained rate over NATS; else what was measured.
  const sseAny = sustainedRow('NATS') ?? sustainedRow('') ?? oneByOne('NATS') ?? oneByOne('');
  const bareJs = rows.find((r) => r.name.startsWith('bare JetStream'));
  const cost = costs.find((c) => sseAny?.name.includes(`(${c.setup})`));
  const r1 = (n: number) => Math.round(n * 10) / 10;
  process.stdout.write(
    `\n${JSON.stringify({
      bench: 'notifications-latency',
      referrals,
      ratePerSecond: rate,
      measured: sseAny?.name ?? null,
      p50Ms: sseAny ? r2(sseAny.p50) : null,
      p99Ms: sseAny ? r2(sseAny.p99) : null,
      baselineP50Ms: bareJs ? r2(bareJs.p50) : null,
      baselineP99Ms: bareJs ? r2(bareJs.p99) : null,
      // (for the measured row when it is a sustained one: CPU of this one process, which runs
      // the three services and the bench's HTTP and SSE clients, and Postgres round trips)
      cpuMsPerReferral: cost ? r1(cost.cpuMs) : null,
      statementsPerReferral: cost ? r1(cost.statements) : null,
      transactionsPerReferral: cost ? r1(cost.transactions) : null,
      loadavg: os.loadavg().map(r2),
      rows: rows.map((r) => ({ name: r.name, n: r.n, p50Ms: r2(r.p50), p99Ms: r2(r.p99) })),
    })}\n`,
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
