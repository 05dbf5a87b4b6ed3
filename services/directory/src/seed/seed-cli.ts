/**
 * `npm run seed`: loads the demo directory (docs/architecture.md#the-demo-directory) into the database the directory uses
 * (DATABASE_URL / DIRECTORY_DATABASE_URL, or the embedded one in SAMVERKAN_DATA_DIR when neither
 * is set — stop `npm start` first, PGlite has one owner). Safe to run again: what exists is kept.
 * The demo units' private keys go to <SAMVERKAN_DATA_DIR>/dev-keys. Events it causes wait in the
 * outbox until a running directory publishes them.
 */
import {
  ConfigError,
  createPlatformApp,
  loadConfig,
  startEmbeddedPostgres,
  type EmbeddedPostgres,
} from '@samverkan/shared';
import { directoryService } from '../app';

async function main(): Promise<void> {
  const config = loadConfig(process.env, { defaults: { LOG_LEVEL: 'warn' } });
  const ownUrl = process.env.DIRECTORY_DATABASE_URL;
  let embedded: EmbeddedPostgres | undefined;
  if (!config.DATABASE_URL && !ownUrl) {
    embedded = await startEmbeddedPostgres(config.SAMVERKAN_DATA_DIR);
  }
  // Events stay in the outbox (no broker connection needed to seed).
  const app = await createPlatformApp({
    config: { ...config, NATS_URL: undefined },
    databaseUrl: ownUrl ?? embedded?.url,
  });
  let created = 0;
  try {
    await app.register(directoryService, {
      seedDemo: true,
      publishEvents: false,
      onSeeded: (result) => {
        created = result.created;
      },
    });
    await app.ready();
  } finally {
    await app.close();
    await embedded?.stop();
  }
  process.stdout.write(
    `demo directory ${created > 0 ? `loaded (${created} organisations, units and members added)` : 'already present'}\n`,
  );
}

main().catch((err: unknown) => {
  process.stderr.write(
    `seed: ${err instanceof ConfigError ? err.message : ((err as Error).stack ?? String(err))}\n`,
  );
  process.exit(1);
});
