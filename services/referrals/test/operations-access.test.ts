/**
 * Who may do what with an operation week, and what is refused as invalid. Only participants see
 * an operation (404 for anyone else, so ids cannot be probed); only the organiser's officers make
 * field requests; only members on shift claim; only the claimer moves a claim on; every refusal
 * is problem+json with its own type, audited, and leaves no row behind.
 */
import { randomUUID } from 'node:crypto';
import { DEMO_ORGANISATIONS as O, DEMO_UNITS as U, type DemoUserName } from '@samverkan/shared';
import { eventually } from '@samverkan/shared/src/testing';
import { buildHub, type TestHub } from './helpers/build';
import {
  activeOperation,
  fieldRequestBody,
  HOUR,
  MINUTE,
  ok,
  operationBody,
  outboxEvents,
  putOnShift,
} from './helpers/operations';
import { auditRows, expectProblem, mintToken, withToken } from './helpers/requests';

let hub: TestHub;
let op: { id: string; startsAt: string; endsAt: string };
let open: { id: string };
let claimed: { id: string };

const PARTICIPANTS: DemoUserName[] = [
  'police.officer',
  'frideborg.caseworker',
  'socialjour.caseworker',
  'novahuset.caseworker',
  'coordinator.ostergotland',
  'norrkoping.admin',
  'novahuset.admin',
  'police.admin',
];
const OUTSIDERS: DemoUserName[] = [
  'umea.caseworker',
  'police-nord.officer',
  'elsa.caseworker',
  'region.caseworker',
  'norrkoping.auditor',
  'hub.admin',
];

async function fieldRequestRows(id: string): Promise<number> {
  const [row] = (await hub.referrals.context.dataSource.query(
    'SELECT count(*)::int AS n FROM referrals.field_requests WHERE id = $1',
    [id],
  )) as Array<{ n: number }>;
  return row!.n;
}

beforeAll(async () => {
  hub = await buildHub();
  op = await activeOperation(hub);
  await putOnShift(hub, op, U.frideborg, 'frideborg.caseworker');
  open = ok(
    await hub
      .as('police.officer')
      .post(`/v1/operations/${op.id}/field-requests`, await fieldRequestBody(hub, op.id)),
    201,
  );
  claimed = ok(
    await hub
      .as('police.officer')
      .post(`/v1/operations/${op.id}/field-requests`, await fieldRequestBody(hub, op.id)),
    201,
  );
  ok(await hub.as('frideborg.caseworker').post(`/v1/field-requests/${claimed.id}/claim`));
});
afterAll(async () => {
  await hub?.close();
});

describe('seeing an operation', () => {
  it.each(PARTICIPANTS)(
    '%s, a participant, sees it, its shifts and its field requests',
    async (user) => {
      const caller = hub.as(user);
      expect(ok(await caller.get(`/v1/operations/${op.id}`)).id).toBe(op.id);
      expect(ok(await caller.get(`/v1/operations/${op.id}/shifts`)).items).toHaveLength(1);
      expect(ok(await caller.get(`/v1/operations/${op.id}/field-requests`)).items).toHaveLength(2);
      expect(ok(await caller.get(`/v1/field-requests/${open.id}`)).id).toBe(open.id);
      expect(
        ok(await caller.get('/v1/operations')).items.map((o: { id: string }) => o.id),
      ).toContain(op.id);
    },
  );

  it.each([...OUTSIDERS, 'lansstyrelsen.analyst' as const])(
    '%s, not a participant, gets 404 and an empty list',
    async (user) => {
      const caller = hub.as(user);
      expectProblem(await caller.get(`/v1/operations/${op.id}`), 404, 'operation-not-found');
      expectProblem(await caller.get(`/v1/operations/${op.id}/shifts`), 404, 'operation-not-found');
      expectProblem(
        await caller.get(`/v1/operations/${op.id}/on-shift`),
        404,
        'operation-not-found',
      );
      expectProblem(
        await caller.get(`/v1/operations/${op.id}/field-requests`),
        404,
        'operation-not-found',
      );
      expectProblem(
        await caller.get(`/v1/field-requests/${open.id}`),
        404,
        'field-request-not-found',
      );
      expectProblem(
        await caller.get(`/v1/field-requests/${open.id}/envelope`),
        404,
        'field-request-not-found',
      );
      expect(ok(await caller.get('/v1/operations')).items).toEqual([]);
    },
  );

  it('shows the report to participants, analysts and coordinators only', async () => {
    for (const user of [
      'police.officer',
      'frideborg.caseworker',
      'lansstyrelsen.analyst',
      'coordinator.ostergotland',
    ] as const) {
      expect((await hub.as(user).get(`/v1/operations/${op.id}/report`)).statusCode).toBe(200);
    }
    for (const user of ['umea.caseworker', 'police-nord.officer', 'norrkoping.auditor'] as const) {
      expectProblem(
        await hub.as(user).get(`/v1/operations/${op.id}/report`),
        404,
        'operation-not-found',
      );
    }
    expectProblem(await hub.as(null).get(`/v1/operations/${op.id}/report`), 401);
  });

  it('lists the operations whose report each may read: every one for analysts, only their own for others', async () => {
    const ids = async (user: DemoUserName) =>
      ok(await hub.as(user).get('/v1/reports/operations')).items.map((o: { id: string }) => o.id);
    for (const user of [
      'lansstyrelsen.analyst',
      'coordinator.ostergotland',
      'police.officer',
    ] as const) {
      expect(await ids(user)).toContain(op.id);
    }
    const analysts = ok(await hub.as('lansstyrelsen.analyst').get('/v1/reports/operations'));
    // Name, area, period and status only: no participants, shifts or field requests.
    expect(Object.keys(analysts.items.find((o: { id: string }) => o.id === op.id)).sort()).toEqual([
      'endsAt',
      'id',
      'municipalityCodes',
      'name',
      'startsAt',
      'status',
    ]);
    for (const user of ['umea.caseworker', 'police-nord.officer', 'norrkoping.auditor'] as const) {
      expect(await ids(user)).not.toContain(op.id);
    }
    expectProblem(await hub.as(null).get('/v1/reports/operations'), 401);
  });

  it('lets only the units it is addressed to and the requester read the envelope', async () => {
    for (const user of [
      'police.officer',
      'frideborg.caseworker',
      'socialjour.caseworker',
    ] as const) {
      expect((await hub.as(user).get(`/v1/field-requests/${open.id}/envelope`)).statusCode).toBe(
        200,
      );
    }
    for (const user of [
      'novahuset.caseworker',
      'coordinator.ostergotland',
      'norrkoping.admin',
    ] as const) {
      expectProblem(
        await hub.as(user).get(`/v1/field-requests/${open.id}/envelope`),
        403,
        'forbidden',
      );
    }
    const reads = await auditRows(hub, {
      objectId: open.id,
      action: 'field_request.envelope_read',
    });
    expect(
      reads
        .filter((r) => r.outcome === 'denied')
        .map((r) => r.actorSub)
        .sort(),
    ).toEqual(['coordinator.ostergotland', 'norrkoping.admin', 'novahuset.caseworker']);
  });
});

describe('running an operation', () => {
  it('is for officers of a police unit or coordinators of a coordinator unit, for their own unit', async () => {
    expectProblem(
      await hub
        .as('frideborg.caseworker')
        .post('/v1/operations', operationBody({ organiserUnitId: U.frideborg })),
      403,
      'cannot-organise-operation',
    );
    expectProblem(
      await hub.as('police-nord.officer').post('/v1/operations', operationBody()),
      403,
      'cannot-organise-operation',
    );
    const byCoordinator = ok(
      await hub
        .as('coordinator.ostergotland')
        .post(
          '/v1/operations',
          operationBody({ organiserUnitId: U.coordinator, coordinatorUnitId: undefined }),
        ),
      201,
    );
    expect(byCoordinator).toMatchObject({
      organiserUnitId: U.coordinator,
      coordinatorUnitId: U.coordinator,
    });
  });

  it('changes status and invites only through the organiser', async () => {
    for (const user of [
      'frideborg.caseworker',
      'coordinator.ostergotland',
      'norrkoping.admin',
    ] as const) {
      expectProblem(
        await hub.as(user).post(`/v1/operations/${op.id}/complete`),
        403,
        'not-operation-organiser',
      );
      expectProblem(
        await hub.as(user).post(`/v1/operations/${op.id}/participants`, { unitIds: [U.elsa] }),
        403,
        'not-operation-organiser',
      );
    }
    expectProblem(
      await hub.as('umea.caseworker').post(`/v1/operations/${op.id}/cancel`),
      404,
      'operation-not-found',
    );
  });

  it('invites more units and takes shifts off, each an event', async () => {
    const invited = ok(
      await hub.as('police.officer').post(`/v1/operations/${op.id}/participants`, {
        unitIds: [U.elsa, U.frideborg],
      }),
    );
    expect(invited.participants).toContainEqual(
      expect.objectContaining({ unitId: U.elsa, status: 'invited' }),
    );
    const [event] = (
      await outboxEvents(hub, 'samverkan.referrals.operation.participants_invited')
    ).filter((e) => e.data.operationId === op.id);
    // Frideborg takes part already: only Elsa is new.
    expect(event!.data).toMatchObject({ invitedUnitIds: [U.elsa], status: 'active' });
    expect((await hub.as('elsa.caseworker').get(`/v1/operations/${op.id}`)).statusCode).toBe(200);

    const shift = await putOnShift(hub, op, U.socialjour, 'socialjour.caseworker');
    const removed = ok(
      await hub
        .as('socialjour.caseworker')
        .post(`/v1/operations/${op.id}/shifts/${shift.id}/remove`),
    );
    expect(removed.removedAt).toEqual(expect.any(String));
    const onShift = ok(await hub.as('police.officer').get(`/v1/operations/${op.id}/on-shift`));
    expect(onShift.members.map((m: { userId: string }) => m.userId)).toEqual([
      'frideborg.caseworker',
    ]);
    const shiftEvents = (await outboxEvents(hub, 'samverkan.referrals.operation.shift_'))
      .filter((e) => e.data.shiftId === shift.id)
      .map((e) => e.type);
    expect(shiftEvents).toEqual([
      'samverkan.referrals.operation.shift_added',
      'samverkan.referrals.operation.shift_removed',
    ]);
    expectProblem(
      await hub.as('police.officer').post(`/v1/operations/${op.id}/shifts/${shift.id}/remove`),
      403,
      'cannot-staff-unit',
    );
  });

  it("lets only the invited unit's org_admin or coordinator answer", async () => {
    const planned = ok(await hub.as('police.officer').post('/v1/operations', operationBody()), 201);
    const url = `/v1/operations/${planned.id}/participants/${U.frideborg}/accept`;
    expectProblem(await hub.as('frideborg.caseworker').post(url), 403, 'not-participant-admin');
    expectProblem(await hub.as('novahuset.admin').post(url), 403, 'not-participant-admin');
    expectProblem(await hub.as('police.officer').post(url), 403, 'not-participant-admin');
    ok(await hub.as('norrkoping.admin').post(url));
    expectProblem(
      await hub.as('norrkoping.admin').post(url),
      409,
      'participation-already-answered',
    );
  });

  it("lets only the unit's own members or its org_admin staff it", async () => {
    const shift = {
      unitId: U.socialjour,
      userId: 'socialjour.caseworker',
      // a later shift: Socialjour's caseworker is not on shift now (see the claim test below)
      startsAt: new Date(Date.now() + HOUR).toISOString(),
      endsAt: op.endsAt,
    };
    for (const user of ['police.officer', 'frideborg.caseworker', 'novahuset.admin'] as const) {
      expectProblem(
        await hub.as(user).post(`/v1/operations/${op.id}/shifts`, shift),
        403,
        'cannot-staff-unit',
      );
    }
    ok(await hub.as('socialjour.caseworker').post(`/v1/operations/${op.id}/shifts`, shift), 201);
  });
});

describe('field requests', () => {
  it("are made only by officers of the organiser's organisation", async () => {
    for (const [user, status, slug] of [
      ['frideborg.caseworker', 403, 'not-organiser-officer'],
      ['coordinator.ostergotland', 403, 'not-organiser-officer'],
      ['police.admin', 403, 'not-organiser-officer'],
      ['police-nord.officer', 404, 'operation-not-found'],
    ] as const) {
      const body = await fieldRequestBody(hub, op.id);
      expectProblem(
        await hub.as(user).post(`/v1/operations/${op.id}/field-requests`, body),
        status,
        slug,
      );
      expect(await fieldRequestRows(body.id)).toBe(0);
    }
    // An officer of another unit of the same police organisation (the local response team) may,
    // once the directory lists them as a member of it.
    expect(
      (
        await hub.as('police.admin').post(`/v1/units/${U.policeResponseNorrkoping}/members`, {
          userId: 'police.response-officer',
          roles: ['officer'],
        })
      ).statusCode,
    ).toBe(201);
    await eventually(async () =>
      (await hub.referrals.context.directory.isMember(
        U.policeResponseNorrkoping,
        'police.response-officer',
      ))
        ? true
        : undefined,
    );
    const responseTeam = withToken(
      hub,
      await mintToken(hub, {
        sub: 'police.response-officer',
        org: O.policeOst,
        units: [U.policeResponseNorrkoping],
        roles: ['officer'],
      }),
    );
    const body = await fieldRequestBody(hub, op.id, {
      requesterUnitId: U.policeResponseNorrkoping,
    });
    expect(
      (await responseTeam.post(`/v1/operations/${op.id}/field-requests`, body)).statusCode,
    ).toBe(201);
  });

  it('are claimed only by members on shift now at a participating unit', async () => {
    for (const user of [
      'socialjour.caseworker',
      'novahuset.caseworker',
      'police.officer',
      'norrkoping.admin',
    ] as const) {
      expectProblem(
        await hub.as(user).post(`/v1/field-requests/${open.id}/claim`),
        403,
        'not-on-shift',
      );
    }
    expectProblem(
      await hub.as('umea.caseworker').post(`/v1/field-requests/${open.id}/claim`),
      404,
      'field-request-not-found',
    );
    expect(ok(await hub.as('police.officer').get(`/v1/field-requests/${open.id}`)).status).toBe(
      'open',
    );
    const denied = await auditRows(hub, { objectId: open.id, action: 'field_request.claim' });
    expect(denied.filter((a) => a.outcome === 'denied').length).toBeGreaterThanOrEqual(4);
  });

  it('are moved on only by the claimer and cancelled only by the requesting unit', async () => {
    expectProblem(
      await hub.as('socialjour.caseworker').post(`/v1/field-requests/${claimed.id}/en-route`),
      403,
      'not-the-claimer',
    );
    expectProblem(
      await hub.as('police.officer').post(`/v1/field-requests/${claimed.id}/complete`),
      403,
      'not-the-claimer',
    );
    expectProblem(
      await hub.as('frideborg.caseworker').post(`/v1/field-requests/${claimed.id}/cancel`),
      403,
      'not-the-requester',
    );
    expectProblem(
      await hub.as('frideborg.caseworker').post(`/v1/field-requests/${claimed.id}/on-site`),
      409,
      'field-request-transition-not-allowed',
    );
    expectProblem(
      await hub
        .as('frideborg.caseworker')
        .post(`/v1/field-requests/${claimed.id}/tally`, emptyTally()),
      409,
      'field-request-transition-not-allowed',
    );
  });
});

function emptyTally() {
  return {
    peopleMet: [],
    supportOffered: 0,
    supportAccepted: 0,
    protectedHousingArranged: 0,
    buyersMet: 0,
    buyersOfferedClinic: 0,
    referralIds: [],
  };
}

describe('validation', () => {
  it('refuses an operation period that is backwards, past or too long, and unsuitable units', async () => {
    const now = Date.now();
    for (const period of [
      {
        startsAt: new Date(now + 2 * HOUR).toISOString(),
        endsAt: new Date(now + HOUR).toISOString(),
      },
      {
        startsAt: new Date(now - 3 * HOUR).toISOString(),
        endsAt: new Date(now - HOUR).toISOString(),
      },
      {
        startsAt: new Date(now).toISOString(),
        endsAt: new Date(now + 40 * 24 * HOUR).toISOString(),
      },
    ]) {
      expectProblem(
        await hub.as('police.officer').post('/v1/operations', operationBody(period)),
        422,
        'operation-period-invalid',
      );
    }
    expectProblem(
      await hub
        .as('police.officer')
        .post('/v1/operations', operationBody({ invitedUnitIds: [randomUUID()] })),
      422,
      'operation-units-invalid',
    );
    expectProblem(
      await hub
        .as('police.officer')
        .post('/v1/operations', operationBody({ coordinatorUnitId: U.frideborg })),
      422,
      'operation-units-invalid',
    );
    expectProblem(
      await hub
        .as('police.officer')
        .post('/v1/operations', operationBody({ startsAt: 'next monday' })),
      400,
    );
  });

  it('activates only within the period, and takes field requests only while active', async () => {
    const later = await activeOperation(hub, {
      activate: false,
      body: {
        startsAt: new Date(Date.now() + 24 * HOUR).toISOString(),
        endsAt: new Date(Date.now() + 48 * HOUR).toISOString(),
      },
    });
    expectProblem(
      await hub.as('police.officer').post(`/v1/operations/${later.id}/activate`),
      409,
      'operation-outside-period',
    );
    const body = await fieldRequestBody(hub, later.id);
    expectProblem(
      await hub.as('police.officer').post(`/v1/operations/${later.id}/field-requests`, body),
      409,
      'operation-not-active',
    );
    expect(await fieldRequestRows(body.id)).toBe(0);
    ok(await hub.as('police.officer').post(`/v1/operations/${later.id}/cancel`));
    expectProblem(
      await hub.as('police.officer').post(`/v1/operations/${later.id}/activate`),
      409,
      'operation-transition-not-allowed',
    );
  });

  it('refuses a shift outside the operation, backwards, or of someone not in the unit', async () => {
    const base = { unitId: U.frideborg, userId: 'frideborg.caseworker' };
    for (const times of [
      { startsAt: new Date(Date.parse(op.startsAt) - HOUR).toISOString(), endsAt: op.endsAt },
      { startsAt: op.startsAt, endsAt: new Date(Date.parse(op.endsAt) + MINUTE).toISOString() },
      {
        startsAt: new Date(Date.now() + 2 * HOUR).toISOString(),
        endsAt: new Date(Date.now() + HOUR).toISOString(),
      },
    ]) {
      expectProblem(
        await hub
          .as('norrkoping.admin')
          .post(`/v1/operations/${op.id}/shifts`, { ...base, ...times }),
        422,
        'shift-outside-operation',
      );
    }
    expectProblem(
      await hub.as('norrkoping.admin').post(`/v1/operations/${op.id}/shifts`, {
        ...base,
        userId: 'elsa.caseworker',
        startsAt: new Date().toISOString(),
        endsAt: op.endsAt,
      }),
      422,
      'shift-member-unknown',
    );
    // Novahuset accepted but is not social services: it answers no field requests.
    expectProblem(
      await hub.as('novahuset.admin').post(`/v1/operations/${op.id}/shifts`, {
        unitId: U.novahuset,
        userId: 'novahuset.caseworker',
        startsAt: new Date().toISOString(),
        endsAt: op.endsAt,
      }),
      422,
      'operation-units-invalid',
    );
  });

  it('refuses a needed-by time in the past or more than a day ahead, and a wrong envelope', async () => {
    for (const neededBy of [new Date(Date.now() - MINUTE), new Date(Date.now() + 25 * HOUR)]) {
      const body = await fieldRequestBody(hub, op.id, { neededBy: neededBy.toISOString() });
      expectProblem(
        await hub.as('police.officer').post(`/v1/operations/${op.id}/field-requests`, body),
        422,
        'needed-by-invalid',
      );
      expect(await fieldRequestRows(body.id)).toBe(0);
    }
    // Sealed for Frideborg only: Socialjour could not read it.
    const narrow = await fieldRequestBody(hub, op.id, {}, [U.frideborg]);
    expectProblem(
      await hub.as('police.officer').post(`/v1/operations/${op.id}/field-requests`, narrow),
      422,
      'envelope-aad-mismatch',
    );
    const free = { ...(await fieldRequestBody(hub, op.id)), address: 'Testgatan 1' };
    expectProblem(
      await hub.as('police.officer').post(`/v1/operations/${op.id}/field-requests`, free),
      400,
    );
  });

  it('takes a tally only if it adds up, once, numbers only', async () => {
    const request = ok(
      await hub
        .as('police.officer')
        .post(`/v1/operations/${op.id}/field-requests`, await fieldRequestBody(hub, op.id)),
      201,
    );
    const worker = hub.as('frideborg.caseworker');
    for (const step of ['claim', 'en-route', 'on-site', 'complete']) {
      ok(await worker.post(`/v1/field-requests/${request.id}/${step}`));
    }
    const url = `/v1/field-requests/${request.id}/tally`;
    const met = [{ gender: 'female', ageBand: 'adult', citizenshipGroup: 'eu', count: 3 }];
    const bad = await worker.post(url, {
      ...emptyTally(),
      peopleMet: met,
      supportOffered: 4,
      supportAccepted: 5,
      buyersMet: 1,
      buyersOfferedClinic: 2,
    });
    expectProblem(bad, 422, 'tally-invalid');
    expect(
      bad
        .json()
        .errors.map((e: { field: string }) => e.field)
        .sort(),
    ).toEqual(['body.buyersOfferedClinic', 'body.supportAccepted', 'body.supportOffered']);
    expectProblem(
      await worker.post(url, { ...emptyTally(), peopleMet: [...met, ...met] }),
      422,
      'tally-invalid',
    );
    expectProblem(
      await worker.post(url, { ...emptyTally(), notes: 'She said her name was …' }),
      400,
    );
    expectProblem(
      await worker.post(url, { ...emptyTally(), peopleMet: [{ ...met[0], name: 'x' }] }),
      400,
    );
    expectProblem(
      await worker.post(url, { ...emptyTally(), referralIds: [randomUUID()] }),
      422,
      'tally-referral-invalid',
    );
    expectProblem(
      await hub.as('socialjour.caseworker').post(url, emptyTally()),
      403,
      'not-the-claimer',
    );
    ok(
      await worker.post(url, {
        ...emptyTally(),
        peopleMet: met,
        supportOffered: 3,
        supportAccepted: 3,
      }),
      201,
    );
    expectProblem(await worker.post(url, emptyTally()), 409, 'tally-already-recorded');
    expect(ok(await hub.as('police.officer').get(url))).toMatchObject({ supportAccepted: 3 });
  });

  it('answers 400, not 500, to malformed ids and bodies', async () => {
    expectProblem(await hub.as('police.officer').get('/v1/operations/not-a-uuid'), 400);
    expectProblem(
      await hub.as('police.officer').post(`/v1/field-requests/${open.id}/claim`, { unitId: 7 }),
      400,
    );
    expectProblem(
      await hub
        .as('police.officer')
        .post(`/v1/operations/${op.id}/activate`, {}, { 'idempotency-key': '' }),
      400,
    );
  });
});
