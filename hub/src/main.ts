/**
 * The embedded hub (`npm start`): every service on one Fastify instance and one port, on an
 * embedded Postgres (PGlite in SAMVERKAN_DATA_DIR) unless DATABASE_URL is set, with events
 * in-process unless NATS_URL is set. No business logic lives here.
 */
import fs from 'node:fs';
import path from 'node:path';
import { directoryService, OPENAPI_DIR } from '@samverkan/directory';
import { notificationsService } from '@samverkan/notifications';
import { referralsService } from '@samverkan/referrals';
import {
  ConfigError,
  createPlatformApp,
  loadConfig,
  type PlatformConfig,
  registerDocs,
  runServer,
  startEmbeddedPostgres,
  type EmbeddedPostgres,
} from '@samverkan/shared';
import { migratedTemplatePath } from './embedded-template';
import { registerDevOpenIdProvider, WEB_CLIENT_ID, OIDC_PREFIX } from './dev-openid-provider';
import { registerWebApp, type SignInProvider } from './web-app';

async function main(): Promise<void> {
  // The embedded hub is the newcomer's mode: dev token issuer and demo directory on by default.
  const config = loadConfig<PlatformConfig & { WEB_PUBLIC_URL?: string }>(process.env, {
    defaults: { AUTH_DEV_ISSUER: true, SEED_DEMO_DATA: true },
    properties: {
      // Where people open the web front door, when not http://localhost:PORT (the development
      // OpenID provider's issuer and redirect address are derived from it).
      WEB_PUBLIC_URL: { type: 'string', pattern: '^https?://[^/?#]+$' },
    },
  });
  let embedded: EmbeddedPostgres | undefined;
  if (!config.DATABASE_URL) {
    embedded = await startEmbeddedPostgres(config.SAMVERKAN_DATA_DIR, undefined, {
      // looked for only when the data folder is fresh
      migratedTemplate: migratedTemplatePath,
    });
  }
  const app = await createPlatformApp({ config, databaseUrl: embedded?.url, lazySchemas: true });
  await registerDocs(app, OPENAPI_DIR, ['directory', 'referrals', 'notifications']);
  // Consumers first: the read models of the directory must be listening before the directory
  // seeds (in-process events go to the consumers registered when they are published).
  await app.register(notificationsService);
  await app.register(referralsService);
  await app.register(directoryService, { seedDemo: config.SEED_DEMO_DATA });
  const providers: SignInProvider[] = [];
  if (app.platform.devIssuer) {
    const publicUrls = [
      ...(config.WEB_PUBLIC_URL ? [config.WEB_PUBLIC_URL] : []),
      `http://localhost:${config.PORT}`,
      `http://127.0.0.1:${config.PORT}`,
    ];
    const { issuer } = await registerDevOpenIdProvider(app, {
      publicUrls,
      dataDir: config.SAMVERKAN_DATA_DIR,
      audience: config.AUTH_AUDIENCE,
    });
    providers.push({
      issuer,
      discoveryUrl: `${OIDC_PREFIX}/.well-known/openid-configuration`,
      clientId: WEB_CLIENT_ID,
      name: 'Utvecklingsinloggning (demoanvändare)',
      idTokenSigningAlg: 'EdDSA',
    });
  }
  await registerWebApp(app, { providers });
  const address = await runServer(app, config, { afterClose: async () => embedded?.stop() });
  const url = address.replace('0.0.0.0', 'localhost').replace('127.0.0.1', 'localhost');
  // A token is only good for the hub whose data folder holds the development key that signed it.
  const dataDir = path.resolve(config.SAMVERKAN_DATA_DIR);
  const tokenCommand = `SAMVERKAN_DATA_DIR=${dataDir} npm run -s token -- police.officer`;
  const tokenHint = config.AUTH_DEV_ISSUER
    ? `${tokenCommand}   (or: npx samverkan login police.officer)`
    : 'from your identity provider (the development issuer is off)';
  process.stdout.write(
    [
      '',
      `Samverkan hub running at ${url}`,
      `  web:          ${url}/`,
      `  API docs:     ${url}/docs`,
      `  data folder:  ${dataDir} (${embedded ? 'embedded Postgres' : 'DATABASE_URL'}, ${
        config.NATS_URL ? 'NATS JetStream' : 'in-process events'
      })`,
      `  get a token:  ${tokenHint}`,
      // The demo's printed sheet: how an organisation admin approves a colleague's first browser.
      ...(fs.existsSync(path.join(dataDir, 'dev-keys', 'recovery-keys.txt'))
        ? [
            `  first browser: sign in at ${url}/ as e.g. frideborg.caseworker (it shows a code); in another browser`,
            `                 sign in as norrkoping.admin → "Medlemmar och pass" → Frideborg, pick the recovery sheet`,
            `                 ${path.join(dataDir, 'dev-keys', 'recovery-keys.txt')} and type the code`,
          ]
        : []),
      `  try it:       curl -H "Authorization: Bearer $(${tokenCommand})" "${url}/v1/units?municipality=0581&openNow=true"`,
      // The CLI finds the hub on http://localhost:3000, and the demo keys (`keys import-dev`) in
      // ./data, unless told otherwise.
      ...(config.PORT !== 3000 || dataDir !== path.resolve('data')
        ? [`  the CLI:      export SAMVERKAN_URL=${url} SAMVERKAN_DATA_DIR=${dataDir}`]
        : []),
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
