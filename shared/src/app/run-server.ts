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
  // set once listening; the shutdown below may run before (a signal during the start)
  let metrics: MetricsListener | undefined = undefined;
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
  metrics = await serveMetrics(app, config);
  return address;
}

/**
 * The metrics listener (METRICS_PORT; 0 serves none). The API keeps serving without it when it
 * cannot listen: a port already taken (a second hub on the host, say) is said in one line with
 * what to do, without a stack trace; anything else is logged as the error it is.
 */
export async function serveMetrics(
  app: FastifyInstance,
  config: Pick<PlatformConfig, 'METRICS_PORT' | 'METRICS_HOST' | 'METRICS_TOKEN'>,
): Promise<MetricsListener | undefined> {
  if (config.METRICS_PORT <= 0) {
    return undefined;
  }
  try {
    const metrics = await listenMetrics(app.metrics, {
      port: config.METRICS_PORT,
      host: config.METRICS_HOST,
      ...(config.METRICS_TOKEN ? { token: config.METRICS_TOKEN } : {}),
    });
    app.log.info({ url: `${metrics.url}/metrics` }, 'metrics listening');
    return metrics;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      app.log.warn(
        `metrics not served: port ${config.METRICS_PORT} on ${config.METRICS_HOST} is already in use ` +
          '(another hub on this machine?); the API serves as usual. Set METRICS_PORT to a free port, ' +
          'or to 0 to serve no metrics',
      );
    } else {
      app.log.error({ err, port: config.METRICS_PORT }, 'metrics not served');
    }
    return undefined;
  }
}
