/**
 * The directory on its own (distributed mode): real Postgres (DATABASE_URL or
 * DIRECTORY_DATABASE_URL) and, if NATS_URL is set, NATS JetStream.
 */
import {
  ConfigError,
  createPlatformApp,
  loadConfig,
  registerDocs,
  runServer,
} from '@samverkan/shared';
import { directoryService, OPENAPI_DIR } from './app';

async function main(): Promise<void> {
  const config = loadConfig();
  if (!config.DATABASE_URL && !process.env.DIRECTORY_DATABASE_URL) {
    throw new ConfigError(
      'Invalid configuration: set DATABASE_URL (or DIRECTORY_DATABASE_URL) to a Postgres URL',
    );
  }
  const app = await createPlatformApp({
    config,
    databaseUrl: process.env.DIRECTORY_DATABASE_URL,
    streamReplicas: Number(process.env.EVENTS_STREAM_REPLICAS ?? 1),
  });
  await registerDocs(app, OPENAPI_DIR, ['directory']);
  await app.register(directoryService, { seedDemo: config.SEED_DEMO_DATA });
  await runServer(app, config);
}

main().catch((err: unknown) => {
  process.stderr.write(
    `directory: ${err instanceof ConfigError ? err.message : ((err as Error).stack ?? String(err))}\n`,
  );
  process.exit(1);
});
