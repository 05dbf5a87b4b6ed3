/**
 * The tables that only serve delivery are pruned on a schedule (docs/audit.md): published outbox
 * rows, processed-event records and finished idempotency records past their retention go;
 * unpublished events, recent records and writes still in progress stay.
 */
import { randomUUID } from 'node:crypto';
import { DeliveryPruner } from '@samverkan/shared';
import { buildHub, type TestHub } from './helpers/build';

let hub: TestHub;
const sql = (text: string, params: unknown[] = []) =>
  hub.referrals.context.dataSource.query(text, params) as Promise<Array<Record<string, unknown>>>;
const daysAgo = (d: number) => new Date(Date.now() - d * 86_400_000);

beforeAll(async () => {
  hub = await buildHub();
});
afterAll(async () => {
  await hub?.close();
});

it('deletes what is past its retention and nothing else', async () => {
  const ids = {
    oldPublished: randomUUID(),
    newPublished: randomUUID(),
    oldUnpublished: randomUUID(),
  };
  const outbox = (id: string, created: Date, published: Date | null) =>
    sql(
      `INSERT INTO referrals.outbox (id, type, payload, created_at, published_at)
       VALUES ($1, 'samverkan.referrals.referral.sent', '{}', $2, $3)`,
      [id, created, published],
    );
  await outbox(ids.oldPublished, daysAgo(10), daysAgo(10));
  await outbox(ids.newPublished, daysAgo(1), daysAgo(1));
  // Never published (NATS down for ten days): kept until it is.
  await outbox(ids.oldUnpublished, daysAgo(10), null);

  const processed = { old: randomUUID(), recent: randomUUID() };
  await sql(
    `INSERT INTO referrals.processed_events (consumer, event_id, processed_at)
     VALUES ('test', $1, $2), ('test', $3, $4)`,
    [processed.old, daysAgo(20), processed.recent, daysAgo(2)],
  );
  await sql(
    `INSERT INTO referrals.idempotency_keys (principal, key, request_hash, state, created_at)
     VALUES ('p', 'old-done', $1, 'done', $2), ('p', 'new-done', $1, 'done', $3),
            ('p', 'old-pending', $1, 'pending', $2)`,
    ['0'.repeat(64), daysAgo(3), daysAgo(1)],
  );

  const pruner = new DeliveryPruner(
    hub.referrals.context.dataSource,
    { outboxHours: 168, processedEventsHours: 336, idempotencyHours: 48 },
    60_000,
    hub.app.log,
  );
  expect(await pruner.tick()).toBeGreaterThanOrEqual(3);

  const outboxLeft = (
    await sql('SELECT id FROM referrals.outbox WHERE id = ANY($1)', [Object.values(ids)])
  ).map((r) => r.id);
  expect(outboxLeft.sort()).toEqual([ids.newPublished, ids.oldUnpublished].sort());
  const processedLeft = (
    await sql(`SELECT event_id FROM referrals.processed_events WHERE consumer = 'test'`)
  ).map((r) => r.event_id);
  expect(processedLeft).toEqual([processed.recent]);
  const keysLeft = (
    await sql(`SELECT key FROM referrals.idempotency_keys WHERE principal = 'p' ORDER BY key`)
  ).map((r) => r.key);
  expect(keysLeft).toEqual(['new-done', 'old-pending']);

  // Nothing more to do the second time.
  expect(await pruner.tick()).toBe(0);
});
