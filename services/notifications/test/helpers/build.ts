import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { jetstream } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { directoryService, type DirectoryServices } from '@samverkan/directory';
import { referralsService, type ReferralsServices } from '@samverkan/referrals';
import {
  createPlatformApp,
  DEMO_USERS,
  loadConfig,
  wireSubject,
  type DemoUserName,
  type EventEnvelope,
  type PlatformConfig,
} from '@samverkan/shared';
import {
  createTestDatabase,
  deleteTestStreams,
  eventually,
  testEventNaming,
  testNatsUrl,
  type TestDatabase,
  type TestEventNaming,
} from '@samverkan/shared/src/testing';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { notificationsService, type NotificationsServices } from '../../src/app';

export interface HubOptions {
  /** real JetStream with this file's own subjects (default: in-process events) */
  nats?: boolean;
  env?: Record<string, string>;
  /** capture the logs (at LOG_LEVEL from env, default debug) instead of discarding them */
  logStream?: NodeJS.WritableStream;
}

export interface Caller {
  get(url: string, headers?: Record<string, string>): Promise<LightMyRequestResponse>;
  post(
    url: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<LightMyRequestResponse>;
  put(
    url: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<LightMyRequestResponse>;
  delete(url: string, headers?: Record<string, string>): Promise<LightMyRequestResponse>;
}

export interface NotificationsReplica {
  app: FastifyInstance;
  notifications: NotificationsServices;
  close(): Promise<void>;
}

export interface TestHub {
  app: FastifyInstance;
  config: PlatformConfig;
  db: TestDatabase;
  naming: TestEventNaming;
  natsUrl?: string;
  dataDir: string;
  directory: DirectoryServices;
  referrals: ReferralsServices;
  notifications: NotificationsServices;
  env: Record<string, string>;
  token(user: DemoUserName): Promise<string>;
  as(user: DemoUserName | null): Caller;
  /**
   * Publishes an event as its producer would (through the referrals outbox for referral
   * events), so it travels the real path to the consumers.
   */
  emit(type: string, data: Record<string, unknown>): Promise<EventEnvelope>;
  /** Publishes an envelope straight onto JetStream (no de-duplication id): a redelivery. */
  publishRaw(envelope: EventEnvelope): Promise<void>;
  /**
   * Another instance of the notifications service on the same database and NATS subjects, with
   * its own settings overridden by `env`.
   */
  replica(env?: Record<string, string>): Promise<NotificationsReplica>;
  /** Rows of the notifications table, for checks the API does not show. */
  rows(where?: string, params?: unknown[]): Promise<Array<Record<string, unknown>>>;
  close(): Promise<void>;
}

const baseEnv = (db: TestDatabase, dataDir: string, naming: TestEventNaming, natsUrl?: string) => ({
  DATABASE_URL: db.url,
  AUTH_DEV_ISSUER: 'true',
  SAMVERKAN_DATA_DIR: dataDir,
  EVENTS_SUBJECT_PREFIX: naming.subjectPrefix,
  EVENTS_STREAM_PREFIX: naming.streamPrefix,
  OUTBOX_POLL_INTERVAL_MS: '50',
  RATE_LIMIT_MAX: '100000',
  DATABASE_POOL_SIZE: '5',
  NOTIFICATIONS_SSE_HEARTBEAT_MS: '1000',
  NOTIFICATIONS_RETRY_BASE_MS: '50',
  ...(natsUrl ? { NATS_URL: natsUrl } : {}),
});

function caller(app: FastifyInstance, token: () => Promise<string> | null): Caller {
  const send = async (
    method: InjectOptions['method'],
    url: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ) => {
    const t = token();
    return app.inject({
      method,
      url,
      headers: {
        ...(t ? { authorization: `Bearer ${await t}` } : {}),
        ...(method === 'POST' || method === 'PUT' || method === 'DELETE'
          ? { 'idempotency-key': randomUUID() }
          : {}),
        ...headers,
      },
      ...(body !== undefined ? { payload: body as InjectOptions['payload'] } : {}),
    });
  };
  return {
    get: (url, headers) => send('GET', url, undefined, headers),
    post: (url, body, headers) => send('POST', url, body ?? {}, headers),
    put: (url, body, headers) => send('PUT', url, body ?? {}, headers),
    delete: (url, headers) => send('DELETE', url, undefined, headers),
  };
}

/**
 * Directory, referrals and notifications on one app, as the embedded hub runs them, on a fresh
 * database and, with `nats: true`, the real JetStream with this file's own subjects. The
 * service's env settings (escalation delays…) come from `options.env`. Waits until the
 * notifications read model has the seeded directory.
 */
export async function buildHub(options: HubOptions = {}): Promise<TestHub> {
  const db = await createTestDatabase('ntf');
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'samverkan-ntf-'));
  const naming = testEventNaming();
  const natsUrl = options.nats ? testNatsUrl() : undefined;
  const env: Record<string, string> = {
    ...baseEnv(db, dataDir, naming, natsUrl),
    LOG_LEVEL: options.logStream ? 'debug' : 'silent',
    ...options.env,
  };
  // The services read their own settings from process.env, like the real processes do.
  const saved = { ...process.env };
  Object.assign(process.env, env);
  const config = loadConfig(env);
  let directory: DirectoryServices | undefined;
  let referrals: ReferralsServices | undefined;
  let notifications: NotificationsServices | undefined;
  const app = await createPlatformApp(
    options.logStream ? { config, logStream: options.logStream } : { config, logger: false },
  );
  try {
    // Consumers first: in-process events go to the consumers registered when they are published.
    await app.register(notificationsService, { onServices: (s) => (notifications = s) });
    await app.register(referralsService, { onServices: (s) => (referrals = s) });
    await app.register(directoryService, { seedDemo: true, onServices: (s) => (directory = s) });
    await app.ready();
  } catch (err) {
    await app.close().catch(() => undefined);
    await db.drop();
    fs.rmSync(dataDir, { recursive: true, force: true });
    process.env = saved;
    throw err;
  }
  const ds = notifications!.context.dataSource;
  await eventually(async () => {
    const [row] = (await ds.query(
      `SELECT (SELECT count(*) FROM notifications.directory_units)::int AS units,
              (SELECT count(*) FROM notifications.directory_members WHERE active)::int AS members,
              (SELECT count(*) FROM notifications.directory_shifts)::int AS shifts`,
    )) as Array<{ units: number; members: number; shifts: number }>;
    return row!.units >= 12 && row!.members >= 9 && row!.shifts >= 1 ? true : undefined;
  }, 30_000);

  const token = (user: DemoUserName) =>
    app.platform.devIssuer!.mint(DEMO_USERS[user]!, { audience: config.AUTH_AUDIENCE });
  const replicas: NotificationsReplica[] = [];

  const hub: TestHub = {
    app,
    config,
    db,
    naming,
    natsUrl,
    dataDir,
    directory: directory!,
    referrals: referrals!,
    notifications: notifications!,
    env,
    token,
    as: (user) => caller(app, () => (user ? token(user) : null)),
    async emit(type, data) {
      const events = type.startsWith('samverkan.referrals.')
        ? referrals!.context.events
        : type.startsWith('samverkan.directory.')
          ? directory!.context.events
          : notifications!.context.events;
      return events.transaction((tx) => events.outbox.append(tx, type, data));
    },
    async publishRaw(envelope) {
      if (!natsUrl) {
        throw new Error('publishRaw needs nats: true');
      }
      const nc = await connect({ servers: natsUrl });
      try {
        await jetstream(nc).publish(wireSubject(naming, envelope.type), JSON.stringify(envelope));
      } finally {
        await nc.close();
      }
    },
    async replica(overrides = {}) {
      const replicaEnv = { ...env, ...overrides };
      const replicaConfig = loadConfig(replicaEnv);
      let services: NotificationsServices | undefined;
      const replicaApp = await createPlatformApp({ config: replicaConfig, logger: false });
      const before = { ...process.env };
      Object.assign(process.env, replicaEnv);
      try {
        await replicaApp.register(notificationsService, { onServices: (s) => (services = s) });
        await replicaApp.ready();
      } finally {
        process.env = before;
      }
      const replica: NotificationsReplica = {
        app: replicaApp,
        notifications: services!,
        close: async () => {
          const i = replicas.indexOf(replica);
          if (i >= 0) {
            replicas.splice(i, 1);
            await replicaApp.close();
          }
        },
      };
      replicas.push(replica);
      return replica;
    },
    async rows(where = 'true', params = []) {
      return (await ds.query(
        `SELECT * FROM notifications.notifications WHERE ${where} ORDER BY seq`,
        params,
      )) as Array<Record<string, unknown>>;
    },
    async close() {
      for (const r of [...replicas]) {
        await r.close().catch(() => undefined);
      }
      await app.close();
      await db.drop();
      if (natsUrl) {
        await deleteTestStreams(natsUrl, naming.streamPrefix);
      }
      fs.rmSync(dataDir, { recursive: true, force: true });
      process.env = saved;
    },
  };
  return hub;
}
