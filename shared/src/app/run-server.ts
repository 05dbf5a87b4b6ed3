import closeWithGrace from 'close-with-grace';
import type { FastifyInstance } from 'fastify';
import { ConfigError, type PlatformConfig } from '../config/config';

/**
 * Listens, and closes gracefully on SIGINT/SIGTERM or a fatal error: stop accepting requests,
 * let running ones finish, stop relays and consumers, close the database and NATS.
 */
export async function runServer(
  app: FastifyInstance,
  config: PlatformConfig,
  options: { afterClose?: () => Promise<void> } = {},
): Promise<string> {
  const grace = closeWithGrace({ delay: 15_000 }, async ({ err, signal }) => {
    if (err) {
      app.log.error({ err }, 'shutting down after a fatal error');
    } else {
      app.log.info({ signal }, 'shutting down');
    }
    await app.close();
    await options.afterClose?.();
  });
  try {
    return await app.listen({ port: config.PORT, host: config.HOST });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') {
      throw err;
    }
    grace.uninstall();
    await app.close();
    await options.afterClose?.();
    // A second `npm start`, or another program on the port: say what to do, not a stack trace.
    throw new ConfigError(
      `port ${config.PORT} is already in use on ${config.HOST} (is the hub already running?). ` +
        `Stop the other process, or set PORT to a free port, e.g. PORT=${config.PORT + 1} npm start ` +
        `(the CLI then needs SAMVERKAN_URL=http://localhost:${config.PORT + 1})`,
    );
  }
}
