import type { FastifyInstance } from 'fastify';
import { createPlatformApp } from '../app/create-app';
import { loadConfig, type PlatformConfig } from '../config/config';

/**
 * The platform app with no service and no database (never connected to), for tests of what
 * createPlatformApp itself does to routes: validation, serialization, problem+json.
 */
export function barePlatformApp(options: { lazySchemas?: boolean } = {}): Promise<FastifyInstance> {
  return createPlatformApp({
    config: loadConfig<PlatformConfig>({ LOG_LEVEL: 'silent' }),
    databaseUrl: 'postgres://unused@127.0.0.1:1/unused',
    logger: false,
    ...options,
  });
}
