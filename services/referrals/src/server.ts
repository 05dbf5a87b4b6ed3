/** The referrals service on its own (distributed mode): real Postgres and NATS JetStream. */
import {
  ConfigError,
  createPlatformApp,
  loadConfig,
  registerDocs,
  runServer,
} from '@samverkan/shared';
import { OPENAPI_DIR, referralsService } from './app';

async function main(): Promise<void> {
  const config = loadConfig();
  if (!config.DATABASE_URL && !process.env.REFERRALS_DATABASE_URL) {
    throw new ConfigError(
      'Invalid configuration: set DATABASE_URL (or REFERRALS_DATABASE_URL) to a Postgres URL',
    );
  }
  const app = await createPlatformApp({
    config,
    databaseUrl: process.env.REFERRALS_DATABASE_URL,
    streamReplicas: Number(process.env.EVENTS_STREAM_REPLICAS ?? 1),
  });
  await registerDocs(app, OPENAPI_DIR, ['referrals']);
  await app.register(referralsService);
  await runServer(app, config);
}

main().catch((err: unknown) => {
  process.stderr.write(
    `referrals: ${err instanceof ConfigError ? err.message : ((err as Error).stack ?? String(err))}\n`,
  );
  process.exit(1);
});
