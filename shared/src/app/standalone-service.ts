import type { FastifyPluginAsync } from 'fastify';
import { ConfigError, loadConfig } from '../config/config';
import { createPlatformApp } from './create-app';
import { registerDocs } from './docs';
import { runServer } from './run-server';

/**
 * A service on its own (distributed mode): real Postgres (`DATABASE_URL` or
 * `<SERVICE>_DATABASE_URL`) and, with `NATS_URL`, JetStream; its docs at /docs.
 */
export function startStandaloneService<O extends object>(options: {
  service: string;
  plugin: FastifyPluginAsync<O>;
  pluginOptions?: (config: ReturnType<typeof loadConfig>) => O;
  openapiDir: string;
}): void {
  const ownUrlVariable = `${options.service.toUpperCase()}_DATABASE_URL`;
  const main = async (): Promise<void> => {
    const config = loadConfig();
    const ownUrl = process.env[ownUrlVariable];
    if (!config.DATABASE_URL && !ownUrl) {
      throw new ConfigError(
        `Invalid configuration: set DATABASE_URL (or ${ownUrlVariable}) to a Postgres URL`,
      );
    }
    const app = await createPlatformApp({
      config,
      databaseUrl: ownUrl,
      streamReplicas: Number(process.env.EVENTS_STREAM_REPLICAS ?? 1),
    });
    await registerDocs(app, options.openapiDir, [options.service]);
    await app.register(options.plugin, options.pluginOptions?.(config) ?? ({} as O));
    await runServer(app, config);
  };
  main().catch((err: unknown) => {
    process.stderr.write(
      `${options.service}: ${err instanceof ConfigError ? err.message : ((err as Error).stack ?? String(err))}\n`,
    );
    process.exit(1);
  });
}
