/**
 * The embedded hub (`npm start`): every service on one Fastify instance and one port, on an
 * embedded Postgres (PGlite in SAMVERKAN_DATA_DIR) unless DATABASE_URL is set, with events
 * in-process unless NATS_URL is set. No business logic lives here.
 */
import path from 'node:path';
import { directoryService, OPENAPI_DIR } from '@samverkan/directory';
import { notificationsService } from '@samverkan/notifications';
import { referralsService } from '@samverkan/referrals';
import {
  ConfigError,
  createPlatformApp,
  loadConfig,
  registerDocs,
  runServer,
  startEmbeddedPostgres,
  type EmbeddedPostgres,
} from '@samverkan/shared';

async function main(): Promise<void> {
  // The embedded hub is the newcomer's mode: dev token issuer and demo directory on by default.
  const config = loadConfig(process.env, {
    defaults: { AUTH_DEV_ISSUER: true, SEED_DEMO_DATA: true },
  });
  let embedded: EmbeddedPostgres | undefined;
  if (!config.DATABASE_URL) {
    embedded = await startEmbeddedPostgres(config.SAMVERKAN_DATA_DIR);
  }
  const app = await createPlatformApp({ config, databaseUrl: embedded?.url });
  await registerDocs(app, OPENAPI_DIR, ['directory', 'referrals', 'notifications']);
  // Consumers first: the read models of the directory must be listening before the directory
  // seeds (in-process events go to the consumers registered when they are published).
  await app.register(notificationsService);
  await app.register(referralsService);
  await app.register(directoryService, { seedDemo: config.SEED_DEMO_DATA });
  const address = await runServer(app, config, { afterClose: async () => embedded?.stop() });
  const url = address.replace('0.0.0.0', 'localhost').replace('127.0.0.1', 'localhost');
  // A token is only good for the hub whose data folder holds the development key that signed it.
  const dataDir = path.resolve(config.SAMVERKAN_DATA_DIR);
  const tokenCommand = `SAMVERKAN_DATA_DIR=${dataDir} npm run token -- police.officer`;
  const tokenHint = config.AUTH_DEV_ISSUER
    ? `${tokenCommand}   (or: npx samverkan login police.officer)`
    : 'from your identity provider (the development issuer is off)';
  process.stdout.write(
    [
      '',
      `Samverkan hub running at ${url}`,
      `  API docs:     ${url}/docs`,
      `  data folder:  ${dataDir} (${embedded ? 'embedded Postgres' : 'DATABASE_URL'}, ${
        config.NATS_URL ? 'NATS JetStream' : 'in-process events'
      })`,
      `  get a token:  ${tokenHint}`,
      `  try it:       curl -H "Authorization: Bearer $(${tokenCommand})" "${url}/v1/units?municipality=0581&openNow=true"`,
      '',
    ].join('\n'),
  );
}

main().catch((err: unknown) => {
  process.stderr.write(
    `samverkan: ${err instanceof ConfigError ? err.message : ((err as Error).stack ?? String(err))}\n`,
  );
  process.exit(1);
});
