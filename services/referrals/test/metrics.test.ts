/**
 * Prometheus metrics (issue 6, observability): request latency by route template, outbox size
 * and age per service, events consumed by outcome, consumer lag on JetStream — with labels that
 * carry routes and event types only, never ids. Served on a listener of their own
 * (METRICS_PORT on 127.0.0.1 by default, optionally behind METRICS_TOKEN), never on the API port
 * (issue 12: /metrics was public on the API port).
 */
import {
  DEMO_UNITS as U,
  listenMetrics,
  loadConfig,
  type MetricsListener,
} from '@samverkan/shared';
import { buildHub, type TestHub } from './helpers/build';

let hub: TestHub;
let listener: MetricsListener;

beforeAll(async () => {
  hub = await buildHub({ nats: true });
  listener = await listenMetrics(hub.app.metrics, { port: 0, host: '127.0.0.1' });
}, 120_000);
afterAll(async () => {
  await listener?.close();
  await hub?.close();
});

async function scrape(): Promise<string> {
  const res = await fetch(`${listener.url}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toContain('text/plain');
  return res.text();
}

it('serves request latency by route template, not by raw URL', async () => {
  await hub.as('police.officer').get(`/v1/units/${U.frideborg}`);
  await hub.as('police.officer').get(`/v1/units/${U.socialjour}`);
  const text = await scrape();
  expect(text).toMatch(
    /samverkan_http_request_duration_seconds_count\{method="GET",route="\/v1\/units\/:id",status_code="200"\} 2/,
  );
  expect(text).not.toContain(U.frideborg);
});

it('serves the outbox size and age of each service and what the consumers did', async () => {
  const text = await scrape();
  expect(text).toMatch(/samverkan_outbox_pending_events\{service="directory"\} \d+/);
  expect(text).toMatch(/samverkan_outbox_pending_events\{service="referrals"\} \d+/);
  expect(text).toMatch(/samverkan_outbox_oldest_pending_seconds\{service="referrals"\} [\d.]+/);
  // The referrals read model consumed the seeded directory's events from JetStream.
  expect(text).toMatch(
    /samverkan_events_consumed_total\{service="referrals",consumer="[^"]+",type="samverkan\.directory\.unit\.created",outcome="done"\} \d+/,
  );
  expect(text).toMatch(
    /samverkan_consumer_pending_events\{service="referrals",consumer="[^"]+"\} 0/,
  );
  expect(text).toContain('samverkan_process_resident_memory_bytes');
});

it('is not served on the API port, with or without a token', async () => {
  // Outside /v1 an unknown path is "no such route" without a token too (the API's own paths ask
  // for one first).
  const anonymous = await hub.app.inject({ method: 'GET', url: '/metrics' });
  expect(anonymous.statusCode).toBe(404);
  expect(anonymous.json()).toMatchObject({ type: 'urn:samverkan:problem:route-not-found' });
  const anonymousApi = await hub.app.inject({ method: 'GET', url: '/v1/metrics' });
  expect(anonymousApi.statusCode).toBe(401);
  const signedIn = await hub.as('hub.admin').get('/metrics');
  expect(signedIn.statusCode).toBe(404);
  expect(signedIn.body).not.toContain('samverkan_http_request_duration_seconds');
});

it('listens on 127.0.0.1 unless told otherwise, and answers only GET /metrics', async () => {
  const config = loadConfig({});
  expect(config.METRICS_HOST).toBe('127.0.0.1');
  expect(config.METRICS_PORT).toBe(9464);
  expect(listener.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  expect((await fetch(`${listener.url}/v1/units`)).status).toBe(404);
  expect((await fetch(`${listener.url}/metrics`, { method: 'POST' })).status).toBe(404);
});

it('with METRICS_TOKEN, a scrape needs that bearer token', async () => {
  const token = 'metrics-token-0123456789abcdef';
  const guarded = await listenMetrics(hub.app.metrics, { port: 0, host: '127.0.0.1', token });
  try {
    expect((await fetch(`${guarded.url}/metrics`)).status).toBe(401);
    const wrong = await fetch(`${guarded.url}/metrics`, {
      headers: { authorization: 'Bearer metrics-token-0123456789abcdeX' },
    });
    expect(wrong.status).toBe(401);
    const right = await fetch(`${guarded.url}/metrics`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(right.status).toBe(200);
    expect(await right.text()).toContain('samverkan_http_request_duration_seconds');
  } finally {
    await guarded.close();
  }
});
