import { DEMO_UNITS as U, DEV_ISSUER } from '@samverkan/shared';
import { buildDirectory, type TestDirectory } from './helpers/build';
import { expectProblem } from './helpers/problems';

let dir: TestDirectory;
beforeAll(async () => {
  dir = await buildDirectory();
});
afterAll(async () => {
  await dir?.close();
});

const HOUR = 3_600_000;
/** A whole hour some days from now, so that shifts are clearly in the future. */
const inDays = (days: number, hour = 8) => {
  const d = new Date(Date.now() + days * 24 * HOUR);
  d.setUTCHours(hour, 0, 0, 0);
  return d;
};
const iso = (d: Date) => d.toISOString();
const UNKNOWN = '99999999-0000-4000-8000-000000000000';

async function addMember(unitId: string, userId: string, roles: string[] = ['caseworker']) {
  const res = await dir
    .as('norrkoping.admin')
    .post(`/v1/units/${unitId}/members`, { userId, roles });
  expect([200, 201]).toContain(res.statusCode);
  return res.json();
}

async function createShift(unitId: string, userId: string, startsAt: Date, endsAt: Date) {
  const res = await dir
    .as('norrkoping.admin')
    .post(`/v1/units/${unitId}/shifts`, { userId, startsAt: iso(startsAt), endsAt: iso(endsAt) });
  expect(res.statusCode).toBe(201);
  return res.json() as { id: string; userId: string; startsAt: string; endsAt: string };
}

describe('members', () => {
  it("lists a unit's members with their roles", async () => {
    const res = await dir.as('frideborg.caseworker').get(`/v1/units/${U.frideborg}/members`);
    expect(res.statusCode).toBe(200);
    expect(res.json().items).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          unitId: U.frideborg,
          userId: 'frideborg.caseworker',
          roles: ['caseworker'],
        }),
      ]),
    );
  });

  it('adds a member (201), and replaces the roles of an existing one (200)', async () => {
    const added = await dir.as('norrkoping.admin').post(`/v1/units/${U.frideborg}/members`, {
      userId: 'ny.handlaggare',
      roles: ['caseworker'],
    });
    expect(added.statusCode).toBe(201);
    expect(added.json()).toMatchObject({
      unitId: U.frideborg,
      userId: 'ny.handlaggare',
      roles: ['caseworker'],
      // A person is (issuer, subject): the same subject at another issuer is someone else.
      addedBy: { issuer: DEV_ISSUER, subject: 'norrkoping.admin' },
    });

    const replaced = await dir.as('norrkoping.admin').post(`/v1/units/${U.frideborg}/members`, {
      userId: 'ny.handlaggare',
      roles: ['coordinator', 'caseworker'],
    });
    expect(replaced.statusCode).toBe(200);
    expect(replaced.json()).toMatchObject({
      userId: 'ny.handlaggare',
      roles: ['caseworker', 'coordinator'],
      addedAt: added.json().addedAt,
    });

    const list = (
      await dir.as('frideborg.caseworker').get(`/v1/units/${U.frideborg}/members`)
    ).json().items;
    expect(list.filter((m: { userId: string }) => m.userId === 'ny.handlaggare')).toEqual([
      expect.objectContaining({ roles: ['caseworker', 'coordinator'] }),
    ]);
  });

  it('removes a member (204), then 404 for a member who is not there', async () => {
    await addMember(U.frideborg, 'ska.bort');
    const removed = await dir
      .as('norrkoping.admin')
      .delete(`/v1/units/${U.frideborg}/members/ska.bort`);
    expect(removed.statusCode).toBe(204);
    expect(removed.body).toBe('');
    const list = (
      await dir.as('frideborg.caseworker').get(`/v1/units/${U.frideborg}/members`)
    ).json().items;
    expect(list.map((m: { userId: string }) => m.userId)).not.toContain('ska.bort');

    expectProblem(
      await dir.as('norrkoping.admin').delete(`/v1/units/${U.frideborg}/members/ska.bort`),
      404,
      'member-not-found',
    );
  });

  it('answers 404 for an unknown unit', async () => {
    expectProblem(
      await dir.as('frideborg.caseworker').get(`/v1/units/${UNKNOWN}/members`),
      404,
      'unit-not-found',
    );
    expectProblem(
      await dir
        .as('hub.admin')
        .post(`/v1/units/${UNKNOWN}/members`, { userId: 'x', roles: ['caseworker'] }),
      404,
      'unit-not-found',
    );
  });
});

describe('shifts', () => {
  beforeAll(async () => {
    await addMember(U.frideborg, 'skift.person');
  });

  it('creates a shift for a member (201)', async () => {
    const startsAt = inDays(2, 8);
    const endsAt = inDays(2, 16);
    const res = await dir.as('norrkoping.admin').post(`/v1/units/${U.frideborg}/shifts`, {
      userId: 'skift.person',
      startsAt: iso(startsAt),
      endsAt: iso(endsAt),
    });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({
      unitId: U.frideborg,
      userId: 'skift.person',
      startsAt: iso(startsAt),
      endsAt: iso(endsAt),
      createdBy: { issuer: DEV_ISSUER, subject: 'norrkoping.admin' },
    });
  });

  it('refuses a shift for someone who is not a member of the unit', async () => {
    const res = await dir.as('norrkoping.admin').post(`/v1/units/${U.frideborg}/shifts`, {
      userId: 'police.officer',
      startsAt: iso(inDays(2)),
      endsAt: iso(inDays(2, 12)),
    });
    expectProblem(res, 422, 'shift-member-not-in-unit');
    // A member of another unit is not a member of this one either.
    const other = await dir.as('norrkoping.admin').post(`/v1/units/${U.frideborg}/shifts`, {
      userId: 'elsa.caseworker',
      startsAt: iso(inDays(2)),
      endsAt: iso(inDays(2, 12)),
    });
    expectProblem(other, 422, 'shift-member-not-in-unit');
  });

  it.each([
    ['ends before it starts', inDays(3, 16), inDays(3, 8)],
    ['ends when it starts', inDays(3, 8), inDays(3, 8)],
    [
      'lasts more than 7 days',
      inDays(3, 8),
      new Date(inDays(3, 8).getTime() + 7 * 24 * HOUR + 60_000),
    ],
  ])('refuses a shift that %s', async (_label, startsAt, endsAt) => {
    const res = await dir.as('norrkoping.admin').post(`/v1/units/${U.frideborg}/shifts`, {
      userId: 'skift.person',
      startsAt: iso(startsAt),
      endsAt: iso(endsAt),
    });
    expectProblem(res, 422, 'shift-period-invalid');
  });

  it('accepts a shift of exactly 7 days', async () => {
    const startsAt = inDays(20, 0);
    await createShift(
      U.frideborg,
      'skift.person',
      startsAt,
      new Date(startsAt.getTime() + 7 * 24 * HOUR),
    );
  });

  it('lists the shifts overlapping [from, to), ordered by start', async () => {
    await addMember(U.buyersClinic, 'lista.person');
    const a = await createShift(U.buyersClinic, 'lista.person', inDays(4, 8), inDays(4, 16));
    const b = await createShift(U.buyersClinic, 'lista.person', inDays(5, 8), inDays(5, 16));
    const c = await createShift(U.buyersClinic, 'lista.person', inDays(6, 8), inDays(6, 16));

    const list = async (query: string) => {
      const res = await dir
        .as('frideborg.caseworker')
        .get(`/v1/units/${U.buyersClinic}/shifts${query}`);
      expect(res.statusCode).toBe(200);
      return res.json().items.map((s: { id: string }) => s.id);
    };
    expect(await list('')).toEqual([a.id, b.id, c.id]);
    expect(await list(`?from=${iso(inDays(5, 0))}&to=${iso(inDays(7, 0))}`)).toEqual([b.id, c.id]);
    // overlapping counts: a shift that began before `from` but ends after it is listed
    expect(await list(`?from=${iso(inDays(4, 12))}&to=${iso(inDays(5, 8))}`)).toEqual([a.id]);
    expect(await list(`?from=${iso(inDays(4, 16))}&to=${iso(inDays(5, 9))}`)).toEqual([b.id]);
    expect(await list(`?from=${iso(inDays(30))}&to=${iso(inDays(31))}`)).toEqual([]);
  });

  it('deletes a shift (204), then 404', async () => {
    const shift = await createShift(U.frideborg, 'skift.person', inDays(8, 8), inDays(8, 12));
    const res = await dir
      .as('norrkoping.admin')
      .delete(`/v1/units/${U.frideborg}/shifts/${shift.id}`);
    expect(res.statusCode).toBe(204);
    const listed = (
      await dir.as('frideborg.caseworker').get(`/v1/units/${U.frideborg}/shifts`)
    ).json().items;
    expect(listed.map((s: { id: string }) => s.id)).not.toContain(shift.id);
    expectProblem(
      await dir.as('norrkoping.admin').delete(`/v1/units/${U.frideborg}/shifts/${shift.id}`),
      404,
      'shift-not-found',
    );
  });

  it("answers 404 for a shift of another unit under this unit's path", async () => {
    const shift = await createShift(U.frideborg, 'skift.person', inDays(9, 8), inDays(9, 12));
    expectProblem(
      await dir.as('norrkoping.admin').delete(`/v1/units/${U.elsa}/shifts/${shift.id}`),
      404,
      'shift-not-found',
    );
    expect(
      (await dir.as('frideborg.caseworker').get(`/v1/units/${U.frideborg}/shifts`))
        .json()
        .items.map((s: { id: string }) => s.id),
    ).toContain(shift.id);
  });
});

describe('who is on duty', () => {
  it('names the seeded on-call member at a 24/7 unit now', async () => {
    const res = await dir.as('frideborg.caseworker').get(`/v1/units/${U.socialjour}/on-duty`);
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({
      unitId: U.socialjour,
      open247: true,
      openNow: true,
      onCallUnitId: null,
    });
    expect(body.members).toEqual([
      expect.objectContaining({ userId: 'socialjour.caseworker', roles: ['caseworker'] }),
    ]);
    expect(Date.parse(body.members[0].until)).toBeGreaterThan(Date.now());
  });

  it('says where to escalate for a unit with an on-call unit', async () => {
    const res = await dir.as('frideborg.caseworker').get(`/v1/units/${U.frideborg}/on-duty`);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      unitId: U.frideborg,
      open247: false,
      onCallUnitId: U.socialjour,
    });
  });

  it('answers for a given instant: a future shift shows up only inside it', async () => {
    await addMember(U.elsa, 'natt.person', ['caseworker', 'coordinator']);
    const startsAt = inDays(3, 20);
    const endsAt = inDays(4, 6);
    const shift = await createShift(U.elsa, 'natt.person', startsAt, endsAt);

    const now = (await dir.as('frideborg.caseworker').get(`/v1/units/${U.elsa}/on-duty`)).json();
    expect(now.members.map((m: { userId: string }) => m.userId)).not.toContain('natt.person');

    const during = await dir
      .as('frideborg.caseworker')
      .get(
        `/v1/units/${U.elsa}/on-duty?at=${encodeURIComponent(iso(new Date(startsAt.getTime() + HOUR)))}`,
      );
    expect(during.statusCode).toBe(200);
    expect(during.json().at).toBe(iso(new Date(startsAt.getTime() + HOUR)));
    expect(during.json().openNow).toBe(true);
    expect(during.json().members).toEqual([
      {
        userId: 'natt.person',
        roles: ['caseworker', 'coordinator'],
        shiftId: shift.id,
        until: iso(endsAt),
      },
    ]);

    const atStart = (
      await dir
        .as('frideborg.caseworker')
        .get(`/v1/units/${U.elsa}/on-duty?at=${encodeURIComponent(iso(startsAt))}`)
    ).json();
    expect(atStart.members.map((m: { userId: string }) => m.userId)).toContain('natt.person');
    const atEnd = (
      await dir
        .as('frideborg.caseworker')
        .get(`/v1/units/${U.elsa}/on-duty?at=${encodeURIComponent(iso(endsAt))}`)
    ).json();
    expect(atEnd.members.map((m: { userId: string }) => m.userId)).not.toContain('natt.person');
  });

  it("drops a removed member's future shifts", async () => {
    await addMember(U.elsa, 'slutar.snart');
    const startsAt = inDays(5, 10);
    const shift = await createShift(U.elsa, 'slutar.snart', startsAt, inDays(5, 18));
    const at = encodeURIComponent(iso(new Date(startsAt.getTime() + HOUR)));
    expect(
      (await dir.as('frideborg.caseworker').get(`/v1/units/${U.elsa}/on-duty?at=${at}`))
        .json()
        .members.map((m: { userId: string }) => m.userId),
    ).toContain('slutar.snart');

    expect(
      (await dir.as('norrkoping.admin').delete(`/v1/units/${U.elsa}/members/slutar.snart`))
        .statusCode,
    ).toBe(204);
    const shifts = (await dir.as('frideborg.caseworker').get(`/v1/units/${U.elsa}/shifts`)).json()
      .items;
    expect(shifts.map((s: { id: string }) => s.id)).not.toContain(shift.id);
    expect(
      (await dir.as('frideborg.caseworker').get(`/v1/units/${U.elsa}/on-duty?at=${at}`))
        .json()
        .members.map((m: { userId: string }) => m.userId),
    ).not.toContain('slutar.snart');
  });

  it('answers 404 for an unknown unit', async () => {
    expectProblem(
      await dir.as('police.officer').get(`/v1/units/${UNKNOWN}/on-duty`),
      404,
      'unit-not-found',
    );
  });
});

describe('only admins change rosters', () => {
  let shiftId: string;
  beforeAll(async () => {
    await addMember(U.frideborg, 'skyddad.person');
    shiftId = (await createShift(U.frideborg, 'skyddad.person', inDays(10, 8), inDays(10, 16))).id;
  });

  it.each([
    'frideborg.caseworker',
    'police.admin',
    'norrkoping.auditor',
    'coordinator.ostergotland',
  ])('refuses %s with 403', async (user) => {
    const as = dir.as(user);
    expectProblem(
      await as.post(`/v1/units/${U.frideborg}/members`, {
        userId: 'inkraktare',
        roles: ['org_admin'],
      }),
      403,
      'forbidden',
    );
    expectProblem(
      await as.delete(`/v1/units/${U.frideborg}/members/skyddad.person`),
      403,
      'forbidden',
    );
    expectProblem(
      await as.post(`/v1/units/${U.frideborg}/shifts`, {
        userId: 'skyddad.person',
        startsAt: iso(inDays(11)),
        endsAt: iso(inDays(11, 12)),
      }),
      403,
      'forbidden',
    );
    expectProblem(await as.delete(`/v1/units/${U.frideborg}/shifts/${shiftId}`), 403, 'forbidden');

    const members = (await dir.as('frideborg.caseworker').get(`/v1/units/${U.frideborg}/members`))
      .json()
      .items.map((m: { userId: string }) => m.userId);
    expect(members).toContain('skyddad.person');
    expect(members).not.toContain('inkraktare');
    const shifts = (await dir.as('frideborg.caseworker').get(`/v1/units/${U.frideborg}/shifts`))
      .json()
      .items.map((s: { id: string }) => s.id);
    expect(shifts).toContain(shiftId);
  });

  it('lets a hub admin change any roster', async () => {
    const res = await dir.as('hub.admin').post(`/v1/units/${U.policeTraffickingOst}/members`, {
      userId: 'hub.tillagd',
      roles: ['officer'],
    });
    expect(res.statusCode).toBe(201);
    expect(
      (await dir.as('hub.admin').delete(`/v1/units/${U.policeTraffickingOst}/members/hub.tillagd`))
        .statusCode,
    ).toBe(204);
  });
});

describe('roles a member may hold', () => {
  let local: Awaited<ReturnType<typeof buildDirectory>>;
  beforeAll(async () => {
    local = await buildDirectory();
  });
  afterAll(async () => {
    await local?.close();
  });

  it('refuses hub_admin outside the hub organisation, even from a hub admin', async () => {
    for (const user of ['norrkoping.admin', 'hub.admin'] as const) {
      const res = await local.as(user).post(`/v1/units/${U.frideborg}/members`, {
        userId: 'x.user',
        roles: ['caseworker', 'hub_admin'],
      });
      expect(res.statusCode).toBe(422);
      expect(res.json().type).toBe('urn:samverkan:problem:member-role-not-grantable');
    }
    const members = await local.as('frideborg.caseworker').get(`/v1/units/${U.frideborg}/members`);
    expect(members.json().items.map((m: { userId: string }) => m.userId)).not.toContain('x.user');
  });
});

describe('need-to-know (issue 12: protected-housing staff were readable by every organisation)', () => {
  it("refuses members and shifts to another organisation's users, audited", async () => {
    for (const path of ['members', 'shifts']) {
      for (const user of ['police.officer', 'novahuset.caseworker', 'coordinator.ostergotland']) {
        const res = await dir.as(user).get(`/v1/units/${U.elsa}/${path}`);
        expectProblem(res, 403, 'forbidden');
        expect(res.body).not.toContain('elsa.');
      }
    }
    await dir.app.directory.context.audit.chainPending();
    const [row] = (await dir.app.directory.context.dataSource.query(
      `SELECT count(*)::int AS n FROM directory.audit_log
        WHERE action = 'unit.members_read' AND outcome = 'denied' AND object_id = $1`,
      [U.elsa],
    )) as Array<{ n: number }>;
    expect(row!.n).toBeGreaterThanOrEqual(3);
  });

  it('tells others only whether someone is on duty and how to reach the unit', async () => {
    const outsider = (
      await dir.as('police.officer').get(`/v1/units/${U.socialjour}/on-duty`)
    ).json();
    expect(outsider).toMatchObject({
      unitId: U.socialjour,
      staffed: true,
      namesShown: false,
      members: [],
    });
    expect(outsider.contacts.length).toBeGreaterThan(0);
    expect(JSON.stringify(outsider)).not.toContain('socialjour.caseworker');

    const own = (
      await dir.as('frideborg.caseworker').get(`/v1/units/${U.socialjour}/on-duty`)
    ).json();
    expect(own).toMatchObject({ staffed: true, namesShown: true });
    expect(own.members.map((m: { userId: string }) => m.userId)).toContain('socialjour.caseworker');
    const admin = await dir.as('hub.admin').get(`/v1/units/${U.socialjour}/members`);
    expect(admin.statusCode).toBe(200);
  });
});
