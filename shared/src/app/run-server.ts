import closeWithGrace from 'close-with-grace';
import type { FastifyInstance } from 'fastify';
import { ConfigError, type PlatformConfig } from '../config/config';
import { listenMetrics, type MetricsListener } from './metrics';

/**
 * Listens, and closes gracefully on SIGINT/SIGTERM or a fatal error: stop accepting requests,
 * let running ones finish, stop relays and consumers, close the database and NATS.
 */
export async function runServer(
  app: FastifyInstance,
  config: PlatformConfig,
  options: { afterClose?: () => Promise<void> } = {},
): Promise<string> {
  let metrics: MetricsListener | undefined;
  const grace = closeWithGrace({ delay: 15_000 }, async ({ err, signal }) => {
    if (err) {
      app.log.error({ err }, 'shutting down after a fatal error');
    } else {
      app.log.info({ signal }, 'shutting down');
    }
    await metrics?.close();
    await app.close();
    await options.afterClose?.();
  });
  let address: string;
  try {
    address = await app.listen({ port: config.PORT, host: config.HOST });
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
  if (config.METRICS_PORT > 0) {
    try {
      metrics = await listenMetrics(app.metrics, {
        port: config.METRICS_PORT,
        host: config.METRICS_HOST,
        ...(config.METRICS_TOKEN ? { token: config.METRICS_TOKEN } : {}),
      });
      app.log.info({ url: `${metrics.url}/metrics` }, 'metrics listening');
    } catch (err) {
      // The API keeps serving without its metrics (a second process on the host, say); the
      // operator sees why at once.
      app.log.error(
        { err, port: config.METRICS_PORT },
        'metrics not served: METRICS_PORT is taken (set another port, or 0 to serve none)',
      );
    }
  }
  return address;
}
