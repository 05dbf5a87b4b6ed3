import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { directoryService, type DirectoryServices } from '@samverkan/directory';
import {
  readDevKeyStore,
  type DevKeyStoreContent,
} from '@samverkan/directory/src/seed/dev-key-store';
import {
  createPlatformApp,
  DEMO_AUDIT_UNITS,
  DEMO_UNITS,
  DEMO_USERS,
  loadConfig,
  type DemoUserName,
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
import { randomUUID } from 'node:crypto';
import { referralsService, type ReferralsServices } from '../../src/app';

export interface HubOptions {
  nats?: boolean;
  env?: Record<string, string>;
  /** capture the logs (at LOG_LEVEL from env, default debug) instead of discarding them */
  logStream?: NodeJS.WritableStream;
}

export interface TestHub {
  app: FastifyInstance;
  config: PlatformConfig;
  db: TestDatabase;
  naming: TestEventNaming;
  dataDir: string;
  keys: DevKeyStoreContent;
  directory: DirectoryServices;
  referrals: ReferralsServices;
  as(user: DemoUserName | null): {
    get(url: string, headers?: Record<string, string>): Promise<LightMyRequestResponse>;
    post(
      url: string,
      body?: unknown,
      headers?: Record<string, string>,
    ): Promise<LightMyRequestResponse>;
    delete(url: string, headers?: Record<string, string>): Promise<LightMyRequestResponse>;
  };
  close(): Promise<void>;
}

/**
 * Directory and referrals on one app, as the embedded hub runs them, on a fresh database (one
 * schema each) and, with `nats: true`, the real JetStream with this file's own subjects. Waits
 * until the referrals read model has caught up with the seeded directory.
 */
export async function buildHub(options: HubOptions = {}): Promise<TestHub> {
  const db = await createTestDatabase('ref');
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'samverkan-ref-'));
  const naming = testEventNaming();
  const natsUrl = options.nats ? testNatsUrl() : undefined;
  const config = loadConfig({
    DATABASE_URL: db.url,
    LOG_LEVEL: options.logStream ? 'debug' : 'silent',
    AUTH_DEV_ISSUER: 'true',
    SAMVERKAN_DATA_DIR: dataDir,
    EVENTS_SUBJECT_PREFIX: naming.subjectPrefix,
    EVENTS_STREAM_PREFIX: naming.streamPrefix,
    OUTBOX_POLL_INTERVAL_MS: '50',
    RATE_LIMIT_MAX: '100000',
    DATABASE_POOL_SIZE: '5',
    ...(natsUrl ? { NATS_URL: natsUrl } : {}),
    ...options.env,
  });
  let directory: DirectoryServices | undefined;
  let referrals: ReferralsServices | undefined;
  const app = await createPlatformApp(
    options.logStream ? { config, logStream: options.logStream } : { config, logger: false },
  );
  try {
    await app.register(referralsService, { onServices: (s) => (referrals = s) });
    await app.register(directoryService, { seedDemo: true, onServices: (s) => (directory = s) });
    await app.ready();
  } catch (err) {
    await app.close().catch(() => undefined);
    await db.drop();
    fs.rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
  // The read model is fed by events: wait until every seeded unit and its keys have arrived.
  await eventually(async () => {
    const [row] = (await referrals!.context.dataSource.query(
      `SELECT count(*) FILTER (WHERE organisation_kind <> 'unknown' AND cardinality(active_encryption_kids) > 0)::int AS n
         FROM referrals.directory_units`,
    )) as Array<{ n: number }>;
    // Every seeded unit: the service units and the organisations' audit units.
    if (row!.n < Object.keys(DEMO_UNITS).length + Object.keys(DEMO_AUDIT_UNITS).length) {
      return undefined;
    }
    // …and every seeded member (operation shifts are checked against them).
    const seeded = Object.values(DEMO_USERS).reduce((n, u) => n + u.units.length, 0);
    const [members] = (await referrals!.context.dataSource.query(
      'SELECT count(*)::int AS n FROM referrals.directory_members WHERE active',
    )) as Array<{ n: number }>;
    return members!.n >= seeded ? true : undefined;
  }, 30_000);

  const token = (user: DemoUserName) =>
    app.platform.devIssuer!.mint(DEMO_USERS[user]!, { audience: config.AUTH_AUDIENCE });
  const as = (user: DemoUserName | null) => {
    const send = async (
      method: InjectOptions['method'],
      url: string,
      body?: unknown,
      headers: Record<string, string> = {},
    ) =>
      app.inject({
        method,
        url,
        headers: {
          ...(user ? { authorization: `Bearer ${await token(user)}` } : {}),
          ...(method === 'POST' || method === 'DELETE' ? { 'idempotency-key': randomUUID() } : {}),
          ...headers,
        },
        ...(body !== undefined ? { payload: body as InjectOptions['payload'] } : {}),
      });
    return {
      get: (url: string, headers?: Record<string, string>) => send('GET', url, undefined, headers),
      post: (url: string, body?: unknown, headers?: Record<string, string>) =>
        send('POST', url, body ?? {}, headers),
      delete: (url: string, headers?: Record<string, string>) =>
        send('DELETE', url, undefined, headers),
    };
  };

  return {
    app,
    config,
    db,
    naming,
    dataDir,
    keys: readDevKeyStore(dataDir),
    directory: directory!,
    referrals: referrals!,
    as,
    async close() {
      await app.close();
      await db.drop();
      if (natsUrl) {
        await deleteTestStreams(natsUrl, naming.streamPrefix);
      }
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
