/**
 * Resilience of the distributed hub (issue 7), on real processes: three NATS nodes, two replicas
 * of each service, one gateway, the local Postgres. Every scenario sends encrypted referrals
 * through the gateway as an agency would (retrying with the same Idempotency-Key while the hub
 * answers 5xx), causes its fault mid-burst, and ends by reconciling by id: accepted = stored =
 * published = notified, nothing lost, nothing doubled. The figures are printed for the note.
 *
 *   npm run test:resilience
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { eventually } from '@samverkan/shared/src/testing';
import { LOAD_SENDER, prepareReferrals, sendReferrals, type ReferralLoad } from './load';
import { reconcile, streamCount, type Reconciliation } from './reconcile';
import { Topology, type ServiceName } from './topology';

const BURST = Number(process.env.RESILIENCE_BURST ?? 1000);
const NATS_OUTAGE_MS = Number(process.env.RESILIENCE_NATS_OUTAGE_MS ?? 30_000);
// The services under test: all three, or those named in RESILIENCE_SERVICES.
const services = (
  process.env.RESILIENCE_SERVICES ??
  (fs.existsSync(`${__dirname}/../services/notifications/src/server.ts`)
    ? 'directory,referrals,notifications'
    : 'directory,referrals')
)
  .split(',')
  .map((s) => s.trim()) as ServiceName[];

let topology: Topology;
let token: string;
const figures: Record<string, unknown> = {};

beforeAll(async () => {
  topology = await Topology.start({
    services,
    replicas: 2,
    natsNodes: 3,
    // One agency sends thousands of referrals here; rate limits are tested in hub/test/hostile.
    env: { RATE_LIMIT_MAX: '1000000' },
  });
  token = await topology.token('police.officer');
}, 600_000);

afterAll(async () => {
  process.stdout.write(`\nresilience figures:\n${JSON.stringify(figures, null, 2)}\n`);
  await topology?.close();
}, 120_000);

/** Waits until everything accepted is stored, published and (if present) notified. */
async function settle(load: ReferralLoad, sentBefore: number): Promise<Reconciliation> {
  let last: Reconciliation | undefined;
  try {
    return await eventually(
      async () => {
        last = await reconcile(topology, load.accepted);
        const published =
          last.outboxPending === 0 && (last.streamSent ?? 0) >= sentBefore + load.accepted.length;
        const notified = last.notified === undefined || last.notified === load.accepted.length;
        return published && notified ? last : undefined;
      },
      240_000,
      1000,
    );
  } catch {
    throw new Error(`did not settle: ${JSON.stringify(last)}\n${topology.output().slice(-8000)}`);
  }
}

function expectWhole(load: ReferralLoad, result: Reconciliation, sentBefore: number): void {
  expect(load.refused).toEqual([]);
  expect(result.lost).toBe(0);
  expect(result.stored).toBe(load.accepted.length);
  // JetStream drops republished ids (Nats-Msg-Id) inside its duplicate window.
  expect(result.streamSent! - sentBefore).toBe(load.accepted.length);
  if (result.notified !== undefined) {
    expect(result.notified).toBe(load.accepted.length);
    expect(result.notificationDuplicates).toBe(0);
  }
}

function record(name: string, load: ReferralLoad, result: Reconciliation, sentBefore: number) {
  figures[name] = {
    sent: load.accepted.length + load.refused.length,
    accepted: load.accepted.length,
    refused: load.refused.length,
    clientRetries: load.retries,
    stored: result.stored,
    published: result.streamSent! - sentBefore,
    delivered: result.notified ?? 'n/a',
    duplicated: result.notificationDuplicates ?? 'n/a',
    lost:
      result.lost + (result.notified === undefined ? 0 : load.accepted.length - result.notified),
  };
}

const sentCount = (): Promise<number> =>
  streamCount(topology, 'referrals', 'samverkan.referrals.referral.sent');

test('a NATS node killed during a burst: every referral accepted, published and notified once', async () => {
  const prepared = await prepareReferrals(topology.gatewayUrl, topology.dataDir, token, BURST);
  const before = await sentCount();
  const victim = topology.nats.nodes[0]!;
  let killed: Promise<void> | undefined;
  const load = await sendReferrals(topology.gatewayUrl, token, prepared, {
    onProgress: (n) => {
      if (n === Math.floor(BURST / 3)) {
        killed = victim.stop('SIGKILL');
      }
    },
  });
  await killed;
  const result = await settle(load, before);
  await victim.start();
  await topology.nats.waitForJetStream();
  expectWhole(load, result, before);
  record('natsNodeKilled', load, result, before);
});

test('all of NATS down: writes still accepted, readiness degraded, everything delivered after', async () => {
  const prepared = await prepareReferrals(topology.gatewayUrl, topology.dataDir, token, 200);
  const before = await sentCount();
  await Promise.all(topology.nats.nodes.map((n) => n.stop('SIGKILL')));
  const downSince = Date.now();
  const load = await sendReferrals(topology.gatewayUrl, token, prepared, { concurrency: 8 });
  expect(load.accepted).toHaveLength(200);

  const ready = await fetch(`${topology.replica('referrals', 1).base}/readyz`);
  const readiness = (await ready.json()) as { status: string };
  expect(ready.status).toBe(200);
  expect(readiness.status).toBe('degraded');
  // Nothing could have been published while NATS was away.
  const pendingWhileDown = (await reconcile(topology, load.accepted)).outboxPending;
  expect(pendingWhileDown).toBeGreaterThanOrEqual(200);

  await new Promise((r) => setTimeout(r, Math.max(0, NATS_OUTAGE_MS - (Date.now() - downSince))));
  await Promise.all(topology.nats.nodes.map((n) => n.start()));
  await topology.nats.waitForJetStream();
  const result = await settle(load, before);
  expectWhole(load, result, before);
  record('natsDown', load, result, before);
  figures.natsDown = {
    ...(figures.natsDown as object),
    outageMs: Date.now() - downSince,
    pendingWhileDown,
    readinessWhileDown: readiness,
  };
});

test('a replica of each service killed -9 mid-burst: the others and the restarted ones finish', async () => {
  const prepared = await prepareReferrals(topology.gatewayUrl, topology.dataDir, token, BURST);
  const before = await sentCount();
  const victims = services.filter((s) => s !== 'directory').map((s) => topology.replica(s, 1));
  let restarted: Promise<unknown> | undefined;
  const load = await sendReferrals(topology.gatewayUrl, token, prepared, {
    onProgress: (n) => {
      if (n === Math.floor(BURST / 3)) {
        restarted = Promise.all(
          victims.map(async (v) => {
            await v.stop('SIGKILL');
            await new Promise((r) => setTimeout(r, 2000));
            await v.start();
          }),
        );
      }
    },
  });
  await restarted;
  const result = await settle(load, before);
  expectWhole(load, result, before);
  record('replicaKilled', load, result, before);
});

test('Postgres restarted under load: 503 problem+json meanwhile, no crash, service resumes', async () => {
  const version = fs.readdirSync('/etc/postgresql')[0]!;
  const pg = (...args: string[]): void => {
    execFileSync('pg_ctlcluster', ['--skip-systemctl-redirect', version, 'main', ...args]);
  };
  const prepared = await prepareReferrals(topology.gatewayUrl, topology.dataDir, token, 300);
  const before = await sentCount();
  const whileDown: Array<{ status: number; type?: string; contentType: string | null }> = [];
  let restart: Promise<void> | undefined;
  const load = await sendReferrals(topology.gatewayUrl, token, prepared, {
    concurrency: 8,
    onProgress: (n) => {
      if (n === 100) {
        restart = (async () => {
          pg('stop', '-m', 'fast');
          try {
            // Ask while it is down, as a client would.
            for (let i = 0; i < 5; i += 1) {
              const res = await fetch(
                `${topology.gatewayUrl}/v1/referrals?box=outbox&unit=${LOAD_SENDER}`,
                {
                  headers: { authorization: `Bearer ${token}` },
                },
              );
              const body = (await res.json().catch(() => ({}))) as { type?: string };
              whileDown.push({
                status: res.status,
                type: body.type,
                contentType: res.headers.get('content-type'),
              });
              await new Promise((r) => setTimeout(r, 500));
            }
          } finally {
            pg('start');
          }
        })();
      }
    },
  });
  await restart;
  for (const answer of whileDown) {
    expect(answer.status).toBe(503);
    expect(answer.contentType).toContain('application/problem+json');
    expect(answer.type).toMatch(/^urn:samverkan:problem:/);
  }
  const crashed = [...topology.replicas.values()]
    .flat()
    .filter((r) => !r.running)
    .map((r) => `${r.service}-${r.index}:\n${r.output().slice(-4000)}`);
  expect(crashed).toEqual([]);
  const result = await settle(load, before);
  expectWhole(load, result, before);
  record('postgresRestarted', load, result, before);
  figures.postgresRestarted = { ...(figures.postgresRestarted as object), whileDown };
});
