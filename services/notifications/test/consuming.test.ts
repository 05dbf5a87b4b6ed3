import { randomUUID } from 'node:crypto';
import { DEMO_ORGANISATIONS, DEMO_UNITS } from '@samverkan/shared';
import { eventually } from '@samverkan/shared/src/testing';
import { buildHub, type TestHub } from './helpers/build';
import {
  emitAndCollect,
  fieldRequestData,
  operationData,
  processed,
  producedBy,
  referralData,
} from './helpers/events';

const U = DEMO_UNITS;
const R = 'samverkan.referrals.referral.';
const FR = 'samverkan.referrals.field_request.';
const OP = 'samverkan.referrals.operation.';

let hub: TestHub;
beforeAll(async () => {
  hub = await buildHub({ nats: true });
}, 60_000);
afterAll(async () => hub?.close());

describe('referral events', () => {
  it('sent: the recipient unit gets a critical item, copy units a copy, nobody else anything', async () => {
    expect(await emitAndCollect(hub, `${R}sent`, referralData())).toEqual([
      'frideborg.caseworker referral_received',
      'novahuset.caseworker referral_copy_received',
    ]);
    const [row] = await hub.rows("kind = 'referral_received' ORDER BY seq DESC LIMIT 1 --");
    expect(row).toMatchObject({ severity: 'critical', requires_ack: true });
  });

  it('sent (routine): the item is normal and starts no escalation', async () => {
    const data = referralData({ urgency: 'routine' });
    await emitAndCollect(hub, `${R}sent`, data);
    const [row] = await hub.rows('object_id = $1 AND kind = $2', [
      data.referralId,
      'referral_received',
    ]);
    expect(row).toMatchObject({ severity: 'normal', requires_ack: false });
    const timers = (await hub.notifications.context.dataSource.query(
      'SELECT 1 FROM notifications.escalation_timers WHERE object_id = $1',
      [data.referralId],
    )) as unknown[];
    expect(timers).toHaveLength(0);
  });

  it.each([
    ['acknowledged', { status: 'received' }],
    ['accepted', { status: 'accepted' }],
    ['declined', { status: 'declined', reason: 'no_capacity' }],
    ['forwarded', { status: 'forwarded', forwardedToIds: [randomUUID()] }],
    ['handover_planned', { status: 'handover_planned' }],
    ['handover_confirmed', { status: 'handover_confirmed' }],
    ['closed', { status: 'closed', outcome: 'support_started' }],
  ])('%s: the sender unit hears of it', async (change, extra) => {
    expect(await emitAndCollect(hub, `${R}${change}`, referralData(extra))).toEqual([
      'police.officer referral_status_changed',
    ]);
  });

  it('acknowledged: stops the escalation the acute referral started', async () => {
    const data = referralData();
    await emitAndCollect(hub, `${R}sent`, data);
    await emitAndCollect(hub, `${R}acknowledged`, { ...data, status: 'received' });
    const timers = (await hub.notifications.context.dataSource.query(
      'SELECT status FROM notifications.escalation_timers WHERE object_id = $1',
      [data.referralId],
    )) as Array<{ status: string }>;
    expect(timers).toEqual([{ status: 'cancelled' }]);
  });

  it('withdrawn: the recipient and copy units hear of it', async () => {
    expect(
      await emitAndCollect(hub, `${R}withdrawn`, referralData({ status: 'withdrawn' })),
    ).toEqual([
      'frideborg.caseworker referral_status_changed',
      'novahuset.caseworker referral_status_changed',
    ]);
  });

  it('message_posted: the other side hears of it, not the author unit nor copy units', async () => {
    expect(
      await emitAndCollect(
        hub,
        `${R}message_posted`,
        referralData({ messageId: randomUUID(), authorUnitId: U.policeTraffickingOst }),
      ),
    ).toEqual(['frideborg.caseworker referral_message_posted']);
    expect(
      await emitAndCollect(
        hub,
        `${R}message_posted`,
        referralData({ messageId: randomUUID(), authorUnitId: U.frideborg }),
      ),
    ).toEqual(['police.officer referral_message_posted']);
  });

  it('escalated: staff on duty at the escalated units, all members where nobody is on duty', async () => {
    const produced = await emitAndCollect(
      hub,
      `${R}escalated`,
      referralData({
        level: 'unit_on_call',
        deadline: new Date().toISOString(),
        escalatedToUnitIds: [U.socialjour, U.coordinator],
      }),
    );
    // Socialjour has socialjour.caseworker on shift; the coordinator unit has no shift at all.
    expect(produced).toEqual([
      'coordinator.ostergotland referral_escalated',
      'socialjour.caseworker referral_escalated',
    ]);
  });
});

describe('field-request events', () => {
  it('created: everyone on operation shift is alerted, critically', async () => {
    const data = fieldRequestData({
      onShift: [
        { unitId: U.socialjour, userId: 'socialjour.caseworker' },
        { unitId: U.elsa, userId: 'elsa.caseworker' },
      ],
    });
    expect(await emitAndCollect(hub, `${FR}created`, data)).toEqual([
      'elsa.caseworker field_request_created',
      'socialjour.caseworker field_request_created',
    ]);
    const rows = await hub.rows('object_id = $1', [data.fieldRequestId]);
    expect(
      rows.every(
        (r) =>
          r.severity === 'critical' &&
          r.link === `/v1/field-requests/${String(data.fieldRequestId)}`,
      ),
    ).toBe(true);
  });

  it('created with nobody on shift: the participating units’ on-duty staff, else all members', async () => {
    const data = fieldRequestData({ participantUnitIds: [U.frideborg, U.socialjour], onShift: [] });
    expect(await emitAndCollect(hub, `${FR}created`, data)).toEqual([
      'frideborg.caseworker field_request_created',
      'socialjour.caseworker field_request_created',
    ]);
  });

  it('claimed: the others alerted hear it was taken, the requester unit hears it was claimed', async () => {
    const data = fieldRequestData({
      onShift: [
        { unitId: U.socialjour, userId: 'socialjour.caseworker' },
        { unitId: U.elsa, userId: 'elsa.caseworker' },
      ],
    });
    await emitAndCollect(hub, `${FR}created`, data);
    delete data.onShift;
    const claim = { claimedBy: 'socialjour.caseworker', claimedByUnitId: U.socialjour };
    expect(
      await emitAndCollect(hub, `${FR}claimed`, { ...data, ...claim, status: 'claimed' }),
    ).toEqual([
      'elsa.caseworker field_request_taken',
      'police.officer field_request_status_changed',
    ]);
    for (const status of ['en_route', 'on_site', 'completed']) {
      expect(await emitAndCollect(hub, `${FR}${status}`, { ...data, ...claim, status })).toEqual([
        'police.officer field_request_status_changed',
      ]);
    }
    expect(
      await emitAndCollect(hub, `${FR}tally_recorded`, { ...data, ...claim, status: 'completed' }),
    ).toEqual([]);
    const timers = (await hub.notifications.context.dataSource.query(
      'SELECT status FROM notifications.escalation_timers WHERE object_id = $1',
      [data.fieldRequestId],
    )) as Array<{ status: string }>;
    expect(timers).toEqual([{ status: 'cancelled' }]);
  });

  it('cancelled: the requester unit and everyone alerted hear of it', async () => {
    const data = fieldRequestData({
      onShift: [{ unitId: U.elsa, userId: 'elsa.caseworker' }],
    });
    await emitAndCollect(hub, `${FR}created`, data);
    delete data.onShift;
    expect(
      await emitAndCollect(hub, `${FR}cancelled`, {
        ...data,
        status: 'cancelled',
        claimedBy: null,
        claimedByUnitId: null,
      }),
    ).toEqual([
      'elsa.caseworker field_request_status_changed',
      'police.officer field_request_status_changed',
    ]);
  });

  it('escalated: on-duty staff of the escalated units', async () => {
    expect(
      await emitAndCollect(
        hub,
        `${FR}escalated`,
        fieldRequestData({ escalatedToUnitIds: [U.socialjour], reason: 'unclaimed' }),
      ),
    ).toEqual(['socialjour.caseworker field_request_escalated']);
  });
});

describe('operation events', () => {
  const window = {
    municipalityCodes: ['0581'],
    startsAt: new Date().toISOString(),
    endsAt: new Date(Date.now() + 7 * 86_400_000).toISOString(),
  };

  it('created / participants_invited: invited units’ coordinators and admins, else all members', async () => {
    expect(
      await emitAndCollect(
        hub,
        `${OP}created`,
        operationData({ invitedUnitIds: [U.frideborg, U.coordinator], ...window }),
      ),
    ).toEqual([
      'coordinator.ostergotland operation_invitation',
      'frideborg.caseworker operation_invitation',
    ]);
    expect(
      await emitAndCollect(
        hub,
        `${OP}participants_invited`,
        operationData({ invitedUnitIds: [U.elsa] }),
      ),
    ).toEqual(['elsa.caseworker operation_invitation']);
  });

  it.each(['participation_accepted', 'participation_declined'])(
    '%s: the organiser unit hears of it',
    async (change) => {
      expect(
        await emitAndCollect(hub, `${OP}${change}`, operationData({ unitId: U.frideborg })),
      ).toEqual(['police.officer operation_participation_changed']);
    },
  );

  it.each([
    ['activated', 'active'],
    ['completed', 'completed'],
    ['cancelled', 'cancelled'],
  ])('%s: organiser, coordinator and participating units', async (change, status) => {
    expect(
      await emitAndCollect(
        hub,
        `${OP}${change}`,
        operationData({ participantUnitIds: [U.frideborg], status }),
      ),
    ).toEqual([
      'coordinator.ostergotland operation_status_changed',
      'frideborg.caseworker operation_status_changed',
      'police.officer operation_status_changed',
    ]);
  });

  it.each(['shift_added', 'shift_removed'])('%s: tells nobody', async (change) => {
    expect(
      await emitAndCollect(hub, `${OP}${change}`, {
        operationId: randomUUID(),
        shiftId: randomUUID(),
        unitId: U.elsa,
        userId: 'elsa.caseworker',
        startsAt: window.startsAt,
        endsAt: window.endsAt,
      }),
    ).toEqual([]);
  });
});

describe('webhook endpoint disabled', () => {
  it("notifies the organisation's admins who are unit members, nobody else", async () => {
    const added = await hub
      .as('norrkoping.admin')
      .post(`/v1/units/${U.elsa}/members`, { userId: 'norrkoping.admin', roles: ['org_admin'] });
    expect([200, 201]).toContain(added.statusCode);
    await eventually(async () => {
      const rows = (await hub.notifications.context.dataSource.query(
        `SELECT 1 FROM notifications.directory_members WHERE user_id = 'norrkoping.admin' AND active`,
      )) as unknown[];
      return rows.length > 0 ? true : undefined;
    }, 10_000);
    expect(
      await emitAndCollect(hub, 'samverkan.notifications.webhook.endpoint_disabled', {
        endpointId: randomUUID(),
        unitId: U.frideborg,
        organisationId: DEMO_ORGANISATIONS.norrkoping,
        reason: 'gone',
      }),
    ).toEqual(['norrkoping.admin webhook_endpoint_disabled']);
  });
});

describe('delivery guarantees', () => {
  it('a redelivered event produces nothing twice', async () => {
    const envelope = await hub.emit(`${R}sent`, referralData({ urgency: 'urgent' }));
    await processed(hub, envelope.id);
    const first = await producedBy(hub, envelope.id);
    expect(first).toHaveLength(2);
    // The same envelope again, without the de-duplication id: JetStream delivers it again.
    await hub.publishRaw(envelope);
    await hub.publishRaw(envelope);
    const marker = await hub.emit(`${R}sent`, referralData({ urgency: 'routine' }));
    await processed(hub, marker.id);
    expect(await producedBy(hub, envelope.id)).toEqual(first);
    expect(await hub.rows('event_id = $1', [envelope.id])).toHaveLength(2);
  });

  it('an event for a unit the read model does not know is retried, then dead-lettered and replayable', async () => {
    const unknownUnit = randomUUID();
    const envelope = await hub.emit(
      `${R}sent`,
      referralData({ recipientUnitId: unknownUnit, copyUnitIds: [] }),
    );
    const [letter] = await eventually(async () => {
      const rows = (await hub.notifications.context.dataSource.query(
        `SELECT id, reason, deliveries FROM notifications.dead_letters
          WHERE event_id = $1 AND consumer = 'notifications-referrals'`,
        [envelope.id],
      )) as Array<{ id: string; reason: string; deliveries: number }>;
      return rows.length > 0 ? rows : undefined;
    }, 30_000);
    expect(letter!.reason).toContain(unknownUnit);
    expect(letter!.deliveries).toBe(8);
    expect(await producedBy(hub, envelope.id)).toEqual([]);

    // A hub admin sees it; once the unit and a member have arrived, a replay delivers it.
    const listed = await hub.as('hub.admin').get('/v1/dead-letters?replayed=false');
    expect(listed.statusCode).toBe(200);
    expect(listed.json().items.map((d: { id: string }) => d.id)).toContain(letter!.id);
    const unit = await hub.emit('samverkan.directory.unit.created', {
      unitId: unknownUnit,
      organisationId: DEMO_ORGANISATIONS.norrkoping,
      organisationKind: 'social_services',
      status: 'active',
      onCallUnitId: null,
      coverage: ['0581'],
    });
    const member = await hub.emit('samverkan.directory.unit.member_added', {
      unitId: unknownUnit,
      userId: 'elsa.caseworker',
      roles: ['caseworker'],
    });
    await processed(hub, unit.id, 'notifications-directory-read-model');
    await processed(hub, member.id, 'notifications-directory-read-model');
    const replay = await hub.as('hub.admin').post(`/v1/dead-letters/${letter!.id}/replay`);
    expect(replay.statusCode).toBe(200);
    expect(replay.json()).toMatchObject({ outcome: 'done', deadLetter: { id: letter!.id } });
    expect(replay.json().deadLetter.replayedAt).not.toBeNull();
    expect(await producedBy(hub, envelope.id)).toEqual(['elsa.caseworker referral_received']);
    // A second replay finds it handled.
    const again = await hub.as('hub.admin').post(`/v1/dead-letters/${letter!.id}/replay`);
    expect(again.json().outcome).toBe('duplicate');
    expect(await producedBy(hub, envelope.id)).toEqual(['elsa.caseworker referral_received']);
  }, 60_000);

  it('a referral to a unit nobody is a member of is retried a few times, then tells nobody', async () => {
    // The unit is in the read model but has no members: perhaps its member events are behind.
    const envelope = await hub.emit(
      `${R}sent`,
      referralData({ recipientUnitId: U.policeResponseNorrkoping, copyUnitIds: [] }),
    );
    await processed(hub, envelope.id);
    expect(await producedBy(hub, envelope.id)).toEqual([]);
    const dead = (await hub.notifications.context.dataSource.query(
      `SELECT 1 FROM notifications.dead_letters WHERE event_id = $1 AND consumer = 'notifications-referrals'`,
      [envelope.id],
    )) as unknown[];
    expect(dead).toEqual([]);
  });

  it('an event that breaks its schema goes to the dead letters at once', async () => {
    const envelope = {
      id: randomUUID(),
      type: `${R}sent`,
      source: 'referrals',
      time: new Date().toISOString(),
      data: { ...referralData(), givenName: 'Not allowed here' },
    };
    await hub.publishRaw(envelope);
    await processed(hub, envelope.id);
    const rows = (await hub.notifications.context.dataSource.query(
      `SELECT reason, deliveries FROM notifications.dead_letters
        WHERE event_id = $1 AND consumer = 'notifications-referrals'`,
      [envelope.id],
    )) as Array<{ reason: string; deliveries: number }>;
    expect(rows).toHaveLength(1);
    expect(rows[0]!.deliveries).toBe(1);
    expect(await producedBy(hub, envelope.id)).toEqual([]);
  });
});

describe('no personal data', () => {
  it('no notification of any kind carries anything from its event but the allowed facts', async () => {
    // A user id is the one free string events carry: it must not reach any text.
    const data = fieldRequestData({
      onShift: [{ unitId: U.elsa, userId: 'anna.andersson.19850101' }],
    });
    await emitAndCollect(hub, `${FR}created`, data);
    delete data.onShift;
    await emitAndCollect(hub, `${FR}claimed`, {
      ...data,
      status: 'claimed',
      claimedBy: 'anna.andersson.19850101',
      claimedByUnitId: U.elsa,
    });
    const rows = await hub.rows();
    const kinds = new Set(rows.map((r) => r.kind));
    // Every kind this file produced (all but the service's own escalation).
    expect(kinds.size).toBeGreaterThanOrEqual(13);
    for (const row of rows) {
      const text = `${String(row.title)} ${String(row.body)}`;
      expect(text).toMatch(/^[A-Za-zåäöÅÄÖ ,.:;()/'-]*$/);
      // (the person's name, not the Swedish word "annan", which holds "anna")
      expect(text).not.toMatch(/anna\.|andersson|19850101|caseworker|officer/i);
      expect(row.link).toBe(
        `/v1/${String(row.object_type).replace('_', '-')}s/${String(row.object_id)}`.replace(
          '/v1/webhook-endpoints/',
          '/v1/webhooks/',
        ),
      );
    }
  });
});

describe('a burst is handled in batches', () => {
  it('each event once, in shared transactions; a failing event is retried on its own', async () => {
    const events = hub.referrals.context.events;
    const unknownUnit = randomUUID();
    // A batch reads a person's preferences once: they must hold for every event in it.
    const novahuset = hub.as('novahuset.caseworker');
    expect(
      (
        await novahuset.put('/v1/notification-preferences', {
          preferences: [{ kind: 'referral_copy_received', channels: ['webhook'] }],
        })
      ).statusCode,
    ).toBe(200);
    // 40 events committed together: the relay publishes them at once, and they arrive while the
    // consumer is busy with the first. The 21st names a unit nobody has heard of: it fails.
    const datas = Array.from({ length: 40 }, (_v, i) =>
      referralData(i === 20 ? { recipientUnitId: unknownUnit, copyUnitIds: [] } : {}),
    );
    const envelopes = await events.transaction(async (tx) => {
      const out = [];
      for (const data of datas) {
        out.push(await events.outbox.append(tx, `${R}sent`, data));
      }
      return out;
    });
    const failing = envelopes[20]!;
    const good = envelopes.filter((e) => e !== failing);
    for (const e of good) {
      await processed(hub, e.id);
    }
    const ds = hub.notifications.context.dataSource;
    // Every good event told its two people once; the failing one nobody.
    const counts = (await ds.query(
      `SELECT event_id::text AS id, count(*)::int AS n FROM notifications.notifications
        WHERE event_id = ANY($1::uuid[]) GROUP BY event_id`,
      [envelopes.map((e) => e.id)],
    )) as Array<{ id: string; n: number }>;
    expect(new Map(counts.map((c) => [c.id, c.n]))).toEqual(new Map(good.map((e) => [e.id, 2])));
    const channels = (await ds.query(
      `SELECT user_id, channels, count(*)::int AS n FROM notifications.notifications
        WHERE event_id = ANY($1::uuid[]) GROUP BY user_id, channels ORDER BY user_id`,
      [good.map((e) => e.id)],
    )) as Array<{ user_id: string; channels: string[]; n: number }>;
    expect(channels).toEqual([
      { user_id: 'frideborg.caseworker', channels: ['in_app', 'webhook'], n: good.length },
      { user_id: 'novahuset.caseworker', channels: ['webhook'], n: good.length },
    ]);
    // Shared transactions: `processed_at` is the time its transaction began.
    const [times] = (await ds.query(
      `SELECT count(DISTINCT processed_at)::int AS n FROM notifications.processed_events
        WHERE consumer = 'notifications-referrals' AND event_id = ANY($1::uuid[])`,
      [good.map((e) => e.id)],
    )) as Array<{ n: number }>;
    expect(times!.n).toBeLessThan(good.length);
    // The failing one went its own way: retried, then dead-lettered, never recorded as done.
    await eventually(async () => {
      const rows = (await ds.query(
        `SELECT deliveries FROM notifications.dead_letters
          WHERE event_id = $1 AND consumer = 'notifications-referrals'`,
        [failing.id],
      )) as unknown[];
      return rows.length > 0 ? true : undefined;
    }, 30_000);
    const done = (await ds.query(
      `SELECT 1 FROM notifications.processed_events WHERE consumer = 'notifications-referrals' AND event_id = $1`,
      [failing.id],
    )) as unknown[];
    expect(done).toEqual([]);
    // Delivered again, the batch's events produce nothing twice.
    for (const e of good.slice(0, 3)) {
      await hub.publishRaw(e);
    }
    const marker = await hub.emit(`${R}sent`, referralData({ urgency: 'routine' }));
    await processed(hub, marker.id);
    expect(await hub.rows('event_id = ANY($1::uuid[])', [good.map((e) => e.id)])).toHaveLength(
      2 * good.length,
    );
  }, 60_000);

  it('an event sees what earlier events of its batch wrote: who was alerted, the timers, the parties', async () => {
    const events = hub.referrals.context.events;
    const ds = hub.notifications.context.dataSource;
    // The pairs come last among events committed together, so that they arrive while the
    // consumer is busy with the first ones: the second of each pair is in its first's batch.
    const request = fieldRequestData({
      onShift: [
        { unitId: U.socialjour, userId: 'socialjour.caseworker' },
        { unitId: U.elsa, userId: 'elsa.caseworker' },
      ],
    });
    const claimed = {
      ...request,
      onShift: undefined,
      claimedBy: 'socialjour.caseworker',
      claimedByUnitId: U.socialjour,
      status: 'claimed',
    };
    const referral = referralData({ copyUnitIds: [] });
    const envelopes = await events.transaction(async (tx) => {
      const out = [];
      for (let i = 0; i < 20; i += 1) {
        out.push(await events.outbox.append(tx, `${R}sent`, referralData({ urgency: 'routine' })));
      }
      out.push(await events.outbox.append(tx, `${FR}created`, request));
      out.push(await events.outbox.append(tx, `${FR}claimed`, JSON.parse(JSON.stringify(claimed))));
      out.push(await events.outbox.append(tx, `${R}sent`, referral));
      out.push(
        await events.outbox.append(tx, `${R}acknowledged`, { ...referral, status: 'received' }),
      );
      return out;
    });
    const [created, claim, sent, acknowledged] = envelopes.slice(-4);
    for (const e of envelopes) {
      await processed(hub, e.id);
      await processed(hub, e.id, 'notifications-records');
    }
    const [batches] = (await ds.query(
      `SELECT count(DISTINCT processed_at)::int AS n FROM notifications.processed_events
        WHERE consumer = 'notifications-referrals' AND event_id = ANY($1::uuid[])`,
      [[created!.id, claim!.id, sent!.id, acknowledged!.id]],
    )) as Array<{ n: number }>;
    expect(batches!.n).toBe(1);
    // The claim told whom the creation alerted (but the claimant) that it was taken.
    expect(await producedBy(hub, claim!.id)).toEqual([
      'elsa.caseworker field_request_taken',
      'police.officer field_request_status_changed',
    ]);
    // The acknowledgement stopped the timer its referral's sending started.
    const timers = (await ds.query(
      `SELECT object_id::text AS id, status FROM notifications.escalation_timers
        WHERE object_id = ANY($1::uuid[]) ORDER BY object_type`,
      [[request.fieldRequestId, referral.referralId]],
    )) as Array<{ id: string; status: string }>;
    expect(timers).toEqual([
      { id: request.fieldRequestId, status: 'cancelled' },
      { id: referral.referralId, status: 'cancelled' },
    ]);
    // Every object's parties, once each, from every event that named them.
    const parties = (await ds.query(
      `SELECT object_id::text AS id, unit_ids::text[] AS units FROM notifications.object_parties
        WHERE object_id = ANY($1::uuid[]) ORDER BY object_type`,
      [[request.fieldRequestId, referral.referralId]],
    )) as Array<{ id: string; units: string[] }>;
    expect(parties.map((p) => [p.id, [...p.units].sort()])).toEqual([
      [
        request.fieldRequestId,
        [U.policeTraffickingOst, U.socialjour, U.elsa, U.coordinator].sort(),
      ],
      [referral.referralId, [U.policeTraffickingOst, U.frideborg].sort()],
    ]);
  }, 60_000);
});
