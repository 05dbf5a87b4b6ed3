import { DEMO_ORGANISATIONS as O, DEMO_UNITS as U } from '@samverkan/shared';
import { base64url, compactVerify, importJWK, type JWK } from 'jose';
import { buildDirectory, type TestDirectory } from './helpers/build';
import { expectProblem } from './helpers/problems';

let dir: TestDirectory;

interface UnitView {
  id: string;
  name: string;
  organisationId: string;
  organisation: { id: string; kind: string; policeRegion: string | null };
  capabilities: string[];
  coverage: string[];
  counties: string[];
  ageBands: string[];
  genders: string[];
  languages: string[];
  openingHours: { timeZone: string; open247: boolean; weekly: unknown[] };
  status: string;
  onCallUnitId: string | null;
}

const WEEK = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
const ALWAYS_BY_WEEKLY = {
  timeZone: 'Europe/Stockholm',
  open247: false,
  weekly: WEEK.map((day) => ({ day, opens: '00:00', closes: '00:00' })),
};
const NEVER = { timeZone: 'Europe/Stockholm', open247: false, weekly: [] };

const newUnit = (overrides: Record<string, unknown> = {}) => ({
  organisationId: O.norrkoping,
  name: 'Testenhet',
  description: 'En enhet för tester.',
  capabilities: ['legal_advice'],
  coverage: ['0581'],
  ageBands: ['adult'],
  genders: ['female'],
  languages: ['sv'],
  openingHours: NEVER,
  ...overrides,
});

let alwaysOpen: UnitView;
let neverOpen: UnitView;
let inactive: UnitView;

beforeAll(async () => {
  dir = await buildDirectory();
  const create = async (body: Record<string, unknown>) => {
    const res = await dir.as('norrkoping.admin').post('/v1/units', body);
    expect(res.statusCode).toBe(201);
    return res.json() as UnitView;
  };
  alwaysOpen = await create(
    newUnit({
      name: 'Testenhet alltid öppen',
      capabilities: ['legal_advice', 'return_support'],
      openingHours: ALWAYS_BY_WEEKLY,
      languages: ['sv', 'fa'],
    }),
  );
  neverOpen = await create(
    newUnit({
      name: 'Testenhet aldrig öppen',
      capabilities: ['legal_advice'],
      openingHours: NEVER,
    }),
  );
  inactive = await create(newUnit({ name: 'Testenhet vilande', capabilities: ['legal_advice'] }));
  const patched = await dir
    .as('norrkoping.admin')
    .patch(`/v1/units/${inactive.id}`, { status: 'inactive' });
  expect(patched.statusCode).toBe(200);
});
afterAll(async () => {
  await dir?.close();
});

async function search(query: string): Promise<UnitView[]> {
  const res = await dir.as('police.officer').get(`/v1/units?limit=100${query ? `&${query}` : ''}`);
  expect(res.statusCode).toBe(200);
  expect(res.json().nextCursor).toBeNull();
  return res.json().items as UnitView[];
}
const ids = (units: UnitView[]) => units.map((u) => u.id).sort();

describe('unit search', () => {
  let all: UnitView[];
  beforeAll(async () => {
    all = await search('');
  });

  it('lists active units by default, ordered by name', async () => {
    expect(all.length).toBe(12 + 2);
    expect(all.every((u) => u.status === 'active')).toBe(true);
    expect(ids(all)).toEqual(expect.arrayContaining(Object.values(U)));
    const names = all.map((u) => u.name);
    expect(names).toEqual([...names].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
  });

  it.each([
    [
      'capability',
      'capability=protected_housing',
      (u: UnitView) => u.capabilities.includes('protected_housing'),
    ],
    [
      'two capabilities (both must match)',
      'capability=trafficking_expertise&capability=response_24_7',
      (u: UnitView) =>
        u.capabilities.includes('trafficking_expertise') &&
        u.capabilities.includes('response_24_7'),
    ],
    ['municipality', 'municipality=2480', (u: UnitView) => u.coverage.includes('2480')],
    ['county', 'county=24', (u: UnitView) => u.counties.includes('24')],
    [
      'police region (units covering its counties, or run by it)',
      'policeRegion=ost',
      (u: UnitView) =>
        u.organisation.policeRegion === 'ost' ||
        u.counties.some((c) => ['05', '06', '04'].includes(c)),
    ],
    [
      'organisation kind',
      'organisationKind=healthcare',
      (u: UnitView) => u.organisation.kind === 'healthcare',
    ],
    [
      'organisation',
      `organisationId=${O.policeOst}`,
      (u: UnitView) => u.organisationId === O.policeOst,
    ],
    ['age band', 'ageBand=child', (u: UnitView) => u.ageBands.includes('child')],
    ['gender', 'gender=male', (u: UnitView) => u.genders.includes('male')],
    ['language', 'language=ro', (u: UnitView) => u.languages.includes('ro')],
    ['open around the clock', 'open247=true', (u: UnitView) => u.openingHours.open247],
    ['not open around the clock', 'open247=false', (u: UnitView) => !u.openingHours.open247],
  ])('filters by %s', async (_label, query, predicate) => {
    const expected = all.filter(predicate);
    expect(expected.length).toBeGreaterThan(0);
    expect(expected.length).toBeLessThan(all.length);
    expect(ids(await search(query))).toEqual(ids(expected));
  });

  it('finds the expected demo units for concrete questions', async () => {
    expect(ids(await search('capability=protected_housing&capability=response_24_7'))).toEqual([
      U.elsa,
    ]);
    expect(ids(await search('municipality=2480'))).toEqual(
      [U.policeTraffickingNord, U.umeaSocial].sort(),
    );
    expect(ids(await search('language=fit'))).toEqual([U.umeaSocial]);
    expect(ids(await search(`organisationId=${O.region}`))).toEqual(
      [U.youthClinic, U.womensClinic].sort(),
    );
    // Umeå's unit works in Västerbotten, so it is in Polisregion Nord though its kommun has no region.
    expect(ids(await search('policeRegion=nord'))).toEqual(
      [U.policeTraffickingNord, U.umeaSocial].sort(),
    );
  });

  it('combines every filter with AND', async () => {
    const res = await search(
      'municipality=0581&gender=female&ageBand=adult&capability=trafficking_expertise&organisationKind=social_services',
    );
    expect(ids(res)).toEqual([U.frideborg, U.elsa].sort());
    const expected = all.filter(
      (u) =>
        u.coverage.includes('0581') &&
        u.languages.includes('en') &&
        u.ageBands.includes('child') &&
        u.openingHours.open247 &&
        u.organisation.kind === 'police',
    );
    expect(
      ids(
        await search(
          'municipality=0581&language=en&ageBand=child&open247=true&organisationKind=police',
        ),
      ),
    ).toEqual(ids(expected));
    expect(ids(await search('municipality=2480&organisationKind=healthcare'))).toEqual([]);
  });

  it('tells units open now from units closed now by their opening hours', async () => {
    const open = ids(await search(`organisationId=${O.norrkoping}&openNow=true`));
    expect(open).toEqual(expect.arrayContaining([alwaysOpen.id, U.socialjour, U.elsa]));
    expect(open).not.toContain(neverOpen.id);

    const closed = ids(await search(`organisationId=${O.norrkoping}&openNow=false`));
    expect(closed).toContain(neverOpen.id);
    expect(closed).not.toContain(alwaysOpen.id);
    expect(closed).not.toContain(U.socialjour);
    // open and closed split the organisation's active units between them
    expect([...open, ...closed].sort()).toEqual(
      ids(await search(`organisationId=${O.norrkoping}`)),
    );
  });

  it('searches Swedish full text in names and descriptions, also inflected forms', async () => {
    expect((await search(`q=${encodeURIComponent('skyddat boende')}`)).map((u) => u.name)).toEqual([
      'Kvinnoboendet Elsa',
    ]);
    expect(
      (await search(`q=${encodeURIComponent('skyddade boenden')}`)).map((u) => u.name),
    ).toEqual(['Kvinnoboendet Elsa']);
    expect((await search(`q=${encodeURIComponent('kvinna')}`)).map((u) => u.name)).toContain(
      'Kvinnoboendet Elsa',
    );
    expect(
      ids(await search(`q=${encodeURIComponent('människohandel')}&organisationKind=police`)),
    ).toEqual([U.policeTraffickingOst, U.policeTraffickingNord].sort());
    expect(await search(`q=${encodeURIComponent('helikopterplatta')}`)).toEqual([]);
  });

  it('filters by status', async () => {
    expect(ids(all)).not.toContain(inactive.id);
    expect(ids(await search('status=inactive'))).toEqual([inactive.id]);
    const any = await search('status=any');
    expect(ids(any)).toEqual([...ids(all), inactive.id].sort());
  });

  it('walks all units two at a time with the cursor', async () => {
    const every = ids(await search('status=any'));
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const url: string = `/v1/units?status=any&limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const res = await dir.as('police.officer').get(url);
      expect(res.statusCode).toBe(200);
      expect(res.json().items.length).toBeLessThanOrEqual(2);
      seen.push(...res.json().items.map((u: UnitView) => u.id));
      cursor = res.json().nextCursor;
      pages += 1;
    } while (cursor && pages < 100);
    expect(new Set(seen).size).toBe(seen.length);
    expect([...seen].sort()).toEqual(every);
    expect(pages).toBe(Math.ceil(every.length / 2));
  });
});

describe('creating units', () => {
  it('lets the org admin create a unit, deriving its counties from its coverage', async () => {
    const res = await dir.as('norrkoping.admin').post(
      '/v1/units',
      newUnit({
        name: 'Mobila teamet',
        coverage: ['2480', '0581', '0580'],
        contacts: [{ kind: 'phone', value: '+46 11 00 00 00', label: 'Växel' }],
        onCallUnitId: U.socialjour,
      }),
    );
    expect(res.statusCode).toBe(201);
    const unit = res.json();
    expect(unit).toMatchObject({
      organisationId: O.norrkoping,
      organisation: { id: O.norrkoping, kind: 'social_services', countyCode: '05' },
      name: 'Mobila teamet',
      coverage: ['0580', '0581', '2480'],
      counties: ['05', '24'],
      status: 'active',
      onCallUnitId: U.socialjour,
      contacts: [{ kind: 'phone', value: '+46 11 00 00 00', label: 'Växel' }],
    });
    const got = await dir.as('umea.caseworker').get(`/v1/units/${unit.id}`);
    expect(got.statusCode).toBe(200);
    expect(got.json()).toEqual(unit);
  });

  it.each([
    ['an unknown municipality', { coverage: ['0581', '0599'] }, 'municipality-unknown'],
    ['an unknown language', { languages: ['sv', 'qq'] }, 'language-unknown'],
    [
      'an unknown time zone',
      { openingHours: { timeZone: 'Europe/Norrkoping', open247: true, weekly: [] } },
      'time-zone-unknown',
    ],
    [
      'an unknown on-call unit',
      { onCallUnitId: '99999999-0000-4000-8000-000000000000' },
      'on-call-unit-invalid',
    ],
    ['an inactive on-call unit', { onCallUnitId: 'INACTIVE' }, 'on-call-unit-invalid'],
    [
      "another organisation's unit as on-call unit",
      { onCallUnitId: U.policeTraffickingOst },
      'on-call-unit-invalid',
    ],
  ])('refuses %s with 422', async (_label, overrides, slug) => {
    const body: Record<string, unknown> = newUnit({ name: 'Ska inte finnas', ...overrides });
    if (body.onCallUnitId === 'INACTIVE') {
      body.onCallUnitId = inactive.id;
    }
    const res = await dir.as('norrkoping.admin').post('/v1/units', body);
    expectProblem(res, 422, slug);
    expect(await search('q=finnas&status=any')).toEqual([]);
  });

  it('refuses a unit for another organisation with 403', async () => {
    const res = await dir
      .as('norrkoping.admin')
      .post('/v1/units', newUnit({ organisationId: O.policeOst, name: 'Kapad enhet' }));
    expectProblem(res, 403, 'forbidden');
    expect(await search('q=kapad&status=any')).toEqual([]);
  });

  it('answers 404 for an unknown organisation', async () => {
    const res = await dir
      .as('hub.admin')
      .post('/v1/units', newUnit({ organisationId: '99999999-0000-4000-8000-000000000000' }));
    expectProblem(res, 404, 'organisation-not-found');
  });
});

describe('reading and changing one unit', () => {
  it("refuses to route a unit's escalations to another organisation's unit (issue 12)", async () => {
    const res = await dir
      .as('norrkoping.admin')
      .patch(`/v1/units/${U.elsa}`, { onCallUnitId: U.policeTraffickingOst });
    expectProblem(res, 422, 'on-call-unit-invalid');
    expect(res.json().detail).toMatch(/another organisation/);
    const elsa = await dir.as('norrkoping.admin').get(`/v1/units/${U.elsa}`);
    expect(elsa.json().onCallUnitId).toBe(U.socialjour);
  });

  it('returns a unit and 404 for an unknown one', async () => {
    const res = await dir.as('novahuset.caseworker').get(`/v1/units/${U.elsa}`);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      id: U.elsa,
      name: 'Kvinnoboendet Elsa',
      organisation: { id: O.norrkoping, name: 'Norrköpings kommun, Socialkontoret' },
      genders: ['female'],
      openingHours: { open247: true, timeZone: 'Europe/Stockholm' },
      onCallUnitId: U.socialjour,
    });
    expectProblem(
      await dir.as('novahuset.caseworker').get('/v1/units/99999999-0000-4000-8000-000000000000'),
      404,
      'unit-not-found',
    );
  });

  it('lets the own org admin change a unit; arrays are replaced and null clears the on-call unit', async () => {
    const created = (
      await dir
        .as('norrkoping.admin')
        .post('/v1/units', newUnit({ name: 'Ändringsbar', onCallUnitId: U.socialjour }))
    ).json();
    const res = await dir.as('norrkoping.admin').patch(`/v1/units/${created.id}`, {
      description: 'Ny beskrivning',
      languages: ['en'],
      coverage: ['2480'],
      onCallUnitId: null,
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      id: created.id,
      name: 'Ändringsbar',
      description: 'Ny beskrivning',
      languages: ['en'],
      coverage: ['2480'],
      counties: ['24'],
      onCallUnitId: null,
    });
    expect((await dir.as('police.officer').get(`/v1/units/${created.id}`)).json().description).toBe(
      'Ny beskrivning',
    );
  });

  it('applies the create rules on update', async () => {
    const res = await dir
      .as('norrkoping.admin')
      .patch(`/v1/units/${U.frideborg}`, { coverage: ['0599'] });
    expectProblem(res, 422, 'municipality-unknown');
    const self = await dir
      .as('norrkoping.admin')
      .patch(`/v1/units/${U.frideborg}`, { onCallUnitId: U.frideborg });
    expectProblem(self, 422, 'on-call-unit-invalid');
  });

  it("refuses another organisation's admin with 403", async () => {
    const res = await dir.as('police.admin').patch(`/v1/units/${U.frideborg}`, { name: 'Kapad' });
    expectProblem(res, 403, 'forbidden');
    expect((await dir.as('police.officer').get(`/v1/units/${U.frideborg}`)).json().name).toBe(
      'Frideborg',
    );
  });
});

describe('who can take an acute case for an adult woman in Norrköping now, and with which keys', () => {
  it('finds open units and returns their active keys, each signed by its organisation root key', async () => {
    const found = await search(
      'municipality=0581&ageBand=adult&gender=female&openNow=true&capability=response_24_7',
    );
    const names = found.map((u) => u.name);
    expect(names).toEqual(
      expect.arrayContaining(['Socialjouren Norrköping', 'Kvinnoboendet Elsa']),
    );
    expect(
      found.every(
        (u) =>
          u.coverage.includes('0581') &&
          u.genders.includes('female') &&
          u.ageBands.includes('adult'),
      ),
    ).toBe(true);

    const unitIds = found.map((u) => u.id);
    const res = await dir.as('police.officer').get(`/v1/keys?units=${unitIds.join(',')}`);
    expect(res.statusCode).toBe(200);
    const sets = res.json().units as Array<{
      unitId: string;
      organisationId: string;
      rootKeys: Array<{ kid: string; jwk: JWK; status: string }>;
      keys: Array<{
        kid: string;
        use: string;
        alg: string;
        status: string;
        signed: string;
        rootKid: string;
        jwk: JWK;
      }>;
    }>;
    expect(sets.map((s) => s.unitId).sort()).toEqual([...unitIds].sort());

    for (const set of sets) {
      expect(set.rootKeys.length).toBeGreaterThan(0);
      expect(set.rootKeys.every((r) => r.status === 'active')).toBe(true);
      expect(set.keys.map((k) => k.use).sort()).toEqual(['enc', 'sig']);
      for (const key of set.keys) {
        expect(key.status).toBe('active');
        expect(key.alg).toBe(key.use === 'enc' ? 'ECDH-ES+A256KW' : 'EdDSA');
        const root = set.rootKeys.find((r) => r.kid === key.rootKid);
        expect(root).toBeDefined();
        // What a client does before encrypting: the statement must verify against the root key
        // and name this unit, its organisation and exactly this key.
        const { payload, protectedHeader } = await compactVerify(
          key.signed,
          await importJWK(root!.jwk, 'EdDSA'),
          { algorithms: ['EdDSA'] },
        );
        expect(protectedHeader).toMatchObject({
          alg: 'EdDSA',
          kid: root!.kid,
          typ: 'unit-key+jws',
        });
        const statement = JSON.parse(new TextDecoder().decode(payload));
        expect(statement).toMatchObject({
          unit: set.unitId,
          org: set.organisationId,
          use: key.use,
          jwk: { x: key.jwk.x, kid: key.kid },
        });
      }
    }
    // The dev key store holds the private halves of the seeded Socialjour keys: they match.
    const socialjour = sets.find((s) => s.unitId === U.socialjour)!;
    expect(socialjour.keys.find((k) => k.use === 'enc')!.kid).toBe(
      dir.keys.units[U.socialjour]!.enc.kid,
    );
    expect(socialjour.rootKeys[0]!.kid).toBe(dir.keys.roots[O.norrkoping]!.kid);
    // A signed statement whose payload is changed no longer verifies.
    const key = socialjour.keys[0]!;
    const [h, , s] = key.signed.split('.');
    const forged = `${h}.${base64url.encode(JSON.stringify({ unit: U.policeTraffickingOst, org: O.norrkoping, use: key.use, jwk: key.jwk }))}.${s}`;
    await expect(
      compactVerify(forged, await importJWK(socialjour.rootKeys[0]!.jwk, 'EdDSA')),
    ).rejects.toThrow();
  });

  it('leaves out unknown unit ids', async () => {
    const res = await dir
      .as('police.officer')
      .get(`/v1/keys?units=${U.elsa},99999999-0000-4000-8000-000000000000`);
    expect(res.statusCode).toBe(200);
    expect(res.json().units.map((s: { unitId: string }) => s.unitId)).toEqual([U.elsa]);
  });
});
