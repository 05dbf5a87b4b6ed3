import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  createPlatformApp,
  DEMO_USERS,
  loadConfig,
  registerDocs,
  type DemoUserName,
  type PlatformConfig,
} from '@samverkan/shared';
import {
  createTestDatabase,
  deleteTestStreams,
  testEventNaming,
  testNatsUrl,
  type TestDatabase,
  type TestEventNaming,
} from '@samverkan/shared/src/testing';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { directoryService, OPENAPI_DIR, type DirectoryServices } from '../../src/app';
import { readDevKeyStore, type DevKeyStoreContent } from '../../src/seed/dev-key-store';

export interface BuildOptions {
  /** run events over NATS: true for the shared test server, or a URL (default: in-process) */
  nats?: boolean | string;
  /** load the demo directory (default true) */
  seed?: boolean;
  env?: Record<string, string>;
  /** reach Postgres through this local port (a proxy the test controls) */
  databasePort?: number;
}

export interface TestDirectory {
  app: FastifyInstance;
  config: PlatformConfig;
  db: TestDatabase;
  naming: TestEventNaming;
  natsUrl?: string;
  dataDir: string;
  /** private halves of the seeded keys */
  keys: DevKeyStoreContent;
  token(user: DemoUserName, claims?: Partial<(typeof DEMO_USERS)[string]>): Promise<string>;
  /** inject as a seeded user (or anonymously with `null`) */
  as(user: DemoUserName | null): {
    get(url: string, headers?: Record<string, string>): Promise<LightMyRequestResponse>;
    post(
      url: string,
      body?: unknown,
      headers?: Record<string, string>,
    ): Promise<LightMyRequestResponse>;
    patch(
      url: string,
      body?: unknown,
      headers?: Record<string, string>,
    ): Promise<LightMyRequestResponse>;
    delete(url: string, headers?: Record<string, string>): Promise<LightMyRequestResponse>;
  };
  close(): Promise<void>;
}

/**
 * A fresh directory for one test file: its own database on the real Postgres, its own event
 * subjects and streams, its own data folder (dev issuer and demo keys). `close()` removes all.
 */
export async function buildDirectory(options: BuildOptions = {}): Promise<TestDirectory> {
  const db = await createTestDatabase('dir');
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'samverkan-dir-'));
  const naming = testEventNaming();
  const natsUrl =
    options.nats === true
      ? testNatsUrl()
      : typeof options.nats === 'string'
        ? options.nats
        : undefined;
  const databaseUrl = new URL(db.url);
  if (options.databasePort) {
    databaseUrl.port = String(options.databasePort);
  }
  const config = loadConfig({
    DATABASE_URL: databaseUrl.toString(),
    LOG_LEVEL: 'silent',
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
  let app: FastifyInstance | undefined;
  try {
    app = await createPlatformApp({ config, logger: false });
    await registerDocs(app, OPENAPI_DIR, ['directory']);
    let services: DirectoryServices | undefined;
    await app.register(directoryService, {
      seedDemo: options.seed ?? true,
      onServices: (s) => (services = s),
    });
    // The service decorates its own encapsulated context; tests reach it from the root.
    app.decorate('directory', services!);
    await app.ready();
  } catch (err) {
    await app?.close().catch(() => undefined);
    await db.drop();
    throw err;
  }
  const ready = app;

  const token = async (user: DemoUserName, claims: Partial<(typeof DEMO_USERS)[string]> = {}) =>
    ready.platform.devIssuer!.mint(
      { ...DEMO_USERS[user]!, ...claims },
      { audience: config.AUTH_AUDIENCE },
    );

  const as = (user: DemoUserName | null) => {
    const send = async (
      method: InjectOptions['method'],
      url: string,
      body?: unknown,
      headers: Record<string, string> = {},
    ) =>
      ready.inject({
        method,
        url,
        headers: { ...(user ? { authorization: `Bearer ${await token(user)}` } : {}), ...headers },
        ...(body !== undefined ? { payload: body as InjectOptions['payload'] } : {}),
      });
    return {
      get: (url: string, headers?: Record<string, string>) => send('GET', url, undefined, headers),
      post: (url: string, body?: unknown, headers?: Record<string, string>) =>
        send('POST', url, body ?? {}, headers),
      patch: (url: string, body?: unknown, headers?: Record<string, string>) =>
        send('PATCH', url, body ?? {}, headers),
      delete: (url: string, headers?: Record<string, string>) =>
        send('DELETE', url, undefined, headers),
    };
  };

  return {
    app: ready,
    config,
    db,
    naming,
    natsUrl,
    dataDir,
    keys: readDevKeyStore(dataDir),
    token,
    as,
    async close() {
      await ready.close();
      await db.drop();
      if (natsUrl) {
        await deleteTestStreams(natsUrl, naming.streamPrefix);
      }
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
