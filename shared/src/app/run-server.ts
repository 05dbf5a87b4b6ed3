import closeWithGrace from 'close-with-grace';
import type { FastifyInstance } from 'fastify';
import type { PlatformConfig } from '../config/config';

/**
 * Listens, and closes gracefully on SIGINT/SIGTERM or a fatal error: stop accepting requests,
 * let running ones finish, stop relays and consumers, close the database and NATS.
 */
export async function runServer(
  app: FastifyInstance,
  config: PlatformConfig,
  options: { afterClose?: () => Promise<void> } = {},
): Promise<string> {
  closeWithGrace({ delay: 15_000 }, async ({ err, signal }) => {
    if (err) {
      app.log.error({ err }, 'shutting down after a fatal error');
    } else {
      app.log.info({ signal }, 'shutting down');
    }
    await app.close();
    await options.afterClose?.();
  });
  return app.listen({ port: config.PORT, host: config.HOST });
}
