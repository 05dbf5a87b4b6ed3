/**
 * Distributed mode (docs/architecture.md#services-and-the-way-data-flows) with real processes: the directory, the referrals and the
 * notifications service each started as its own `tsx …/server.ts`, on one Postgres (a schema
 * each) and the real NATS JetStream, talked to over HTTP like an agency system would. The
 * referral journey runs across them: keys from the directory's port, referrals on the referrals
 * service's port, the live notification on the notifications service's port, the referrals and
 * notifications services knowing the directory's units only through the events they consumed.
 */
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import {
  readDevKeyStore,
  type DevKeyStoreContent,
} from '@samverkan/directory/src/seed/dev-key-store';
import {
  DEMO_UNITS as U,
  openEnvelope,
  referralMetadata,
  sealEnvelope,
  verifyKeysResponse,
  type DemoUserName,
  type EnvelopeAad,
  type GeneralJweEnvelope,
  type ReferralMetadataInput,
} from '@samverkan/shared';
import {
  createTestDatabase,
  deleteTestStreams,
  eventually,
  freePort,
  testEventNaming,
  testNatsUrl,
  type TestDatabase,
  type TestEventNaming,
} from '@samverkan/shared/src/testing';
import { openStream } from '@samverkan/notifications/test/helpers/sse-client';

const root = path.resolve(__dirname, '../..');
const tsx = path.join(root, 'node_modules', '.bin', 'tsx');
// Nothing of the caller's own configuration may leak into the services under test.
const cleanEnv = Object.fromEntries(
  Object.entries(process.env).filter(
    ([k]) =>
      !/^(DATABASE_URL|[A-Z]+_DATABASE_URL|NATS_URL|EVENTS_.*|PORT|HOST|SAMVERKAN_DATA_DIR|AUTH_.*|SEED_DEMO_DATA|LOG_LEVEL)$/.test(
        k,
      ),
  ),
);
const run = promisify(execFile);

interface ServiceProcess {
  name: string;
  child: ChildProcess;
  base: string;
  output(): string;
}

let db: TestDatabase;
let naming: TestEventNaming;
let dataDir: string;
const natsUrl = testNatsUrl();
const started: ServiceProcess[] = [];

/** Starts `services/<name>/src/server.ts` as the image does, and waits for `/readyz` 200. */
async function startService(
  name: 'directory' | 'referrals' | 'notifications',
  env: Record<string, string>,
): Promise<ServiceProcess> {
  const port = await freePort();
  const child = spawn(tsx, ['--tsconfig', 'tsconfig.json', `services/${name}/src/server.ts`], {
    cwd: root,
    env: {
      ...cleanEnv,
      // Several services on one host: no metrics listeners (services/referrals/test/metrics).
      METRICS_PORT: '0',
      DATABASE_URL: db.url,
      NATS_URL: natsUrl,
      EVENTS_SUBJECT_PREFIX: naming.subjectPrefix,
      EVENTS_STREAM_PREFIX: naming.streamPrefix,
      AUTH_DEV_ISSUER: 'true',
      SAMVERKAN_DATA_DIR: dataDir,
      LOG_LEVEL: 'warn',
      HOST: '127.0.0.1',
      PORT: String(port),
      OUTBOX_POLL_INTERVAL_MS: '100',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const service: ServiceProcess = {
    name,
    child,
    base: `http://127.0.0.1:${port}`,
    output: () => out,
  };
  started.push(service);
  let exited = false;
  child.once('exit', () => (exited = true));
  const outcome = await eventually(
    async () => {
      if (exited) {
        return 'exited';
      }
      const res = await fetch(`${service.base}/readyz`).catch(() => undefined);
      return res?.status === 200 ? 'ready' : undefined;
    },
    90_000,
    200,
  ).catch((err: Error) => {
    throw new Error(`${name} did not become ready: ${err.message}\n${out}`);
  });
  if (outcome === 'exited') {
    throw new Error(`${name} exited with ${child.exitCode} before it was ready:\n${out}`);
  }
  return service;
}

function stopService(service: ServiceProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (service.child.exitCode !== null || service.child.signalCode !== null) {
      resolve(service.child.exitCode);
      return;
    }
    service.child.once('exit', (code) => resolve(code));
    service.child.kill('SIGTERM');
  });
}

/** `npm run token -- <user>`, as a person would run it against the shared data folder. */
async function token(user: DemoUserName): Promise<string> {
  const { stdout } = await run(tsx, ['shared/src/auth/token-cli.ts', user], {
    cwd: root,
    env: { ...cleanEnv, SAMVERKAN_DATA_DIR: dataDir },
    encoding: 'utf8',
  });
  return stdout.trim();
}

interface HttpResult {
  status: number;
  // The tests read into the answers freely; the contract tests check their shapes.
  body: any;
}

function http(base: string, jwt: string) {
  const send = async (method: 'GET' | 'POST', url: string, body?: unknown): Promise<HttpResult> => {
    const res = await fetch(`${base}${url}`, {
      method,
      headers: {
        authorization: `Bearer ${jwt}`,
        ...(method === 'POST'
          ? { 'content-type': 'application/json', 'idempotency-key': randomUUID() }
          : {}),
      },
      ...(method === 'POST' ? { body: JSON.stringify(body ?? {}) } : {}),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON: keep the text for the failure message
    }
    return { status: res.status, body: parsed };
  };
  return {
    get: (url: string) => send('GET', url),
    post: (url: string, body?: unknown) => send('POST', url, body),
  };
}

/**
 * An agency's client over real HTTP (the fetch twin of services/referrals/test/helpers/
 * agency-client.ts): keys from the directory, checked against the root fingerprints pinned from
 * the demo key store; referrals to and from the referrals service; private keys only here.
 */
function agencyClient(
  services: { directory: string; referrals: string },
  keyStore: DevKeyStoreContent,
  jwt: string,
  unitId: string,
) {
  const pinned = Object.fromEntries(
    Object.entries(keyStore.roots).map(([org, rootKey]) => [org, [rootKey.kid]]),
  );
  const directory = http(services.directory, jwt);
  const referrals = http(services.referrals, jwt);
  const own = keyStore.units[unitId]!;

  async function verifiedKeys(unitIds: string[]) {
    const res = await directory.get(`/v1/keys?units=${[...new Set(unitIds)].join(',')}`);
    if (res.status !== 200) {
      throw new Error(`keys: ${res.status} ${JSON.stringify(res.body)}`);
    }
    return verifyKeysResponse(res.body, {
      trustedRootFingerprints: pinned,
      requirePinnedRoots: true,
    });
  }

  async function seal(
    meta: ReferralMetadataInput,
    document: Record<string, unknown>,
  ): Promise<GeneralJweEnvelope> {
    const to = [meta.recipientUnitId, ...(meta.copyUnitIds ?? [])];
    const keys = await verifiedKeys([unitId, ...to]);
    const sealed = await sealEnvelope({
      meta,
      document,
      sender: { signingKey: { kid: own.sig.kid, privateJwk: own.sig.privateJwk } },
      recipients: to.map((id) => ({ unitId: id, encryptionKeys: keys.get(id)!.encryptionKeys })),
      senderEncryptionKeys: keys.get(unitId)!.encryptionKeys,
    });
    return sealed.jwe;
  }

  return {
    ...referrals,
    async referral(
      recipientUnitId: string,
      document: Record<string, unknown>,
      forwardedFromId: string | null = null,
      urgency = 'urgent',
    ) {
      const id = randomUUID();
      const body = {
        id,
        senderUnitId: unitId,
        recipientUnitId,
        copyUnitIds: [] as string[],
        category: 'trafficking_sexual',
        urgency,
        ageBand: 'adult',
        gender: 'female',
        citizenshipGroup: 'eu',
        municipalityCode: '0581',
        legalBasis: 'consent',
      };
      return {
        ...body,
        envelope: await seal(referralMetadata({ ...body, forwardedFromId }), document),
      };
    },
    async open(
      referralId: string,
    ): Promise<{ document: Record<string, unknown>; aad: EnvelopeAad }> {
      const res = await referrals.get(`/v1/referrals/${referralId}/envelope`);
      if (res.status !== 200) {
        throw new Error(`envelope: ${res.status} ${JSON.stringify(res.body)}`);
      }
      const opened = await openEnvelope(res.body.envelope, {
        unitId,
        decryptionKeys: [{ kid: own.enc.kid, privateJwk: own.enc.privateJwk }],
        senderSigningKeys: async (aad) =>
          (await verifiedKeys([aad.from])).get(aad.from)!.signingKeys,
        expected: { rid: referralId, kind: 'referral' },
      });
      return { document: opened.document, aad: opened.aad };
    },
  };
}

const MARKER = `PLAINTEXT-MARKER-${Date.now()}`;

function referralDocument(): Record<string, unknown> {
  return {
    version: 1,
    person: { ageBand: 'adult', givenName: MARKER, languages: ['ro', 'en'] },
    situation: {
      summary: `Met during a police operation in Norrköping; ${MARKER} wants support.`,
      exploitation: ['trafficking_sexual'],
    },
    requests: ['support_talks'],
    consent: { given: true, scope: 'Sharing with the coordinator, social services and Novahuset' },
    senderContact: { role: 'officer' },
  };
}

beforeAll(async () => {
  db = await createTestDatabase('dist');
  naming = testEventNaming();
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'samverkan-dist-'));
});

afterAll(async () => {
  // Only reached with processes still running when the test failed half-way.
  await Promise.all(started.map((s) => stopService(s)));
  await db?.drop();
  await deleteTestStreams(natsUrl, naming.streamPrefix);
  fs.rmSync(dataDir, { recursive: true, force: true });
});

it('runs the referral journey across a standalone directory, referrals and notifications service over NATS', async () => {
  // The directory first: it creates the development issuer key and the demo key store in the
  // shared data folder, which the referrals service (tokens) and the clients (private keys) read.
  const directory = await startService('directory', { SEED_DEMO_DATA: 'true' });
  const referrals = await startService('referrals', {});
  const notifications = await startService('notifications', {});
  const services = { directory: directory.base, referrals: referrals.base };

  // The referrals service learns the directory's units and keys only from its events.
  const pg = new Client({ connectionString: db.url });
  await pg.connect();
  try {
    await eventually(
      async () => {
        const { rows } = await pg.query<{ n: number }>(
          `SELECT count(*) FILTER (WHERE organisation_kind <> 'unknown' AND cardinality(active_encryption_kids) > 0)::int AS n
             FROM referrals.directory_units`,
        );
        return rows[0]!.n >= Object.keys(U).length ? true : undefined;
      },
      60_000,
      200,
    );
    await eventually(
      async () => {
        const { rows } = await pg.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM notifications.directory_members WHERE active`,
        );
        return rows[0]!.n >= 9 ? true : undefined;
      },
      60_000,
      200,
    );
  } finally {
    await pg.end();
  }

  const keyStore = readDevKeyStore(dataDir);
  expect(Object.keys(keyStore.roots).length).toBeGreaterThan(0);
  const [policeJwt, coordinatorJwt, frideborgJwt, novahusetJwt, adminJwt] = await Promise.all(
    (
      [
        'police.officer',
        'coordinator.ostergotland',
        'frideborg.caseworker',
        'novahuset.caseworker',
        'hub.admin',
      ] as const
    ).map((u) => token(u)),
  );
  // Each service serves only its own routes.
  expect((await http(directory.base, policeJwt!).get('/v1/referrals')).status).toBe(404);
  expect((await http(referrals.base, policeJwt!).get('/v1/units')).status).toBe(404);
  expect((await http(notifications.base, policeJwt!).get('/v1/referrals')).status).toBe(404);
  // A path a service serves, asked with a method it does not take: 405 with Allow, not 404.
  for (const [base, url, allow] of [
    [directory.base, '/v1/units', 'GET, HEAD, POST'],
    [referrals.base, '/v1/referrals', 'GET, HEAD, POST'],
    [notifications.base, '/v1/notifications', 'GET, HEAD'],
  ] as const) {
    const res = await fetch(`${base}${url}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${policeJwt!}` },
    });
    expect({ url, status: res.status, allow: res.headers.get('allow') }).toEqual({
      url,
      status: 405,
      allow,
    });
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(((await res.json()) as { type: string }).type).toBe(
      'urn:samverkan:problem:method-not-allowed',
    );
  }

  const police = agencyClient(services, keyStore, policeJwt!, U.policeTraffickingOst);
  const coordinator = agencyClient(services, keyStore, coordinatorJwt!, U.coordinator);
  const frideborg = agencyClient(services, keyStore, frideborgJwt!, U.frideborg);
  const novahuset = agencyClient(services, keyStore, novahusetJwt!, U.novahuset);

  // 1. Police → coordinator, acute; the coordinator is signed in to the live stream of the
  // notifications service and sees it arrive.
  const live = await openStream(`${notifications.base}/v1/notifications/stream`, coordinatorJwt!);
  expect(live.status).toBe(200);
  await live.next((e) => e.event === 'counts');
  const body = await police.referral(U.coordinator, referralDocument(), null, 'acute');
  const sent = await police.post('/v1/referrals', body);
  expect(sent.status).toBe(201);
  try {
    const notified = await live.next(
      (e) =>
        e.event === 'notification' &&
        (JSON.parse(e.data) as { objectId: string }).objectId === body.id,
      30_000,
    );
    expect(JSON.parse(notified.data)).toMatchObject({
      kind: 'referral_received',
      severity: 'critical',
      link: `/v1/referrals/${body.id}`,
    });
    expect(notified.data).not.toContain(MARKER);
  } finally {
    live.close();
  }
  expect(sent.body).toMatchObject({
    id: body.id,
    status: 'sent',
    senderUnitId: U.policeTraffickingOst,
  });
  expect(JSON.stringify(sent.body)).not.toContain(MARKER);

  // 2. The coordinator finds it in the inbox, decrypts it, verifies the sender, acknowledges.
  const inbox = await coordinator.get(`/v1/referrals?box=inbox&unit=${U.coordinator}`);
  expect(inbox.status).toBe(200);
  expect(inbox.body.items.map((r: { id: string }) => r.id)).toContain(body.id);
  const opened = await coordinator.open(body.id);
  expect(opened.document).toEqual(referralDocument());
  expect(opened.aad).toMatchObject({
    rid: body.id,
    from: U.policeTraffickingOst,
    to: [U.coordinator],
  });
  const ack = await coordinator.post(`/v1/referrals/${body.id}/acknowledge`, {});
  expect(ack.status).toBe(200);
  expect(ack.body.status).toBe('received');

  // 3. Forward to Frideborg and Novahuset, each leg sealed for its own recipient.
  const toFrideborg = await coordinator.referral(U.frideborg, opened.document, body.id, 'acute');
  const toNovahuset = await coordinator.referral(U.novahuset, opened.document, body.id, 'acute');
  const forwarded = await coordinator.post(`/v1/referrals/${body.id}/forward`, {
    forwards: [toFrideborg, toNovahuset].map((f) => ({
      id: f.id,
      recipientUnitId: f.recipientUnitId,
      copyUnitIds: [],
      envelope: f.envelope,
    })),
  });
  expect(forwarded.status).toBe(201);
  expect(forwarded.body.original).toMatchObject({
    status: 'forwarded',
    forwardedToIds: [toFrideborg.id, toNovahuset.id],
  });
  expect((await frideborg.open(toFrideborg.id)).document).toEqual(referralDocument());
  expect((await novahuset.open(toNovahuset.id)).document).toEqual(referralDocument());
  expect((await frideborg.get(`/v1/referrals/${toNovahuset.id}/envelope`)).status).toBe(404);

  // 4. Novahuset accepts; handover planned, confirmed by both sides; closed.
  const id = toNovahuset.id;
  const accepted = await novahuset.post(`/v1/referrals/${id}/accept`, {});
  expect(accepted.status).toBe(200);
  expect(accepted.body.status).toBe('accepted');
  const planned = await novahuset.post(`/v1/referrals/${id}/handover`, {
    mode: 'in_person',
    plannedFor: new Date(Date.now() + 3_600_000).toISOString(),
  });
  expect(planned.status).toBe(200);
  expect(planned.body.status).toBe('handover_planned');
  const bySender = await coordinator.post(`/v1/referrals/${id}/confirm-handover`, {
    side: 'sender',
  });
  expect(bySender.status).toBe(200);
  expect(bySender.body.handover.senderConfirmation).toMatchObject({ unitId: U.coordinator });
  const byRecipient = await novahuset.post(`/v1/referrals/${id}/confirm-handover`, {
    side: 'recipient',
  });
  expect(byRecipient.status).toBe(200);
  expect(byRecipient.body.status).toBe('handover_confirmed');
  const closed = await novahuset.post(`/v1/referrals/${id}/close`, {
    outcome: 'support_started',
  });
  expect(closed.status).toBe(200);
  expect(closed.body).toMatchObject({ status: 'closed', outcome: 'support_started' });

  // 5. The audit chain of the referrals service verifies.
  const verify = await http(referrals.base, adminJwt!).get('/v1/audit/referrals/verify');
  expect(verify.status).toBe(200);
  expect(verify.body).toMatchObject({ valid: true });

  // 6. Every transition went out on JetStream (from the outbox), none carrying the plaintext:
  // at least these events (accepting a referral nobody acknowledged also acknowledges it).
  const p = `${naming.subjectPrefix}.referrals.referral`;
  const atLeast: Record<string, number> = {
    [`${p}.sent`]: 3, // the original and the two forwarded legs
    [`${p}.acknowledged`]: 1,
    [`${p}.forwarded`]: 1,
    [`${p}.accepted`]: 1,
    [`${p}.handover_planned`]: 1,
    [`${p}.handover_confirmed`]: 1,
    [`${p}.closed`]: 1,
  };
  const transitions = Object.values(atLeast).reduce((a, b) => a + b, 0);
  const stream = `${naming.streamPrefix}_REFERRALS`;
  const nc = await connect({ servers: natsUrl, timeout: 3000 });
  try {
    const jsm = await jetstreamManager(nc);
    const state = await eventually(
      async () => {
        const info = await jsm.streams.info(stream, { subjects_filter: '>' });
        const subjects = info.state.subjects ?? {};
        return Object.entries(atLeast).every(([s, n]) => (subjects[s] ?? 0) >= n)
          ? info.state
          : undefined;
      },
      30_000,
      200,
    ).catch((err: Error) => {
      throw new Error(`${err.message}; referrals output:\n${referrals.output()}`);
    });
    expect(state.messages).toBeGreaterThanOrEqual(transitions);

    const consumer = await jetstream(nc).consumers.get(stream);
    const messages = await consumer.fetch({ max_messages: state.messages, expires: 5000 });
    const payloads: string[] = [];
    for await (const m of messages) {
      payloads.push(m.string());
      if (payloads.length >= state.messages) {
        break;
      }
    }
    expect(payloads).toHaveLength(state.messages);
    expect(payloads.some((payload) => payload.includes(body.id))).toBe(true);
    expect(payloads.some((payload) => payload.includes(MARKER))).toBe(false);
  } finally {
    await nc.close();
  }

  // 7. All shut down cleanly on SIGTERM.
  expect(await stopService(notifications)).toBe(0);
  expect(await stopService(referrals)).toBe(0);
  expect(await stopService(directory)).toBe(0);
});
