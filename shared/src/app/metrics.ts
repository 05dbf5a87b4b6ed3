import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { createHash, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { DataSource } from 'typeorm';

/**
 * Prometheus metrics (prom-client), one registry per app so that the embedded hub and tests
 * with several apps in one process never mix their figures. Labels carry routes, services and
 * event types only — never ids, never anything about a person.
 */
export class PlatformMetrics {
  readonly registry = new Registry();
  readonly httpDuration = new Histogram({
    name: 'samverkan_http_request_duration_seconds',
    help: 'HTTP request duration by route template and status code',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  readonly eventsConsumed = new Counter({
    name: 'samverkan_events_consumed_total',
    help: 'Events handled by a consumer, by outcome (processed, duplicate, retried, dead_lettered)',
    labelNames: ['service', 'consumer', 'type', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly eventRedeliveries = new Counter({
    name: 'samverkan_event_redeliveries_total',
    help: 'Events delivered more than once to a consumer (JetStream redelivery)',
    labelNames: ['service', 'consumer', 'type'] as const,
    registers: [this.registry],
  });
  readonly consumerPending = new Gauge({
    name: 'samverkan_consumer_pending_events',
    help: 'Events on the stream not yet delivered to the durable consumer (consumer lag)',
    labelNames: ['service', 'consumer'] as const,
    registers: [this.registry],
  });
  readonly escalations = new Counter({
    name: 'samverkan_escalations_total',
    help: 'Escalations raised, by service and kind of object',
    labelNames: ['service', 'kind'] as const,
    registers: [this.registry],
  });
  readonly webhookDeliveries = new Counter({
    name: 'samverkan_webhook_deliveries_total',
    help: 'Webhook delivery attempts by outcome (delivered, failed, gone, disabled)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'samverkan_' });
  }

  /**
   * Outbox size and age for one service, read from its own table when Prometheus scrapes: how
   * many events wait to be published and how old the oldest is (the relay's lag). The service's
   * name is its schema.
   */
  watchOutbox(service: string, dataSource: DataSource): void {
    const query = async (): Promise<{ pending: number; oldest: number }> => {
      const rows = (await dataSource.query(
        `SELECT count(*)::int AS pending,
                COALESCE(EXTRACT(EPOCH FROM now() - min(created_at)), 0)::float AS oldest
           FROM "${service}".outbox WHERE published_at IS NULL`,
      )) as Array<{ pending: number; oldest: number }>;
      return rows[0] ?? { pending: 0, oldest: 0 };
    };
    let last: Promise<{ pending: number; oldest: number }> | undefined;
    // Both gauges come from one query per scrape.
    const read = (): Promise<{ pending: number; oldest: number }> => {
      last ??= query().finally(() => setTimeout(() => (last = undefined), 500).unref());
      return last;
    };
    const existing = (name: string) => this.registry.getSingleMetric(name) as Gauge | undefined;
    const pending =
      existing('samverkan_outbox_pending_events') ??
      new Gauge({
        name: 'samverkan_outbox_pending_events',
        help: 'Outbox rows not yet published to NATS, by service',
        labelNames: ['service'],
        registers: [this.registry],
      });
    const oldest =
      existing('samverkan_outbox_oldest_pending_seconds') ??
      new Gauge({
        name: 'samverkan_outbox_oldest_pending_seconds',
        help: 'Age of the oldest unpublished outbox row (relay lag), by service',
        labelNames: ['service'],
        registers: [this.registry],
      });
    this.collectors.push(async () => {
      if (!dataSource.isInitialized) {
        return;
      }
      const figures = await read().catch(() => undefined);
      if (figures) {
        pending.set({ service }, figures.pending);
        oldest.set({ service }, figures.oldest);
      }
    });
  }

  private readonly collectors: Array<() => Promise<void>> = [];

  /** Consumer lag of one durable JetStream consumer, read when Prometheus scrapes. */
  watchConsumer(service: string, consumer: string, pending: () => Promise<number>): void {
    this.collectors.push(async () => {
      const n = await pending().catch(() => undefined);
      if (n !== undefined) {
        this.consumerPending.set({ service, consumer }, n);
      }
    });
  }

  async render(): Promise<string> {
    await Promise.all(this.collectors.map((c) => c()));
    return this.registry.metrics();
  }
}

declare module 'fastify' {
  interface FastifyInstance {
    metrics: PlatformMetrics;
  }
}

/**
 * `app.metrics`: request durations by route template (not by raw URL). The figures are served by
 * `listenMetrics` on a port of their own, never on the API port: they tell an outsider how busy
 * each route and consumer is, and the API port faces every caller.
 */
export const metricsPlugin = fp(
  async (app: FastifyInstance) => {
    const metrics = new PlatformMetrics();
    app.decorate('metrics', metrics);
    app.addHook('onResponse', async (request, reply) => {
      const route = request.routeOptions.url;
      if (route === undefined) {
        return;
      }
      metrics.httpDuration.observe(
        { method: request.method, route, status_code: String(reply.statusCode) },
        reply.elapsedTime / 1000,
      );
    });
  },
  { name: 'samverkan-metrics' },
);

export interface MetricsListenOptions {
  port: number;
  host: string;
  /** when set, a scrape must send `Authorization: Bearer <token>` */
  token?: string;
}

export interface MetricsListener {
  /** `http://host:port` the listener is bound to */
  url: string;
  close(): Promise<void>;
}

function sameSecret(given: string, expected: string): boolean {
  // Hashes first: equal lengths for timingSafeEqual, and no early exit on a length mismatch.
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/**
 * Serves `GET /metrics` (Prometheus text format) on its own listener — by default on
 * 127.0.0.1:METRICS_PORT, so only the host (or, in a container, the deployment's network when
 * METRICS_HOST is 0.0.0.0) can scrape it — optionally behind a bearer token (METRICS_TOKEN).
 * Anything else on that port is a 404; a missing or wrong token a 401.
 */
export async function listenMetrics(
  metrics: PlatformMetrics,
  options: MetricsListenOptions,
): Promise<MetricsListener> {
  const server = http.createServer((request, response) => {
    const path = (request.url ?? '').split('?')[0];
    if (path !== '/metrics' || (request.method !== 'GET' && request.method !== 'HEAD')) {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    if (options.token) {
      const header = request.headers.authorization ?? '';
      const given = header.startsWith('Bearer ') ? header.slice(7) : '';
      if (!sameSecret(given, options.token)) {
        response
          .writeHead(401, { 'content-type': 'text/plain', 'www-authenticate': 'Bearer' })
          .end('a bearer token is required\n');
        return;
      }
    }
    metrics.render().then(
      (text) => {
        response.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text);
      },
      () => {
        response.writeHead(500, { 'content-type': 'text/plain' }).end('metrics failed\n');
      },
    );
  });
  server.requestTimeout = 10_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
