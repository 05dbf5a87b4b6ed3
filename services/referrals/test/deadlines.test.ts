/**
 * Nothing acute expires silently (docs/architecture.md#referral-lifecycle): an acute referral not acknowledged within 15
 * minutes is escalated to the recipient unit's on-call unit and, for trafficking categories, to
 * the regional coordinator — once, through the outbox, with the status left as it is.
 */
import { DEMO_UNITS as U } from '@samverkan/shared';
import { buildHub, type TestHub } from './helpers/build';
import { prepareReferral, statusOf, type Party } from './helpers/lifecycle';
import { auditRows } from './helpers/requests';

let hub: TestHub;

const POLICE: Party = { user: 'police.officer', unitId: U.policeTraffickingOst };
const FRIDEBORG: Party = { user: 'frideborg.caseworker', unitId: U.frideborg };
const NOVAHUSET: Party = { user: 'novahuset.caseworker', unitId: U.novahuset };
const MINUTE = 60_000;

const ids = {} as Record<
  'trafficking' | 'nonTrafficking' | 'acknowledged' | 'accepted' | 'routine' | 'urgent',
  string
>;
let firstPass = 0;
let secondPass = 0;

interface TimelineItem {
  event: string;
  actorUnitId: string | null;
  detail: Record<string, unknown>;
}

async function timeline(id: string, user: Party['user'] = 'frideborg.caseworker') {
  const res = await hub.as(user).get(`/v1/referrals/${id}/timeline`);
  expect(res.statusCode).toBe(200);
  return res.json().items as TimelineItem[];
}

async function escalatedEvents(id: string) {
  const rows = (await hub.referrals.context.dataSource.query(
    `SELECT payload FROM referrals.outbox
      WHERE type = 'samverkan.referrals.referral.escalated' AND payload->'data'->>'referralId' = $1
      ORDER BY position`,
    [id],
  )) as Array<{ payload: { type: string; data: Record<string, unknown> } }>;
  return rows.map((r) => r.payload);
}

beforeAll(async () => {
  hub = await buildHub();
  const acute = { urgency: 'acute' };
  ids.trafficking = (
    await prepareReferral(hub, {
      sender: POLICE,
      recipient: FRIDEBORG,
      meta: { ...acute, category: 'trafficking_sexual' },
    })
  ).id;
  ids.nonTrafficking = (
    await prepareReferral(hub, {
      sender: POLICE,
      recipient: NOVAHUSET,
      meta: { ...acute, category: 'sex_for_compensation' },
    })
  ).id;
  ids.acknowledged = (
    await prepareReferral(hub, {
      sender: POLICE,
      recipient: FRIDEBORG,
      meta: acute,
      state: 'received',
    })
  ).id;
  ids.accepted = (
    await prepareReferral(hub, {
      sender: POLICE,
      recipient: FRIDEBORG,
      meta: acute,
      state: 'accepted',
    })
  ).id;
  ids.routine = (
    await prepareReferral(hub, {
      sender: POLICE,
      recipient: FRIDEBORG,
      meta: { urgency: 'routine' },
    })
  ).id;
  ids.urgent = (
    await prepareReferral(hub, {
      sender: POLICE,
      recipient: FRIDEBORG,
      meta: { urgency: 'urgent' },
    })
  ).id;

  // Nothing is due yet.
  expect(await hub.referrals.deadlines.tick(new Date(Date.now() + 14 * MINUTE))).toBe(0);
  firstPass = await hub.referrals.deadlines.tick(new Date(Date.now() + 16 * MINUTE));
  secondPass = await hub.referrals.deadlines.tick(new Date(Date.now() + 17 * MINUTE));
});
afterAll(async () => {
  await hub?.close();
});

it('escalates exactly the two acute referrals nobody acknowledged, once', async () => {
  expect(firstPass).toBe(2);
  expect(secondPass).toBe(0);
  // …and Prometheus counts each escalation: the trafficking one to the on-call unit and to the
  // coordinator, the other to the on-call unit only.
  expect(await hub.app.metrics.render()).toContain(
    'samverkan_escalations_total{service="referrals",kind="referral"} 3',
  );
});

it("escalates an acute trafficking referral to Frideborg's on-call unit and the coordinator", async () => {
  const id = ids.trafficking;
  expect(await statusOf(hub, id)).toBe('sent');
  const got = await hub.as('police.officer').get(`/v1/referrals/${id}`);
  expect(got.json()).toMatchObject({ status: 'sent', acknowledgedAt: null });

  const escalations = (await timeline(id)).filter((e) => e.event === 'escalated');
  expect(escalations).toEqual([
    {
      event: 'escalated',
      at: expect.any(String),
      actorUnitId: null,
      detail: expect.objectContaining({
        level: 'unit_on_call',
        escalatedToUnitIds: [U.socialjour],
      }),
    },
    {
      event: 'escalated',
      at: expect.any(String),
      actorUnitId: null,
      detail: expect.objectContaining({
        level: 'coordinator',
        escalatedToUnitIds: [U.coordinator],
      }),
    },
  ]);
  expect(escalations[0]!.detail.deadline).toBe(got.json().acknowledgeBy);
  // the sender sees the same timeline
  expect(
    (await timeline(id, 'police.officer')).filter((e) => e.event === 'escalated'),
  ).toHaveLength(2);

  const events = await escalatedEvents(id);
  expect(events.map((e) => e.data)).toEqual([
    expect.objectContaining({
      referralId: id,
      recipientUnitId: U.frideborg,
      status: 'sent',
      urgency: 'acute',
      level: 'unit_on_call',
      escalatedToUnitIds: [U.socialjour],
    }),
    expect.objectContaining({
      referralId: id,
      level: 'coordinator',
      escalatedToUnitIds: [U.coordinator],
    }),
  ]);
  expect(events.every((e) => e.type === 'samverkan.referrals.referral.escalated')).toBe(true);

  const audit = await auditRows(hub, { objectId: id, action: 'referral.escalate' });
  expect(audit).toEqual([
    expect.objectContaining({
      actorSub: 'system:deadline-watcher',
      outcome: 'allowed',
      detail: { level: 2, units: [U.socialjour, U.coordinator] },
    }),
  ]);
});

it('escalates a non-trafficking acute referral to the unit itself when it has no on-call unit, and not to the coordinator', async () => {
  const id = ids.nonTrafficking;
  expect(await statusOf(hub, id)).toBe('sent');
  const escalations = (await timeline(id, 'novahuset.caseworker')).filter(
    (e) => e.event === 'escalated',
  );
  expect(escalations).toHaveLength(1);
  expect(escalations[0]!.detail).toMatchObject({
    level: 'unit_on_call',
    escalatedToUnitIds: [U.novahuset],
  });
  expect(await escalatedEvents(id)).toHaveLength(1);
});

it.each(['acknowledged', 'accepted', 'routine', 'urgent'] as const)(
  'does not escalate the %s referral',
  async (which) => {
    const id = ids[which];
    expect((await timeline(id)).map((e) => e.event)).not.toContain('escalated');
    expect(await escalatedEvents(id)).toEqual([]);
  },
);

it('leaves an escalated referral open to acknowledgement, after which nothing escalates again', async () => {
  const id = ids.trafficking;
  const ack = await hub.as('frideborg.caseworker').post(`/v1/referrals/${id}/acknowledge`, {});
  expect(ack.json()).toMatchObject({ status: 'received' });
  expect(await hub.referrals.deadlines.tick(new Date(Date.now() + 60 * MINUTE))).toBe(0);
  expect(await escalatedEvents(id)).toHaveLength(2);
});

it('escalates the urgent referral once its own deadline (4 h) has passed', async () => {
  expect(await hub.referrals.deadlines.tick(new Date(Date.now() + 4 * 60 * MINUTE + MINUTE))).toBe(
    1,
  );
  const escalations = (await timeline(ids.urgent)).filter((e) => e.event === 'escalated');
  expect(escalations.map((e) => e.detail.level)).toEqual(['unit_on_call', 'coordinator']);
  expect((await timeline(ids.routine)).map((e) => e.event)).not.toContain('escalated');
});
