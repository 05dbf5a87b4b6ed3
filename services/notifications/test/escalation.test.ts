import { DEMO_UNITS } from '@samverkan/shared';
import { eventually } from '@samverkan/shared/src/testing';
import { buildHub, type TestHub } from './helpers/build';
import { emitAndCollect, fieldRequestData, referralData } from './helpers/events';

const U = DEMO_UNITS;
let hub: TestHub;

beforeAll(async () => {
  hub = await buildHub({
    env: {
      NOTIFICATIONS_ESCALATION_DELAY_MS: '300',
      NOTIFICATIONS_COORDINATOR_ESCALATION_DELAY_MS: '300',
      NOTIFICATIONS_ESCALATION_CHECK_MS: '100',
    },
  });
}, 60_000);
afterAll(async () => hub?.close());

/** `user level` of every escalation notification about an object. */
async function escalations(objectId: unknown): Promise<string[]> {
  const rows = (await hub.notifications.context.dataSource.query(
    `SELECT n.user_id, t.level FROM notifications.notifications n
       JOIN notifications.escalation_timers t ON t.id = n.event_id
      WHERE n.object_id = $1 AND n.kind = 'notification_escalated' ORDER BY t.level, n.user_id`,
    [objectId],
  )) as Array<{ user_id: string; level: number }>;
  return rows.map((r) => `${r.user_id} ${r.level}`);
}

async function timers(objectId: unknown): Promise<string[]> {
  const rows = (await hub.notifications.context.dataSource.query(
    'SELECT level, status FROM notifications.escalation_timers WHERE object_id = $1 ORDER BY level',
    [objectId],
  )) as Array<{ level: number; status: string }>;
  return rows.map((r) => `${r.level} ${r.status}`);
}

async function escalatedEvents(objectId: unknown): Promise<number[]> {
  const rows = (await hub.notifications.context.dataSource.query(
    `SELECT (payload->'data'->>'level')::int AS level FROM notifications.outbox
      WHERE type = 'samverkan.notifications.notification.escalated' AND payload->'data'->>'objectId' = $1
      ORDER BY level`,
    [objectId],
  )) as Array<{ level: number }>;
  return rows.map((r) => r.level);
}

it('an unacknowledged acute trafficking referral escalates to the on-call unit, then the coordinator', async () => {
  const data = referralData({ copyUnitIds: [] });
  await emitAndCollect(hub, 'samverkan.referrals.referral.sent', data);
  const result = await eventually(async () => {
    const e = await escalations(data.referralId);
    return e.length >= 2 ? e : undefined;
  }, 20_000);
  // Frideborg's on-call unit is Socialjour (socialjour.caseworker on shift); then the regional
  // coordinator covering Norrköping.
  expect(result).toEqual(['socialjour.caseworker 1', 'coordinator.ostergotland 2']);
  expect(await timers(data.referralId)).toEqual(['1 fired', '2 fired']);
  expect(await escalatedEvents(data.referralId)).toEqual([1, 2]);

  const inbox = await hub
    .as('socialjour.caseworker')
    .get('/v1/notifications?kind=notification_escalated');
  const item = (inbox.json().items as Array<Record<string, unknown>>).find(
    (n) => n.objectId === data.referralId,
  );
  expect(item).toMatchObject({
    severity: 'critical',
    requiresAcknowledgement: true,
    link: `/v1/referrals/${String(data.referralId)}`,
  });
});

it('an acknowledged acute referral does not escalate', async () => {
  const acknowledged = referralData({ copyUnitIds: [] });
  await emitAndCollect(hub, 'samverkan.referrals.referral.sent', acknowledged);
  const mine = await hub.as('frideborg.caseworker').get('/v1/notifications?state=unacknowledged');
  const item = (mine.json().items as Array<{ id: string; objectId: string }>).find(
    (n) => n.objectId === acknowledged.referralId,
  )!;
  const ack = await hub.as('frideborg.caseworker').post(`/v1/notifications/${item.id}/acknowledge`);
  expect(ack.statusCode).toBe(200);
  expect(ack.json().acknowledgedAt).not.toBeNull();

  // A referral sent after it escalates, so the first one's deadline has long passed too.
  const later = referralData({ copyUnitIds: [] });
  await emitAndCollect(hub, 'samverkan.referrals.referral.sent', later);
  await eventually(
    async () => ((await escalations(later.referralId)).length >= 1 ? true : undefined),
    20_000,
  );
  expect(await escalations(acknowledged.referralId)).toEqual([]);
  expect(await timers(acknowledged.referralId)).toEqual(['1 cancelled']);
  expect(await escalatedEvents(acknowledged.referralId)).toEqual([]);
});

it('a non-trafficking referral escalates to the on-call unit only', async () => {
  const data = referralData({
    copyUnitIds: [],
    category: 'buyer_support',
    recipientUnitId: U.elsa,
  });
  await emitAndCollect(hub, 'samverkan.referrals.referral.sent', data);
  await eventually(
    async () => ((await timers(data.referralId))[0] === '1 fired' ? true : undefined),
    20_000,
  );
  expect(await escalations(data.referralId)).toEqual(['socialjour.caseworker 1']);
  expect(await timers(data.referralId)).toEqual(['1 fired']);
});

it('an unclaimed field request escalates to the on-call units, then the operation coordinator; a claimed one does not', async () => {
  const unclaimed = fieldRequestData({
    participantUnitIds: [U.elsa],
    onShift: [{ unitId: U.elsa, userId: 'elsa.caseworker' }],
  });
  const claimed = fieldRequestData({
    participantUnitIds: [U.elsa],
    onShift: [{ unitId: U.elsa, userId: 'elsa.caseworker' }],
  });
  await emitAndCollect(hub, 'samverkan.referrals.field_request.created', claimed);
  delete claimed.onShift;
  await emitAndCollect(hub, 'samverkan.referrals.field_request.claimed', {
    ...claimed,
    status: 'claimed',
    claimedBy: 'elsa.caseworker',
    claimedByUnitId: U.elsa,
  });
  await emitAndCollect(hub, 'samverkan.referrals.field_request.created', unclaimed);
  const result = await eventually(async () => {
    const e = await escalations(unclaimed.fieldRequestId);
    return e.length >= 2 ? e : undefined;
  }, 20_000);
  expect(result).toEqual(['socialjour.caseworker 1', 'coordinator.ostergotland 2']);
  expect(await escalations(claimed.fieldRequestId)).toEqual([]);
  expect(await timers(claimed.fieldRequestId)).toEqual(['1 cancelled']);
});

it('nobody gets the same escalation of an item twice, and a timer re-checks when it fires', async () => {
  // Level 1 alerts Socialjour (Elsa's on-call unit); level 2 names Socialjour again as the
  // coordinator: its staff already had this escalation and get no second one.
  const data = fieldRequestData({
    participantUnitIds: [U.elsa],
    coordinatorUnitId: U.socialjour,
    onShift: [{ unitId: U.elsa, userId: 'elsa.caseworker' }],
  });
  await emitAndCollect(hub, 'samverkan.referrals.field_request.created', data);
  await eventually(
    async () => ((await timers(data.fieldRequestId))[1] === '2 fired' ? true : undefined),
    20_000,
  );
  expect(await escalations(data.fieldRequestId)).toEqual(['socialjour.caseworker 1']);
  expect(await escalatedEvents(data.fieldRequestId)).toEqual([1, 2]);

  // Acknowledged behind the watcher's back (no cancel): the timer finds it out when it fires.
  const other = referralData({ copyUnitIds: [], recipientUnitId: U.elsa });
  const ds = hub.notifications.context.dataSource;
  await hub.notifications.escalations.stop();
  try {
    await emitAndCollect(hub, 'samverkan.referrals.referral.sent', other);
    await ds.query(
      `UPDATE notifications.notifications SET acknowledged_at = now() WHERE object_id = $1`,
      [other.referralId],
    );
    await ds.query(
      `UPDATE notifications.escalation_timers SET due_at = now() - interval '1 second' WHERE object_id = $1`,
      [other.referralId],
    );
    await hub.notifications.escalations.tick();
  } finally {
    hub.notifications.escalations.start();
  }
  expect(await timers(other.referralId)).toEqual(['1 cancelled']);
  expect(await escalations(other.referralId)).toEqual([]);
});

it("the referrals service's own escalation and ours reach each person once", async () => {
  const data = referralData({ copyUnitIds: [] });
  await emitAndCollect(hub, 'samverkan.referrals.referral.sent', data);
  await eventually(
    async () => ((await escalations(data.referralId)).length >= 1 ? true : undefined),
    20_000,
  );
  // Then the referrals service's deadline fires for the same referral, to the same on-call unit
  // and the coordinator: only whoever our timers have not reached yet is told.
  await emitAndCollect(hub, 'samverkan.referrals.referral.escalated', {
    ...data,
    escalatedToUnitIds: [U.socialjour],
    level: 'unit_on_call',
    deadline: new Date().toISOString(),
  });
  const all = (await hub.notifications.context.dataSource.query(
    `SELECT user_id, kind FROM notifications.notifications
      WHERE object_id = $1 AND kind IN ('notification_escalated', 'referral_escalated')`,
    [data.referralId],
  )) as Array<{ user_id: string; kind: string }>;
  const perUser = new Map<string, number>();
  for (const row of all) {
    perUser.set(row.user_id, (perUser.get(row.user_id) ?? 0) + 1);
  }
  expect(perUser.get('socialjour.caseworker')).toBe(1);
  expect([...perUser.values()].every((n) => n === 1)).toBe(true);
});
