import http from 'node:http';
import { randomUUID } from 'node:crypto';
import { DEMO_ORGANISATIONS, DEMO_UNITS, type DemoUserName } from '@samverkan/shared';
import { eventually } from '@samverkan/shared/src/testing';
import { Webhook } from 'standardwebhooks';
import { WebhookDeliveryWorker } from '../src/webhooks/delivery-worker';
import { loadWebhookConfig } from '../src/webhooks/webhook-config';
import { referralWebhooksConsumer } from '../src/webhooks/webhook-consumers';
import { buildHub, type TestHub } from './helpers/build';

/**
 * Webhooks against a real HTTP receiver on this machine (private addresses and plain http are
 * allowed by configuration here, as they are not in production), with events travelling the
 * real path through the outbox and JetStream.
 */

interface Received {
  path: string;
  headers: Record<string, string>;
  body: string;
  at: number;
}

type Answer = { status: number; headers?: Record<string, string> };

/** A local receiver: each path answers from its script (the last answer repeats). */
class Receiver {
  readonly received: Received[] = [];
  private readonly scripts = new Map<string, Answer[]>();
  private server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = req.url ?? '/';
      this.received.push({
        path,
        headers: Object.fromEntries(
          Object.entries(req.headers).map(([k, v]) => [
            k,
            Array.isArray(v) ? v.join(',') : (v ?? ''),
          ]),
        ),
        body: Buffer.concat(chunks).toString('utf8'),
        at: Date.now(),
      });
      const script = this.scripts.get(path) ?? [{ status: 204 }];
      const answer = script.length > 1 ? script.shift()! : script[0]!;
      res.writeHead(answer.status, answer.headers ?? {});
      res.end();
    });
  });
  port = 0;

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as { port: number }).port;
  }

  /** A fresh path answering with `answers` in turn. */
  url(...answers: Answer[]): string {
    const path = `/hook/${randomUUID()}`;
    this.scripts.set(path, answers.length ? answers : [{ status: 204 }]);
    return `http://127.0.0.1:${this.port}${path}`;
  }

  at(url: string): Received[] {
    const path = new URL(url).pathname;
    return this.received.filter((r) => r.path === path);
  }

  script(url: string, ...answers: Answer[]): void {
    this.scripts.set(new URL(url).pathname, answers);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

let hub: TestHub;
const receiver = new Receiver();

beforeAll(async () => {
  await receiver.start();
  hub = await buildHub({
    nats: true,
    env: {
      NOTIFICATIONS_WEBHOOK_ALLOW_HTTP: 'true',
      NOTIFICATIONS_WEBHOOK_ALLOW_PRIVATE: 'true',
      NOTIFICATIONS_WEBHOOK_MAX_ATTEMPTS: '3',
      NOTIFICATIONS_WEBHOOK_RETRY_BASE_MS: '100',
      NOTIFICATIONS_WEBHOOK_RETRY_MAX_MS: '300',
      NOTIFICATIONS_WEBHOOK_DISABLE_AFTER_FAILURES: '5',
      NOTIFICATIONS_WEBHOOK_POLL_MS: '50',
      NOTIFICATIONS_WEBHOOK_TIMEOUT_MS: '2000',
    },
  });
}, 90_000);

afterAll(async () => {
  await hub?.close();
  await receiver.close();
});

async function send(
  user: DemoUserName,
  method: 'POST' | 'PATCH' | 'DELETE' | 'GET',
  url: string,
  body?: unknown,
) {
  return hub.app.inject({
    method,
    url,
    headers: {
      authorization: `Bearer ${await hub.token(user)}`,
      ...(method === 'GET' ? {} : { 'idempotency-key': randomUUID() }),
    },
    ...(body !== undefined ? { payload: body as object } : {}),
  });
}

interface Created {
  endpoint: { id: string; status: string };
  secret: string;
}

async function register(url: string, eventTypes: string[], unitId: string = DEMO_UNITS.frideborg) {
  const res = await send('norrkoping.admin', 'POST', '/v1/webhooks', { unitId, url, eventTypes });
  expect(res.statusCode).toBe(201);
  return res.json<Created>();
}

interface DeliveryView {
  id: string;
  eventId: string;
  eventType: string;
  status: string;
  attempts: number;
  nextAttemptAt: string | null;
  lastOutcome: string | null;
  attemptLog: Array<{ attemptedAt: string; statusCode: number | null; outcome: string }>;
}

async function deliveries(endpointId: string): Promise<DeliveryView[]> {
  const res = await send('norrkoping.admin', 'GET', `/v1/webhooks/${endpointId}/deliveries`);
  expect(res.statusCode).toBe(200);
  return res.json<{ items: DeliveryView[] }>().items;
}

async function deliveryWhen(
  endpointId: string,
  ok: (d: DeliveryView) => boolean,
  timeoutMs = 20_000,
): Promise<DeliveryView> {
  return eventually(async () => (await deliveries(endpointId)).find(ok), timeoutMs);
}

async function endpoint(id: string) {
  return (await send('norrkoping.admin', 'GET', `/v1/webhooks/${id}`)).json<{
    status: string;
    disabledReason: string | null;
    consecutiveFailures: number;
  }>();
}

function referralSent(recipientUnitId: string, copyUnitIds: string[] = []) {
  return {
    referralId: randomUUID(),
    senderUnitId: DEMO_UNITS.policeTraffickingOst,
    recipientUnitId,
    copyUnitIds,
    category: 'trafficking_sexual',
    urgency: 'acute',
    status: 'sent',
    municipalityCode: '0581',
  };
}

async function testPing(endpointId: string): Promise<DeliveryView> {
  const res = await send('norrkoping.admin', 'POST', `/v1/webhooks/${endpointId}/test`, {});
  expect(res.statusCode).toBe(202);
  return res.json<DeliveryView>();
}

describe('delivering events', () => {
  it('sends a thin, signed payload that the standardwebhooks library verifies, to the units concerned only', async () => {
    const url = receiver.url();
    const { endpoint: ep, secret } = await register(url, ['referral.sent']);
    const elsa = await register(receiver.url(), ['referral.sent'], DEMO_UNITS.elsa);
    const otherType = await register(receiver.url(), ['referral.accepted']);

    const data = referralSent(DEMO_UNITS.frideborg, [DEMO_UNITS.socialjour]);
    const event = await hub.emit('samverkan.referrals.referral.sent', data);
    const delivery = await deliveryWhen(ep.id, (d) => d.status === 'delivered');
    expect(delivery).toMatchObject({ eventId: event.id, eventType: 'referral.sent', attempts: 1 });

    const [request] = receiver.at(url);
    expect(request!.headers['webhook-id']).toBe(delivery.id);
    expect(request!.headers['content-type']).toBe('application/json');
    const verified = new Webhook(secret).verify(request!.body, request!.headers);
    expect(verified).toEqual({
      type: 'referral.sent',
      timestamp: event.time,
      data: {
        referralId: data.referralId,
        senderUnitId: data.senderUnitId,
        recipientUnitId: data.recipientUnitId,
        copyUnitIds: data.copyUnitIds,
        category: 'trafficking_sexual',
        urgency: 'acute',
        status: 'sent',
        unitId: DEMO_UNITS.frideborg,
      },
    });
    // Queued in the same transaction: the unit not concerned and the type not subscribed got none.
    expect(await deliveries(elsa.endpoint.id)).toEqual([]);
    expect(await deliveries(otherType.endpoint.id)).toEqual([]);
  });

  it('does not verify with another secret or a changed body', async () => {
    const url = receiver.url();
    const { endpoint: ep, secret } = await register(url, ['referral.sent']);
    await hub.emit('samverkan.referrals.referral.sent', referralSent(DEMO_UNITS.frideborg));
    await deliveryWhen(ep.id, (d) => d.status === 'delivered');
    const [request] = receiver.at(url);
    const other = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;
    expect(() => new Webhook(other).verify(request!.body, request!.headers)).toThrow();
    const changed = request!.body.replace('"urgency":"acute"', '"urgency":"routine"');
    expect(changed).not.toBe(request!.body);
    expect(() => new Webhook(secret).verify(changed, request!.headers)).toThrow();
  });

  it('a redelivered event queues nothing twice', async () => {
    const url = receiver.url();
    const { endpoint: ep } = await register(url, ['referral.sent']);
    const event = await hub.emit(
      'samverkan.referrals.referral.sent',
      referralSent(DEMO_UNITS.frideborg),
    );
    await deliveryWhen(ep.id, (d) => d.status === 'delivered');
    await hub.publishRaw(event); // the broker delivers it again, without its de-duplication id
    const later = await hub.emit(
      'samverkan.referrals.referral.sent',
      referralSent(DEMO_UNITS.frideborg),
    );
    await deliveryWhen(ep.id, (d) => d.eventId === later.id && d.status === 'delivered');
    const log = await deliveries(ep.id);
    expect(log.filter((d) => d.eventId === event.id)).toHaveLength(1);
    expect(receiver.at(url)).toHaveLength(2);

    // Even a handler run twice (bypassing the consumer's own record) queues one delivery.
    const consumer = referralWebhooksConsumer(() => undefined);
    const ds = hub.notifications.context.dataSource;
    await ds.transaction((tx) => consumer.handle(event, tx));
    await ds.transaction((tx) => consumer.handle(event, tx));
    expect((await deliveries(ep.id)).filter((d) => d.eventId === event.id)).toHaveLength(1);
  });

  it('delivers field-request events to the participating and escalated units', async () => {
    const url = receiver.url();
    const { endpoint: ep, secret } = await register(url, ['field_request.escalated']);
    const data = {
      fieldRequestId: randomUUID(),
      operationId: randomUUID(),
      organiserUnitId: DEMO_UNITS.policeTraffickingOst,
      requesterUnitId: DEMO_UNITS.policeResponseNorrkoping,
      participantUnitIds: [DEMO_UNITS.elsa],
      coordinatorUnitId: DEMO_UNITS.coordinator,
      urgency: 'acute',
      neededBy: new Date(Date.now() + 3_600_000).toISOString(),
      status: 'open',
      escalatedToUnitIds: [DEMO_UNITS.frideborg],
      reason: 'unclaimed',
    };
    await hub.emit('samverkan.referrals.field_request.escalated', data);
    await deliveryWhen(ep.id, (d) => d.status === 'delivered');
    const [request] = receiver.at(url);
    const payload = new Webhook(secret).verify(request!.body, request!.headers) as {
      type: string;
      data: Record<string, unknown>;
    };
    expect(payload.type).toBe('field_request.escalated');
    expect(payload.data).toMatchObject({
      fieldRequestId: data.fieldRequestId,
      escalatedToUnitIds: [DEMO_UNITS.frideborg],
      unitId: DEMO_UNITS.frideborg,
      reason: 'unclaimed',
    });
    expect(payload.data).not.toHaveProperty('neededBy');
  });
  it('delivers notification.created to the unit’s endpoints when its channels include webhook', async () => {
    const url = receiver.url();
    const { endpoint: ep, secret } = await register(url, ['notification.created']);
    const base = {
      userId: randomUUID(), // a staff member's sub, which must not leave the hub
      userOrganisationId: DEMO_ORGANISATIONS.norrkoping,
      unitId: DEMO_UNITS.frideborg,
      kind: 'referral_received',
      severity: 'critical',
      objectType: 'referral',
      objectId: randomUUID(),
    };
    await hub.emit('samverkan.notifications.notification.created', {
      ...base,
      notificationId: randomUUID(),
      channels: ['in_app'],
    });
    const notificationId = randomUUID();
    const event = await hub.emit('samverkan.notifications.notification.created', {
      ...base,
      notificationId,
      channels: ['in_app', 'webhook'],
    });
    const delivered = await deliveryWhen(ep.id, (d) => d.status === 'delivered');
    expect(delivered.eventId).toBe(event.id);
    const [request] = receiver.at(url);
    expect(new Webhook(secret).verify(request!.body, request!.headers)).toEqual({
      type: 'notification.created',
      timestamp: event.time,
      data: {
        notificationId,
        unitId: DEMO_UNITS.frideborg,
        kind: 'referral_received',
        severity: 'critical',
        objectType: 'referral',
        objectId: base.objectId,
      },
    });
    expect(request!.body).not.toContain(base.userId);
    expect(await deliveries(ep.id)).toHaveLength(1);
  });
});

describe('retries, 410 and disabling', () => {
  it('retries after a 500 and then delivers, under the same webhook-id', async () => {
    const url = receiver.url({ status: 500 }, { status: 200 });
    const { endpoint: ep } = await register(url, ['referral.sent']);
    const ping = await testPing(ep.id);
    const delivered = await deliveryWhen(
      ep.id,
      (d) => d.id === ping.id && d.status === 'delivered',
    );
    expect(delivered.attempts).toBe(2);
    expect(delivered.attemptLog.map((a) => a.outcome)).toEqual(['http_200', 'http_500']);
    const requests = receiver.at(url);
    expect(requests).toHaveLength(2);
    expect(new Set(requests.map((r) => r.headers['webhook-id']))).toEqual(new Set([ping.id]));
    expect(requests[0]!.body).toBe(requests[1]!.body);
    expect((await endpoint(ep.id)).consecutiveFailures).toBe(0);
  });

  it('waits as long as a 429 Retry-After asks before trying again', async () => {
    const url = receiver.url({ status: 429, headers: { 'retry-after': '2' } }, { status: 204 });
    const { endpoint: ep } = await register(url, ['referral.sent']);
    const ping = await testPing(ep.id);
    const waiting = await deliveryWhen(ep.id, (d) => d.id === ping.id && d.status === 'retrying');
    expect(waiting.lastOutcome).toBe('http_429');
    const asked =
      Date.parse(waiting.nextAttemptAt!) - Date.parse(waiting.attemptLog[0]!.attemptedAt);
    expect(asked).toBeGreaterThanOrEqual(2000);
    await deliveryWhen(ep.id, (d) => d.id === ping.id && d.status === 'delivered');
    const [first, second] = receiver.at(url);
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(2000);
  });

  it('stops at 410 and disables the endpoint; enabled again, a dead delivery can be sent again', async () => {
    const url = receiver.url({ status: 410 });
    const { endpoint: ep } = await register(url, ['referral.sent']);
    const ping = await testPing(ep.id);
    const dead = await deliveryWhen(ep.id, (d) => d.id === ping.id && d.status === 'dead');
    expect(dead.attempts).toBe(1);
    expect(dead.lastOutcome).toBe('http_410');
    expect(await endpoint(ep.id)).toMatchObject({ status: 'disabled', disabledReason: 'gone' });
    await expectDisabledEvent(ep.id, 'gone');

    // Disabled: no new deliveries are queued, no test, no redelivery.
    await hub.emit('samverkan.referrals.referral.sent', referralSent(DEMO_UNITS.frideborg));
    const refused = await send('norrkoping.admin', 'POST', `/v1/webhooks/${ep.id}/test`, {});
    expect(refused.statusCode).toBe(409);
    expect(refused.json().type).toBe('urn:samverkan:problem:webhook-endpoint-disabled');
    const again = await send(
      'norrkoping.admin',
      'POST',
      `/v1/webhooks/${ep.id}/deliveries/${ping.id}/redeliver`,
      {},
    );
    expect(again.statusCode).toBe(409);
    expect(again.json().type).toBe('urn:samverkan:problem:webhook-endpoint-disabled');

    receiver.script(url, { status: 200 });
    const enabled = await send('norrkoping.admin', 'POST', `/v1/webhooks/${ep.id}/enable`, {});
    expect(enabled.statusCode).toBe(200);
    expect(enabled.json()).toMatchObject({ status: 'enabled', disabledReason: null });
    const redo = await send(
      'norrkoping.admin',
      'POST',
      `/v1/webhooks/${ep.id}/deliveries/${ping.id}/redeliver`,
      {},
    );
    expect(redo.statusCode).toBe(202);
    await deliveryWhen(ep.id, (d) => d.id === ping.id && d.status === 'delivered');
    expect(receiver.at(url)).toHaveLength(2);
  });

  it('disables an endpoint after repeated failure and announces it', async () => {
    const url = receiver.url({ status: 500 });
    const { endpoint: ep } = await register(url, ['referral.sent']);
    const first = await testPing(ep.id);
    const dead = await deliveryWhen(ep.id, (d) => d.id === first.id && d.status === 'dead');
    expect(dead.attempts).toBe(3);
    expect((await endpoint(ep.id)).status).toBe('enabled');
    const second = await testPing(ep.id);
    await deliveryWhen(ep.id, (d) => d.id === second.id && d.status === 'dead');
    expect(await endpoint(ep.id)).toMatchObject({
      status: 'disabled',
      disabledReason: 'repeated_failure',
      consecutiveFailures: 5,
    });
    expect(receiver.at(url)).toHaveLength(5);
    await expectDisabledEvent(ep.id, 'repeated_failure');
  });
});

async function expectDisabledEvent(endpointId: string, reason: string): Promise<void> {
  const rows = (await hub.notifications.context.dataSource.query(
    `SELECT payload FROM notifications.outbox WHERE type = 'samverkan.notifications.webhook.endpoint_disabled'`,
  )) as Array<{ payload: { data: Record<string, unknown> } }>;
  const mine = rows.filter((r) => r.payload.data.endpointId === endpointId);
  expect(mine).toHaveLength(1);
  await hub.notifications.context.audit.chainPending();
  const audited = (await hub.notifications.context.dataSource.query(
    `SELECT actor_sub, detail FROM notifications.audit_log WHERE action = 'webhook.disable' AND object_id = $1`,
    [endpointId],
  )) as Array<{ actor_sub: string; detail: { reason: string } }>;
  expect(audited).toEqual([
    { actor_sub: 'system:webhook-delivery', detail: expect.objectContaining({ reason }) },
  ]);
  expect(mine[0]!.payload.data).toEqual({
    endpointId,
    unitId: DEMO_UNITS.frideborg,
    organisationId: '10000000-0000-4000-8000-000000000581',
    reason,
  });
}

describe('redelivery and rotation', () => {
  it('sends a delivered message again on request, same id and body', async () => {
    const url = receiver.url();
    const { endpoint: ep } = await register(url, ['referral.sent']);
    const ping = await testPing(ep.id);
    await deliveryWhen(ep.id, (d) => d.id === ping.id && d.status === 'delivered');
    const res = await send(
      'norrkoping.admin',
      'POST',
      `/v1/webhooks/${ep.id}/deliveries/${ping.id}/redeliver`,
      {},
    );
    expect(res.statusCode).toBe(202);
    expect(res.json()).toMatchObject({ id: ping.id, status: 'pending' });
    await eventually(async () => (receiver.at(url).length === 2 ? true : undefined));
    const [a, b] = receiver.at(url);
    expect(b!.headers['webhook-id']).toBe(a!.headers['webhook-id']);
    expect(b!.body).toBe(a!.body);
    const done = await deliveryWhen(
      ep.id,
      (d) => d.id === ping.id && d.status === 'delivered' && d.attemptLog.length === 2,
    );
    expect(done.attempts).toBe(1);

    const unknown = await send(
      'norrkoping.admin',
      'POST',
      `/v1/webhooks/${ep.id}/deliveries/${randomUUID()}/redeliver`,
      {},
    );
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().type).toBe('urn:samverkan:problem:webhook-delivery-not-found');
  });

  it('signs with both secrets during a rotation overlap, and with the new one only after', async () => {
    const url = receiver.url();
    const { endpoint: ep, secret: oldSecret } = await register(url, ['referral.sent']);
    const rotated = await send('norrkoping.admin', 'POST', `/v1/webhooks/${ep.id}/rotate-secret`, {
      overlapSeconds: 3600,
    });
    expect(rotated.statusCode).toBe(200);
    const { secret: newSecret, endpoint: after } = rotated.json<
      Created & {
        endpoint: { previousSecretExpiresAt: string | null };
      }
    >();
    expect(newSecret).not.toBe(oldSecret);
    expect(after.previousSecretExpiresAt).not.toBeNull();
    const ping = await testPing(ep.id);
    await deliveryWhen(ep.id, (d) => d.id === ping.id && d.status === 'delivered');
    const [during] = receiver.at(url);
    expect(during!.headers['webhook-signature']!.split(' ')).toHaveLength(2);
    expect(() => new Webhook(oldSecret).verify(during!.body, during!.headers)).not.toThrow();
    expect(() => new Webhook(newSecret).verify(during!.body, during!.headers)).not.toThrow();

    const again = await send('norrkoping.admin', 'POST', `/v1/webhooks/${ep.id}/rotate-secret`, {
      overlapSeconds: 0,
    });
    const latest = again.json<Created>().secret;
    const next = await testPing(ep.id);
    await deliveryWhen(ep.id, (d) => d.id === next.id && d.status === 'delivered');
    const last = receiver.at(url)[1]!;
    expect(last.headers['webhook-signature']!.split(' ')).toHaveLength(1);
    expect(() => new Webhook(latest).verify(last.body, last.headers)).not.toThrow();
    expect(() => new Webhook(newSecret).verify(last.body, last.headers)).toThrow();
  });

  it('keeps secrets sealed in the database', async () => {
    const { endpoint: ep, secret } = await register(receiver.url(), ['referral.sent']);
    const [row] = (await hub.notifications.context.dataSource.query(
      `SELECT secret_sealed FROM notifications.webhook_endpoints WHERE id = $1`,
      [ep.id],
    )) as Array<{ secret_sealed: string }>;
    expect(row!.secret_sealed).not.toContain(secret.slice('whsec_'.length, 20));
    const read = await send('norrkoping.admin', 'GET', `/v1/webhooks/${ep.id}`);
    expect(read.body).not.toContain('whsec_');
  });
});

describe('the delivery log', () => {
  it('forgets finished deliveries after the retention, with their attempts, and keeps the rest', async () => {
    const { endpoint: ep } = await register(receiver.url(), ['referral.sent']);
    const ds = hub.notifications.context.dataSource;
    const insert = async (status: string, daysAgo: number) => {
      const id = randomUUID();
      await ds.query(
        `INSERT INTO notifications.webhook_deliveries (id, endpoint_id, event_id, event_type, payload,
            status, attempts, created_at, updated_at)
          VALUES ($1, $2, $3, 'referral.sent', '{}', $4, 1, now() - $5 * interval '1 day',
            now() - $5 * interval '1 day')`,
        [id, ep.id, randomUUID(), status, daysAgo],
      );
      await ds.query(
        `INSERT INTO notifications.webhook_attempts (id, delivery_id, attempted_at, duration_ms, status_code, outcome)
          VALUES ($1, $2, now(), 5, 200, 'http_200')`,
        [randomUUID(), id],
      );
      return id;
    };
    const oldDelivered = await insert('delivered', 40);
    const oldDead = await insert('dead', 31);
    const recent = await insert('delivered', 2);
    const worker = new WebhookDeliveryWorker({
      dataSource: ds,
      pipeline: hub.notifications.context.pipeline,
      config: loadWebhookConfig(hub.env),
      log: hub.app.log,
    });
    expect(await worker.prune()).toBeGreaterThanOrEqual(2);
    const left = (await deliveries(ep.id)).map((d) => d.id);
    expect(left).toEqual([recent]);
    const attempts = (await ds.query(
      `SELECT count(*)::int AS n FROM notifications.webhook_attempts WHERE delivery_id IN ($1, $2)`,
      [oldDelivered, oldDead],
    )) as Array<{ n: number }>;
    expect(attempts).toEqual([{ n: 0 }]);
  });
});

describe('several replicas', () => {
  it('a delivery claimed by a replica that died is sent once its lease runs out', async () => {
    const url = receiver.url();
    const { endpoint: ep } = await register(url, ['referral.sent']);
    const ds = hub.notifications.context.dataSource;
    // Queued and claimed by a replica that then died before sending it.
    const id = randomUUID();
    await ds.query(
      `INSERT INTO notifications.webhook_deliveries (id, endpoint_id, event_id, event_type, payload,
          status, attempts, next_attempt_at, lease_token, lease_until, created_at, updated_at)
        VALUES ($1, $2, $3, 'webhook.test', $4, 'pending', 0, now(), $5,
          now() + interval '1 second', now(), now())`,
      [id, ep.id, randomUUID(), JSON.stringify({ type: 'webhook.test', data: {} }), randomUUID()],
    );
    const done = await deliveryWhen(ep.id, (d) => d.id === id && d.status === 'delivered');
    expect(done.attemptLog).toHaveLength(1);
    expect(receiver.at(url)).toHaveLength(1);
  });

  it('share a burst of deliveries without sending any twice', async () => {
    const url = receiver.url();
    const { endpoint: ep } = await register(url, ['referral.sent']);
    const replica = await hub.replica();
    try {
      const burst = 60;
      const events = [];
      for (let i = 0; i < burst; i += 1) {
        events.push(
          await hub.emit('samverkan.referrals.referral.sent', referralSent(DEMO_UNITS.frideborg)),
        );
      }
      await eventually(async () => (receiver.at(url).length >= burst ? true : undefined), 60_000);
      // Give a duplicate, if there were one, the time to arrive.
      await new Promise((r) => setTimeout(r, 500));
      const ids = receiver.at(url).map((r) => r.headers['webhook-id']);
      expect(ids).toHaveLength(burst);
      expect(new Set(ids).size).toBe(burst);
      const log = await hub.notifications.context.dataSource.query(
        `SELECT count(*)::int AS n FROM notifications.webhook_attempts a
           JOIN notifications.webhook_deliveries d ON d.id = a.delivery_id WHERE d.endpoint_id = $1`,
        [ep.id],
      );
      expect(log).toEqual([{ n: burst }]);

      // The delivery log pages through all of them, newest first, each once.
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const res = await send(
          'norrkoping.admin',
          'GET',
          `/v1/webhooks/${ep.id}/deliveries?limit=25${cursor ? `&cursor=${cursor}` : ''}`,
        );
        const page = res.json<{ items: DeliveryView[]; nextCursor: string | null }>();
        seen.push(...page.items.map((d) => d.id));
        cursor = page.nextCursor;
      } while (cursor);
      expect(new Set(seen).size).toBe(burst);
      expect(seen).toHaveLength(burst);
    } finally {
      await replica.close();
    }
  });
});
