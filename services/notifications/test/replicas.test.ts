import { randomUUID } from 'node:crypto';
import { DEMO_UNITS, type EventEnvelope } from '@samverkan/shared';
import { eventually } from '@samverkan/shared/src/testing';
import { buildHub, type TestHub } from './helpers/build';
import { referralData } from './helpers/events';

let hub: TestHub;
beforeAll(async () => {
  hub = await buildHub({ nats: true });
}, 60_000);
afterAll(async () => hub?.close());

/** A burst of `referral.sent` events, each meant for Frideborg's one member. */
function burst(n: number): EventEnvelope[] {
  return Array.from({ length: n }, () => ({
    id: randomUUID(),
    type: 'samverkan.referrals.referral.sent',
    source: 'referrals',
    time: new Date().toISOString(),
    data: referralData({
      recipientUnitId: DEMO_UNITS.frideborg,
      copyUnitIds: [],
      urgency: 'routine',
    }),
  }));
}

async function publishAll(events: EventEnvelope[]): Promise<void> {
  for (let i = 0; i < events.length; i += 50) {
    await Promise.all(events.slice(i, i + 50).map((e) => hub.publishRaw(e)));
  }
}

/** For each event: how many notifications it produced and whether it was recorded as processed. */
async function tally(events: EventEnvelope[]) {
  const ids = events.map((e) => e.id);
  const [row] = (await hub.notifications.context.dataSource.query(
    `SELECT (SELECT count(*) FROM notifications.notifications WHERE event_id = ANY($1::uuid[]))::int AS notifications,
            (SELECT count(DISTINCT event_id) FROM notifications.notifications WHERE event_id = ANY($1::uuid[]))::int AS events,
            (SELECT count(*) FROM notifications.processed_events
              WHERE consumer = 'notifications-referrals' AND event_id = ANY($1::uuid[]))::int AS processed,
            (SELECT count(*) FROM notifications.dead_letters WHERE event_id = ANY($1::text[]))::int AS dead`,
    [ids],
  )) as Array<{ notifications: number; events: number; processed: number; dead: number }>;
  return row!;
}

it('two replicas share a burst of 500 events with none lost or doubled', async () => {
  const second = await hub.replica();
  const events = burst(500);
  await publishAll(events);
  const result = await eventually(async () => {
    const t = await tally(events);
    return t.processed === 500 ? t : undefined;
  }, 90_000);
  expect(result).toEqual({ notifications: 500, events: 500, processed: 500, dead: 0 });
  await second.close();
}, 120_000);

it('closing a replica mid-burst and starting another loses nothing', async () => {
  const doomed = await hub.replica();
  const events = burst(500);
  await publishAll(events);
  await eventually(async () => ((await tally(events)).processed >= 100 ? true : undefined), 60_000);
  await doomed.close();
  const fresh = await hub.replica();
  // What the closed replica had fetched but not acknowledged comes back after the ack wait.
  const result = await eventually(async () => {
    const t = await tally(events);
    return t.processed === 500 ? t : undefined;
  }, 100_000);
  expect(result).toEqual({ notifications: 500, events: 500, processed: 500, dead: 0 });
  await fresh.close();
}, 150_000);

it('a replica whose NATS connection dies mid-burst (nothing acknowledged after) loses nothing and doubles nothing', async () => {
  const doomed = await hub.replica();
  const events = burst(500);
  await publishAll(events);
  await eventually(async () => ((await tally(events)).processed >= 100 ? true : undefined), 60_000);
  // Cut the connection without draining: what it fetched and had not acknowledged is
  // redelivered by the server after the ack wait, possibly after its transaction committed.
  const transport = doomed.app.platform.events;
  if (transport.kind === 'nats') {
    await transport.nc.close();
  }
  await doomed.close();
  const result = await eventually(async () => {
    const t = await tally(events);
    return t.processed === 500 ? t : undefined;
  }, 100_000);
  expect(result).toEqual({ notifications: 500, events: 500, processed: 500, dead: 0 });
}, 150_000);
