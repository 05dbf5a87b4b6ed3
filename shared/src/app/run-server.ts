import closeWithGrace from 'close-with-grace';
import type { FastifyInstance } from 'fastify';
import type { PlatformConfig } from '../config/config';
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
  closeWithGrace({ delay: 15_000 }, async ({ err, signal }) => {
    if (err) {
      app.log.error({ err }, 'shutting down after a fatal error');
    } else {
      app.log.info({ signal }, 'shutting down');
    }
    await metrics?.close();
    await app.close();
    await options.afterClose?.();
  });
  const address = await app.listen({ port: config.PORT, host: config.HOST });
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
