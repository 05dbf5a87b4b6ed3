import { randomUUID } from 'node:crypto';
import { DEMO_ORGANISATIONS, DEMO_UNITS } from '@samverkan/shared';
import { eventually } from '@samverkan/shared/src/testing';
import { DataSource } from 'typeorm';
import { statementLog } from './helpers/statement-log';
import { createNotifications } from '../src/services/notifier';
import { buildHub, type NotificationsReplica, type TestHub } from './helpers/build';
import { processed, referralData } from './helpers/events';
import { openStream, type SseEvent, type SseStream } from './helpers/sse-client';

let hub: TestHub;
let base: string;
const open: SseStream[] = [];

beforeAll(async () => {
  hub = await buildHub({ nats: true });
  base = await hub.app.listen({ port: 0, host: '127.0.0.1' });
}, 60_000);
afterAll(async () => {
  open.forEach((s) => s.close());
  await hub?.close();
});

async function stream(user: Parameters<TestHub['token']>[0] | null, headers = {}, at = base) {
  const s = await openStream(
    `${at}/v1/notifications/stream`,
    user ? await hub.token(user) : null,
    headers,
  );
  open.push(s);
  return s;
}

const isNotification = (referralId: unknown) => (e: SseEvent) =>
  e.event === 'notification' &&
  (JSON.parse(e.data) as { objectId: string }).objectId === referralId;

it('a recipient receives a new notification live, with the new counts; someone else does not', async () => {
  const recipient = await stream('frideborg.caseworker');
  const other = await stream('police.officer');
  expect(recipient.status).toBe(200);
  // The stream starts with the current counts.
  await recipient.next((e) => e.event === 'counts');
  await other.next((e) => e.event === 'counts');

  const data = referralData({ copyUnitIds: [] });
  const sent = await hub.emit('samverkan.referrals.referral.sent', data);
  const event = await recipient.next(isNotification(data.referralId));
  const body = JSON.parse(event.data) as { kind: string; severity: string; seq: number };
  expect(body).toMatchObject({ kind: 'referral_received', severity: 'critical' });
  expect(event.id).toBe(String(body.seq));
  await recipient.next(
    (e) =>
      e.event === 'counts' &&
      (JSON.parse(e.data) as { unacknowledged: number }).unacknowledged >= 1,
  );

  // The sender side hears of the acknowledgement; the recipient's stream does not carry it.
  const ack = await hub.emit('samverkan.referrals.referral.acknowledged', {
    ...data,
    status: 'received',
  });
  await other.next(isNotification(data.referralId));
  await processed(hub, sent.id);
  await processed(hub, ack.id);
  expect(other.events.filter(isNotification(data.referralId))).toHaveLength(1);
  expect(
    other.events
      .filter((e) => e.event === 'notification')
      .every((e) => (JSON.parse(e.data) as { kind: string }).kind === 'referral_status_changed'),
  ).toBe(true);
  expect(
    recipient.events
      .filter((e) => e.event === 'notification')
      .every((e) => (JSON.parse(e.data) as { kind: string }).kind === 'referral_received'),
  ).toBe(true);
});

it('a reconnect with Last-Event-ID replays what was missed, and nothing before it', async () => {
  const first = await stream('elsa.caseworker');
  const before = referralData({
    recipientUnitId: DEMO_UNITS.elsa,
    copyUnitIds: [],
    urgency: 'urgent',
  });
  await hub.emit('samverkan.referrals.referral.sent', before);
  const seen = await first.next(isNotification(before.referralId));
  first.close();

  const missed = [1, 2, 3].map(() =>
    referralData({ recipientUnitId: DEMO_UNITS.elsa, copyUnitIds: [], urgency: 'routine' }),
  );
  for (const m of missed) {
    const e = await hub.emit('samverkan.referrals.referral.sent', m);
    await processed(hub, e.id);
  }
  const again = await stream('elsa.caseworker', { 'last-event-id': seen.id });
  for (const m of missed) {
    await again.next(isNotification(m.referralId));
  }
  const replayed = again.events.filter((e) => e.event === 'notification');
  expect(replayed.map((e) => (JSON.parse(e.data) as { objectId: string }).objectId)).toEqual(
    missed.map((m) => m.referralId),
  );
  expect(replayed.map((e) => Number(e.id))).toEqual(
    [...replayed.map((e) => Number(e.id))].sort((a, b) => a - b),
  );
});

it('sends heartbeats, and refuses a caller without a token', async () => {
  const s = await stream('umea.caseworker');
  await eventually(async () => (s.comments > 0 ? true : undefined), 10_000);
  const anonymous = await stream(null);
  expect(anonymous.status).toBe(401);
});

describe('across replicas', () => {
  let replica: NotificationsReplica;
  let replicaBase: string;
  beforeAll(async () => {
    // Heartbeats (and the look at the database that goes with them) far apart: what arrives,
    // arrives through Postgres LISTEN/NOTIFY.
    replica = await hub.replica({ NOTIFICATIONS_SSE_HEARTBEAT_MS: '120000' });
    replicaBase = await replica.app.listen({ port: 0, host: '127.0.0.1' });
  }, 30_000);
  afterAll(async () => replica?.close());

  it('a notification written by another replica reaches a stream on this one', async () => {
    const s = await stream('region.caseworker', {}, replicaBase);
    await s.next((e) => e.event === 'counts');
    const objectId = randomUUID();
    // Written by the first instance, without waking anything in the replica's process.
    const ctx = hub.notifications.context;
    await ctx.events.transaction((tx) =>
      createNotifications(ctx, tx, randomUUID(), [
        {
          facts: {
            kind: 'referral_received',
            objectType: 'referral',
            objectId,
            unitId: DEMO_UNITS.youthClinic,
            category: 'other',
            urgency: 'acute',
          },
          recipients: [
            {
              organisationId: DEMO_ORGANISATIONS.region,
              userId: 'region.caseworker',
              unitId: DEMO_UNITS.youthClinic,
            },
          ],
        },
      ]),
    );
    await s.next(isNotification(objectId), 5000);
  });

  it('the notifications, their events and the signal to the replicas are one statement', async () => {
    const s = await stream('region.caseworker', {}, replicaBase);
    await s.next((e) => e.event === 'counts');
    // Written on a data source of its own, whose every statement is logged.
    const { statements, logger } = statementLog();
    const ctx = hub.notifications.context;
    const own = new DataSource({ ...ctx.dataSource.options, logging: 'all', logger });
    await own.initialize();
    try {
      const objectId = randomUUID();
      const eventId = randomUUID();
      const recipient = {
        organisationId: DEMO_ORGANISATIONS.region,
        userId: 'region.caseworker',
        unitId: DEMO_UNITS.youthClinic,
      };
      const facts = {
        kind: 'referral_received' as const,
        objectType: 'referral' as const,
        objectId,
        unitId: DEMO_UNITS.youthClinic,
        category: 'other',
        urgency: 'acute',
      };
      statements.splice(0);
      const created = await own.transaction((tx) =>
        createNotifications(ctx, tx, eventId, [{ facts, recipients: [recipient] }]),
      );
      expect(created).toHaveLength(1);
      // BEGIN, the lock with the preferences, the one write, COMMIT.
      expect(statements).toHaveLength(4);
      expect(statements[2]).toMatch(/INSERT INTO notifications\.notifications/);
      expect(statements[2]).toMatch(/INSERT INTO notifications\.outbox/);
      expect(statements[2]).toMatch(/pg_notify/);
      const events = (await ctx.dataSource.query(
        `SELECT payload FROM notifications.outbox
          WHERE type = 'samverkan.notifications.notification.created'
            AND payload->'data'->>'notificationId' = $1`,
        [created[0]!.id],
      )) as Array<{ payload: { data: Record<string, unknown> } }>;
      expect(events).toHaveLength(1);
      expect(events[0]!.payload.data).toMatchObject({ objectId, userId: 'region.caseworker' });
      // The replica, woken by the signal only, shows it.
      await s.next(isNotification(objectId), 5000);
      // Written again for the same event: nothing twice, no event, no signal.
      statements.splice(0);
      const again = await own.transaction((tx) =>
        createNotifications(ctx, tx, eventId, [{ facts, recipients: [recipient] }]),
      );
      expect(again).toEqual([]);
      const count = (await ctx.dataSource.query(
        `SELECT count(*)::int AS n FROM notifications.outbox WHERE payload->'data'->>'objectId' = $1`,
        [objectId],
      )) as Array<{ n: number }>;
      expect(count[0]!.n).toBe(1);
    } finally {
      await own.destroy();
    }
  });
});
