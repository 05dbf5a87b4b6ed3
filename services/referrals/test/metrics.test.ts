/**
 * Prometheus metrics at /metrics (issue 6, observability): request latency by route template,
 * outbox size and age per service, events consumed by outcome, consumer lag on JetStream — with
 * labels that carry routes and event types only, never ids.
 */
import { DEMO_UNITS as U } from '@samverkan/shared';
import { buildHub, type TestHub } from './helpers/build';

let hub: TestHub;

beforeAll(async () => {
  hub = await buildHub({ nats: true });
}, 120_000);
afterAll(async () => hub?.close());

async function scrape(): Promise<string> {
  const res = await hub.app.inject({ method: 'GET', url: '/metrics' });
  expect(res.statusCode).toBe(200);
  expect(res.headers['content-type']).toContain('text/plain');
  return res.body;
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

it('needs no token, like /readyz (keep it inside the deployment network)', async () => {
  const res = await hub.app.inject({ method: 'GET', url: '/metrics' });
  expect(res.statusCode).toBe(200);
});
