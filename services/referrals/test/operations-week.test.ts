/**
 * A whole joint operation week (docs/architecture.md#operation-weeks) against the real Postgres and NATS: planned by the
 * police, accepted by the invited units, staffed, activated; three field requests during a raid
 * (one claimed, completed and tallied with a referral made on the spot, one cancelled, one
 * escalated unclaimed to Socialjour and the coordinator); completed; and the county board's
 * report with the right figures, as JSON and CSV — every change an event on the stream.
 */
import { jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { DEMO_UNITS as U } from '@samverkan/shared';
import { eventually } from '@samverkan/shared/src/testing';
import { agencyClient, referralDocument } from './helpers/agency-client';
import { buildHub, type TestHub } from './helpers/build';
import {
  MINUTE,
  fieldRequestBody,
  ok,
  operationBody,
  putOnShift,
  SOCIAL_SERVICES_PARTICIPANTS,
} from './helpers/operations';
import { auditRows } from './helpers/requests';

/** A count of people published by the cell key method: within ±2 of `truth`, `<5` under 5. */
const about = (truth: number) => ({
  $$typeof: Symbol.for('jest.asymmetricMatcher'),
  asymmetricMatch: (v: unknown) =>
    truth < 5
      ? v === '<5'
      : typeof v === 'number'
        ? Math.abs(v - truth) <= 2
        : v === '<5' && truth <= 6,
  toAsymmetricMatcher: () => `a count within ±2 of ${truth}`,
});

let hub: TestHub;

beforeAll(async () => {
  hub = await buildHub({ nats: true });
});
afterAll(async () => {
  await hub?.close();
});

interface StreamedEvent {
  type: string;
  source: string;
  data: Record<string, unknown>;
}

async function streamed(): Promise<StreamedEvent[]> {
  const events = hub.app.platform.events as { kind: 'nats'; nc: NatsConnection };
  const jsm = await jetstreamManager(events.nc);
  const stream = `${hub.naming.streamPrefix}_REFERRALS`;
  const { state } = await jsm.streams.info(stream);
  const out: StreamedEvent[] = [];
  for (let seq = state.first_seq; seq <= state.last_seq && state.messages > 0; seq += 1) {
    const message = await jsm.streams.getMessage(stream, { seq });
    if (message) {
      out.push(message.json<StreamedEvent>());
    }
  }
  return out;
}

it('runs an operation week from planning to the report', async () => {
  const police = hub.as('police.officer');

  // 1. Plan and invite.
  const planned = ok(await police.post('/v1/operations', operationBody()), 201);
  expect(planned).toMatchObject({
    status: 'planned',
    organiserUnitId: U.policeTraffickingOst,
    coordinatorUnitId: U.coordinator,
    participants: [U.frideborg, U.socialjour, U.novahuset]
      .sort()
      .map((unitId) => expect.objectContaining({ unitId, status: 'invited', answeredAt: null })),
  });
  const opId = planned.id as string;

  // The invited units see it and answer; Novahuset's administrator for Novahuset.
  expect((await hub.as('frideborg.caseworker').get(`/v1/operations/${opId}`)).statusCode).toBe(200);
  const listed = ok(await hub.as('norrkoping.admin').get('/v1/operations'));
  expect(listed.items.map((o: { id: string }) => o.id)).toContain(opId);
  ok(
    await hub
      .as('norrkoping.admin')
      .post(`/v1/operations/${opId}/participants/${U.frideborg}/accept`),
  );
  ok(
    await hub
      .as('norrkoping.admin')
      .post(`/v1/operations/${opId}/participants/${U.socialjour}/accept`),
  );
  const answered = ok(
    await hub
      .as('novahuset.admin')
      .post(`/v1/operations/${opId}/participants/${U.novahuset}/decline`),
  );
  expect(
    Object.fromEntries(
      (answered.participants as Array<{ unitId: string; status: string }>).map((p) => [
        p.unitId,
        p.status,
      ]),
    ),
  ).toEqual({ [U.frideborg]: 'accepted', [U.socialjour]: 'accepted', [U.novahuset]: 'declined' });

  // 2. Staff: Frideborg and Socialjour put a caseworker each on call.
  await putOnShift(hub, planned, U.frideborg, 'frideborg.caseworker', 'frideborg.caseworker');
  await putOnShift(hub, planned, U.socialjour, 'socialjour.caseworker');
  const onShift = ok(await hub.as('police.officer').get(`/v1/operations/${opId}/on-shift`));
  expect(onShift.members.map((m: { userId: string }) => m.userId).sort()).toEqual([
    'frideborg.caseworker',
    'socialjour.caseworker',
  ]);

  // 3. Activate (within the period).
  expect(ok(await police.post(`/v1/operations/${opId}/activate`)).status).toBe('active');

  // 4. Three field requests during the raids.
  const bodies = await Promise.all([1, 2, 3].map(() => fieldRequestBody(hub, opId)));
  const requests = [];
  for (const body of bodies) {
    requests.push(ok(await police.post(`/v1/operations/${opId}/field-requests`, body), 201));
  }
  const [first, second, third] = requests as Array<{ id: string }>;
  expect(requests[0]).toMatchObject({
    status: 'open',
    participantUnitIds: SOCIAL_SERVICES_PARTICIPANTS,
    estimatedPersons: { adults: 2, children: 0, unknown: 1 },
    claimedBy: null,
  });

  // The addressed units can read the address; the hub only relays it.
  const envelope = ok(
    await hub.as('socialjour.caseworker').get(`/v1/field-requests/${first!.id}/envelope`),
  );
  expect(envelope.envelope).toEqual(bodies[0]!.envelope);

  // 4a. Frideborg's caseworker claims the first, goes, arrives, completes.
  const frideborg = hub.as('frideborg.caseworker');
  const claimed = ok(await frideborg.post(`/v1/field-requests/${first!.id}/claim`));
  expect(claimed).toMatchObject({
    status: 'claimed',
    claimedBy: 'frideborg.caseworker',
    claimedByUnitId: U.frideborg,
  });
  const late = await hub.as('socialjour.caseworker').post(`/v1/field-requests/${first!.id}/claim`);
  expect(late.statusCode).toBe(409);
  expect(late.json().type).toBe('urn:samverkan:problem:field-request-already-claimed');
  ok(await frideborg.post(`/v1/field-requests/${first!.id}/en-route`));
  ok(await frideborg.post(`/v1/field-requests/${first!.id}/on-site`));
  expect(ok(await frideborg.post(`/v1/field-requests/${first!.id}/complete`)).status).toBe(
    'completed',
  );

  // A referral made on the spot, to Kvinnoboendet Elsa, is linked through the tally.
  const client = agencyClient(hub, 'frideborg.caseworker', U.frideborg);
  const referral = await client.referral({ recipientUnitId: U.elsa }, referralDocument('week'));
  ok(await frideborg.post('/v1/referrals', referral), 201);
  const tally = ok(
    await frideborg.post(`/v1/field-requests/${first!.id}/tally`, {
      peopleMet: [
        { gender: 'female', ageBand: 'adult', citizenshipGroup: 'eu', count: 6 },
        { gender: 'female', ageBand: 'adult', citizenshipGroup: 'non_eu', count: 5 },
        { gender: 'female', ageBand: 'child', citizenshipGroup: 'unknown', count: 1 },
      ],
      supportOffered: 10,
      supportAccepted: 7,
      protectedHousingArranged: 2,
      buyersMet: 3,
      buyersOfferedClinic: 3,
      referralIds: [referral.id],
    }),
    201,
  );
  expect(tally).toMatchObject({
    fieldRequestId: first!.id,
    operationId: opId,
    referralIds: [referral.id],
  });
  const [linked] = (await hub.referrals.context.dataSource.query(
    'SELECT operation_id AS "operationId", field_request_id AS "fieldRequestId" FROM referrals.referrals WHERE id = $1',
    [referral.id],
  )) as Array<{ operationId: string; fieldRequestId: string }>;
  expect(linked).toEqual({ operationId: opId, fieldRequestId: first!.id });
  expect(ok(await hub.as('elsa.caseworker').get(`/v1/referrals/${referral.id}`))).toMatchObject({
    operationId: opId,
    fieldRequestId: first!.id,
  });

  // 4b. The second is cancelled by the police.
  expect(ok(await police.post(`/v1/field-requests/${second!.id}/cancel`)).status).toBe('cancelled');

  // 4c. Nobody claims the third: at its needed-by time it escalates, once.
  const neededBy = Date.parse(bodies[2]!.neededBy);
  expect(await hub.referrals.fieldRequestWatcher.tick(new Date(neededBy - MINUTE))).toBe(0);
  expect(await hub.referrals.fieldRequestWatcher.tick(new Date(neededBy + MINUTE))).toBe(1);
  expect(await hub.referrals.fieldRequestWatcher.tick(new Date(neededBy + 2 * MINUTE))).toBe(0);
  const escalated = ok(await police.get(`/v1/field-requests/${third!.id}`));
  expect(escalated).toMatchObject({ status: 'open', escalatedAt: expect.any(String) });

  // 5. Complete the week.
  expect(ok(await police.post(`/v1/operations/${opId}/complete`)).status).toBe('completed');

  // 6. The report the county board asks for.
  const report = ok(await hub.as('lansstyrelsen.analyst').get(`/v1/operations/${opId}/report`));
  expect(report).toMatchObject({
    operationId: opId,
    status: 'completed',
    smallCellThreshold: 5,
    fieldRequests: {
      total: 3,
      byStatus: { open: 1, claimed: 0, en_route: 0, on_site: 0, completed: 1, cancelled: 1 },
      escalated: 1,
      escalatedUnclaimed: 1,
    },
    responseTimes: {
      requestToClaim: {
        count: 1,
        medianMinutes: expect.any(Number),
        p90Minutes: expect.any(Number),
      },
      claimToOnSite: {
        count: 1,
        medianMinutes: expect.any(Number),
        p90Minutes: expect.any(Number),
      },
    },
    encounters: {
      talliesRecorded: 1,
      peopleMet: about(12),
      supportOffered: about(10),
      supportAccepted: about(7),
      protectedHousingArranged: '<5',
      buyersMet: '<5',
      buyersOfferedClinic: '<5',
      referralsCreated: '<5',
      byGender: [{ key: 'female', count: about(12) }],
      // by the cell key method: each within ±2, the one child `<5`
      byAgeBand: [
        { key: 'adult', count: about(11) },
        { key: 'child', count: '<5' },
      ],
      byCitizenshipGroup: [
        { key: 'eu', count: about(6) },
        { key: 'non_eu', count: about(5) },
        { key: 'unknown', count: '<5' },
      ],
    },
  });
  const units = Object.fromEntries(
    (report.participation as Array<{ unitId: string }>).map((p) => [p.unitId, p]),
  );
  expect(units[U.policeTraffickingOst]).toMatchObject({ role: 'organiser', shifts: 0 });
  expect(units[U.coordinator]).toMatchObject({ role: 'coordinator' });
  expect(units[U.frideborg]).toMatchObject({
    status: 'accepted',
    shifts: 1,
    staffOnShifts: 1,
    fieldRequestsClaimed: 1,
    fieldRequestsCompleted: 1,
  });
  expect(units[U.socialjour]).toMatchObject({
    status: 'accepted',
    shifts: 1,
    fieldRequestsClaimed: 0,
  });
  expect(units[U.novahuset]).toMatchObject({ status: 'declined', shifts: 0 });

  const csv = await hub
    .as('coordinator.ostergotland')
    .get(`/v1/operations/${opId}/report`, { accept: 'text/csv' });
  expect(csv.statusCode).toBe(200);
  expect(csv.headers['content-type']).toContain('text/csv');
  const lines = csv.body.trim().split('\r\n');
  expect(lines[0]).toBe('section,key,value');
  expect(
    about(12).asymmetricMatch(
      JSON.parse(lines.find((l) => l.startsWith('encounters,peopleMet,'))!.split(',')[2]!),
    ),
  ).toBe(true);
  expect(lines).toEqual(
    expect.arrayContaining([
      'field_requests,total,3',
      'field_requests,completed,1',
      'field_requests,escalatedUnclaimed,1',
      'encounters,buyersMet,<5',
      'people_by_age_band,child,<5',
      `unit:${U.frideborg},fieldRequestsCompleted,1`,
    ]),
  );

  // 7. Every change went out on the stream, as the contract says, and nothing about the people.
  const expected = [
    'samverkan.referrals.operation.created',
    'samverkan.referrals.operation.participation_accepted',
    'samverkan.referrals.operation.participation_declined',
    'samverkan.referrals.operation.shift_added',
    'samverkan.referrals.operation.activated',
    'samverkan.referrals.field_request.created',
    'samverkan.referrals.field_request.claimed',
    'samverkan.referrals.field_request.en_route',
    'samverkan.referrals.field_request.on_site',
    'samverkan.referrals.field_request.completed',
    'samverkan.referrals.field_request.tally_recorded',
    'samverkan.referrals.field_request.cancelled',
    'samverkan.referrals.field_request.escalated',
    'samverkan.referrals.operation.completed',
  ];
  const events = await eventually(async () => {
    const got = (await streamed()).filter((e) => /\.(operation|field_request)\./.test(e.type));
    return got.some((e) => e.type === 'samverkan.referrals.operation.completed') ? got : undefined;
  }, 20_000);
  expect([...new Set(events.map((e) => e.type))].sort()).toEqual([...expected].sort());
  const ofFirst = events.filter((e) => e.data.fieldRequestId === first!.id).map((e) => e.type);
  expect(ofFirst).toEqual([
    'samverkan.referrals.field_request.created',
    'samverkan.referrals.field_request.claimed',
    'samverkan.referrals.field_request.en_route',
    'samverkan.referrals.field_request.on_site',
    'samverkan.referrals.field_request.completed',
    'samverkan.referrals.field_request.tally_recorded',
  ]);
  const created = events.find((e) => e.type === 'samverkan.referrals.field_request.created')!;
  expect(created).toMatchObject({
    source: 'referrals',
    data: {
      operationId: opId,
      organiserUnitId: U.policeTraffickingOst,
      requesterUnitId: U.policeTraffickingOst,
      participantUnitIds: SOCIAL_SERVICES_PARTICIPANTS,
      coordinatorUnitId: U.coordinator,
      urgency: 'acute',
      status: 'open',
    },
  });
  expect(
    (created.data.onShift as Array<{ unitId: string; userId: string }>).sort((a, b) =>
      a.userId.localeCompare(b.userId),
    ),
  ).toEqual([
    { unitId: U.frideborg, userId: 'frideborg.caseworker' },
    { unitId: U.socialjour, userId: 'socialjour.caseworker' },
  ]);
  const escalation = events.find((e) => e.type === 'samverkan.referrals.field_request.escalated')!;
  expect(escalation.data).toMatchObject({
    fieldRequestId: third!.id,
    reason: 'unclaimed',
    status: 'open',
  });
  expect((escalation.data.escalatedToUnitIds as string[]).sort()).toEqual(
    [U.socialjour, U.coordinator].sort(),
  );
  const completed = events.find((e) => e.type === 'samverkan.referrals.operation.completed')!;
  expect((completed.data.participantUnitIds as string[]).sort()).toEqual(
    SOCIAL_SERVICES_PARTICIPANTS,
  );
  const text = JSON.stringify(events);
  expect(text).not.toContain('Testgatan');
  expect(text).not.toContain('"peopleMet"');

  // Reading the address was audited.
  expect(
    await auditRows(hub, { objectId: first!.id, action: 'field_request.envelope_read' }),
  ).toEqual([expect.objectContaining({ actorSub: 'socialjour.caseworker', outcome: 'allowed' })]);
});
