import {
  DEMO_ORGANISATIONS as O,
  DEV_ISSUER,
  generateRootKey,
  generateUnitEncryptionKey,
  luhnCheckDigit,
} from '@samverkan/shared';
import { calculateJwkThumbprint } from 'jose';
import type { DataSource } from 'typeorm';
import { buildDirectory, type TestDirectory } from './helpers/build';
import { expectProblem } from './helpers/problems';

let dir: TestDirectory;
/** Our own connection to the directory's database, to look at the rows behind the API. */
let ds: DataSource;
beforeAll(async () => {
  dir = await buildDirectory();
  ds = dir.app.directory.context.dataSource;
});
afterAll(async () => {
  await dir?.close();
});

/** A valid organisation number (hyphenated) from nine digits. */
const orgNr = (nine: string) => `${nine.slice(0, 6)}-${nine.slice(6)}${luhnCheckDigit(nine)}`;
let serial = 100;
/** A fresh, valid organisation number each call. */
const freshOrgNr = () => orgNr(`55660${String(serial++).padStart(4, '0')}`);

const count = async (table: string): Promise<number> => {
  // Audit entries are chained right after commit: link what waits, so the chain holds them all.
  await dir.app.directory.context.audit.chainPending();
  return Number((await ds.query(`SELECT count(*)::int AS n FROM directory.${table}`))[0].n);
};

const newOrg = (overrides: Record<string, unknown> = {}) => ({
  name: `Testorganisation ${serial}`,
  kind: 'ngo',
  organisationNumber: freshOrgNr(),
  countyCode: '05',
  municipalityCode: '0581',
  ...overrides,
});

describe('listing organisations', () => {
  it('lists the demo organisations ordered by name', async () => {
    const res = await dir.as('police.officer').get('/v1/organisations?limit=100');
    expect(res.statusCode).toBe(200);
    const names: string[] = res.json().items.map((o: { name: string }) => o.name);
    expect(names).toEqual(
      expect.arrayContaining([
        'Novahuset',
        'Polisen Region Öst',
        'Norrköpings kommun, Socialkontoret',
      ]),
    );
    expect(names).toEqual([...names].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
    expect(res.json().nextCursor).toBeNull();
  });

  it('filters by kind', async () => {
    const res = await dir.as('police.officer').get('/v1/organisations?kind=police&limit=100');
    expect(res.statusCode).toBe(200);
    const items = res.json().items as Array<{ id: string; kind: string }>;
    expect(items.map((o) => o.id).sort()).toEqual(
      expect.arrayContaining([O.police, O.policeOst, O.policeNord].sort()),
    );
    expect(items.every((o) => o.kind === 'police')).toBe(true);
  });

  it('filters by county', async () => {
    const res = await dir.as('police.officer').get('/v1/organisations?county=24&limit=100');
    expect(res.statusCode).toBe(200);
    const items = res.json().items as Array<{ id: string; countyCode: string }>;
    expect(items.map((o) => o.id).sort()).toEqual([O.policeNord, O.umea].sort());
  });

  it('filters by free text on the name, case-insensitively', async () => {
    const res = await dir
      .as('police.officer')
      .get(`/v1/organisations?q=${encodeURIComponent('POLIS')}&limit=100`);
    expect(res.statusCode).toBe(200);
    const items = res.json().items as Array<{ id: string }>;
    expect(items.map((o) => o.id).sort()).toEqual([O.police, O.policeOst, O.policeNord].sort());
  });

  it('treats % and _ in the query literally', async () => {
    const res = await dir
      .as('police.officer')
      .get(`/v1/organisations?q=${encodeURIComponent('%')}`);
    expect(res.statusCode).toBe(200);
    expect(res.json().items).toEqual([]);
  });

  it('combines filters', async () => {
    const res = await dir
      .as('police.officer')
      .get('/v1/organisations?kind=social_services&county=05');
    expect(res.statusCode).toBe(200);
    expect(res.json().items.map((o: { id: string }) => o.id)).toEqual([O.norrkoping]);
  });

  it('walks every page with the cursor, without duplicates or gaps', async () => {
    const all = (await dir.as('police.officer').get('/v1/organisations?limit=100'))
      .json()
      .items.map((o: { id: string }) => o.id);
    expect(all.length).toBeGreaterThanOrEqual(10);
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const url: string = `/v1/organisations?limit=3${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const res = await dir.as('police.officer').get(url);
      expect(res.statusCode).toBe(200);
      const body = res.json();
      expect(body.items.length).toBeLessThanOrEqual(3);
      seen.push(...body.items.map((o: { id: string }) => o.id));
      cursor = body.nextCursor;
      pages += 1;
    } while (cursor && pages < 50);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toEqual(all);
    expect(pages).toBe(Math.ceil(all.length / 3));
  });
});

describe('reading one organisation', () => {
  it('returns the organisation', async () => {
    const res = await dir.as('frideborg.caseworker').get(`/v1/organisations/${O.policeOst}`);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      id: O.policeOst,
      name: 'Polisen Region Öst',
      kind: 'police',
      organisationNumber: '2021000076',
      countyCode: '05',
      municipalityCode: '0580',
      policeRegion: 'ost',
      parentId: O.police,
      status: 'active',
    });
  });

  it('answers 404 with a problem for an unknown id', async () => {
    const res = await dir
      .as('frideborg.caseworker')
      .get('/v1/organisations/99999999-0000-4000-8000-000000000000');
    expectProblem(res, 404, 'organisation-not-found');
    expect(res.json().code).toBe('DIRECTORY_ORGANISATION_NOT_FOUND');
  });
});

describe('creating organisations', () => {
  it('lets a hub admin create one, storing the organisation number without hyphen', async () => {
    const nine = '556611223';
    const body = newOrg({
      organisationNumber: `556611-223${luhnCheckDigit(nine)}`,
      website: 'https://example.org/',
      policeRegion: 'ost',
    });
    const res = await dir.as('hub.admin').post('/v1/organisations', body);
    expect(res.statusCode).toBe(201);
    const created = res.json();
    expect(created).toMatchObject({
      name: body.name,
      kind: 'ngo',
      organisationNumber: `${nine}${luhnCheckDigit(nine)}`,
      countyCode: '05',
      municipalityCode: '0581',
      policeRegion: 'ost',
      parentId: null,
      website: 'https://example.org/',
      status: 'active',
    });
    expect((await dir.as('police.officer').get(`/v1/organisations/${created.id}`)).json()).toEqual(
      created,
    );
  });

  it('accepts a parent organisation', async () => {
    const res = await dir
      .as('hub.admin')
      .post('/v1/organisations', newOrg({ parentId: O.norrkoping }));
    expect(res.statusCode).toBe(201);
    expect(res.json().parentId).toBe(O.norrkoping);
  });

  it.each([
    [
      'an organisation number failing the Luhn check',
      { organisationNumber: `556611-223${(luhnCheckDigit('556611223') + 1) % 10}` },
      'organisation-number-invalid',
    ],
    [
      'a personal identity number (third digit below 2)',
      { organisationNumber: orgNr('551011223') },
      'organisation-number-invalid',
    ],
    ['an unknown county', { countyCode: '99', municipalityCode: undefined }, 'county-unknown'],
    ['an unknown municipality', { municipalityCode: '0599' }, 'municipality-unknown'],
    ['a municipality outside the county', { municipalityCode: '0180' }, 'county-mismatch'],
    ['a police region not covering the county', { policeRegion: 'nord' }, 'police-region-mismatch'],
    ['an unknown parent', { parentId: '99999999-0000-4000-8000-000000000000' }, 'parent-invalid'],
  ])('refuses %s with 422 and writes nothing', async (_label, overrides, slug) => {
    const before = await count('organisations');
    const outcomes = async () => {
      await dir.app.directory.context.audit.chainPending();
      const [row] = (await ds.query(
        `SELECT count(*) FILTER (WHERE outcome = 'allowed')::int AS allowed,
                count(*) FILTER (WHERE outcome = 'denied')::int AS denied
           FROM directory.audit_log WHERE action = 'organisation.create'`,
      )) as Array<{ allowed: number; denied: number }>;
      return row!;
    };
    const auditBefore = await outcomes();
    const res = await dir.as('hub.admin').post('/v1/organisations', newOrg(overrides));
    expectProblem(res, 422, slug);
    expect(await count('organisations')).toBe(before);
    // The change and its "allowed" entry are one transaction, rolled back together. A refusal
    // found inside the change is audited as a denied attempt (pipeline.transact); one found by the
    // checks before it (the number's form) is not.
    const after = await outcomes();
    expect(after.allowed).toBe(auditBefore.allowed);
    expect(after.denied - auditBefore.denied).toBeLessThanOrEqual(1);
  });

  it('refuses a parent chain that would loop', async () => {
    const a = (
      await dir.as('hub.admin').post('/v1/organisations', newOrg({ name: 'Loop A' }))
    ).json();
    const b = (
      await dir
        .as('hub.admin')
        .post('/v1/organisations', newOrg({ name: 'Loop B', parentId: a.id }))
    ).json();
    expect(b.parentId).toBe(a.id);
    const loop = await dir.as('hub.admin').patch(`/v1/organisations/${a.id}`, { parentId: b.id });
    expectProblem(loop, 422, 'parent-invalid');
    const self = await dir.as('hub.admin').patch(`/v1/organisations/${a.id}`, { parentId: a.id });
    expectProblem(self, 422, 'parent-invalid');
    expect((await dir.as('hub.admin').get(`/v1/organisations/${a.id}`)).json().parentId).toBeNull();
  });

  it('refuses an org admin with 403 and records the denied attempt', async () => {
    const before = await count('organisations');
    const body = newOrg({ name: 'Obehörigt skapad organisation' });
    const res = await dir.as('norrkoping.admin').post('/v1/organisations', body);
    expectProblem(res, 403, 'forbidden');
    expect(res.json().code).toBe('FORBIDDEN');
    expect(await count('organisations')).toBe(before);

    const audit = await dir
      .as('hub.admin')
      .get('/v1/audit/directory?outcome=denied&action=organisation.create&limit=500');
    expect(audit.statusCode).toBe(200);
    expect(audit.json().items).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          actorSub: 'norrkoping.admin',
          actorOrg: O.norrkoping,
          action: 'organisation.create',
          objectType: 'organisation',
          outcome: 'denied',
        }),
      ]),
    );
  });
});

describe('updating organisations', () => {
  it("lets the organisation's own admin change it", async () => {
    const res = await dir
      .as('novahuset.admin')
      .patch(`/v1/organisations/${O.novahuset}`, { website: 'https://novahuset.example/' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      id: O.novahuset,
      website: 'https://novahuset.example/',
      name: 'Novahuset',
    });
    const cleared = await dir
      .as('novahuset.admin')
      .patch(`/v1/organisations/${O.novahuset}`, { website: null });
    expect(cleared.statusCode).toBe(200);
    expect(cleared.json().website).toBeNull();
  });

  it("refuses another organisation's admin with 403", async () => {
    const res = await dir
      .as('police.admin')
      .patch(`/v1/organisations/${O.novahuset}`, { name: 'Kapad' });
    expectProblem(res, 403, 'forbidden');
    expect(
      (await dir.as('police.officer').get(`/v1/organisations/${O.novahuset}`)).json().name,
    ).toBe('Novahuset');
  });

  it('refuses a status change by an org admin, but lets a hub admin make it', async () => {
    const denied = await dir
      .as('novahuset.admin')
      .patch(`/v1/organisations/${O.novahuset}`, { status: 'inactive' });
    expectProblem(denied, 403, 'forbidden');
    expect(
      (await dir.as('police.officer').get(`/v1/organisations/${O.novahuset}`)).json().status,
    ).toBe('active');

    const org = (await dir.as('hub.admin').post('/v1/organisations', newOrg())).json();
    const res = await dir
      .as('hub.admin')
      .patch(`/v1/organisations/${org.id}`, { status: 'inactive' });
    expect(res.statusCode).toBe(200);
    expect(res.json().status).toBe('inactive');
  });

  it('applies the place rules on update too', async () => {
    const res = await dir
      .as('novahuset.admin')
      .patch(`/v1/organisations/${O.novahuset}`, { municipalityCode: '2480' });
    expectProblem(res, 422, 'county-mismatch');
  });

  it('answers 404 for an unknown organisation', async () => {
    const res = await dir
      .as('hub.admin')
      .patch('/v1/organisations/99999999-0000-4000-8000-000000000000', { name: 'X' });
    expectProblem(res, 404, 'organisation-not-found');
  });
});

describe('organisation root keys', () => {
  let org: { id: string };
  beforeAll(async () => {
    org = (
      await dir
        .as('hub.admin')
        .post('/v1/organisations', newOrg({ name: 'Rotnyckelorganisationen' }))
    ).json();
  });

  it('registers a root key whose fingerprint is its RFC 7638 thumbprint', async () => {
    const root = await generateRootKey();
    const thumbprint = await calculateJwkThumbprint(
      { kty: 'OKP', crv: 'Ed25519', x: root.publicJwk.x! },
      'sha256',
    );
    const res = await dir.as('hub.admin').post(`/v1/organisations/${org.id}/root-keys`, {
      jwk: root.publicJwk,
      fingerprint: thumbprint,
    });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({
      kid: thumbprint,
      fingerprint: thumbprint,
      organisationId: org.id,
      status: 'active',
      registeredBy: { issuer: DEV_ISSUER, subject: 'hub.admin' },
      revokedAt: null,
      revocationReason: null,
      jwk: { kty: 'OKP', crv: 'Ed25519', x: root.publicJwk.x },
    });
    expect(res.json().jwk.d).toBeUndefined();

    const list = await dir.as('police.officer').get(`/v1/organisations/${org.id}/root-keys`);
    expect(list.statusCode).toBe(200);
    expect(list.json().items.map((k: { kid: string }) => k.kid)).toContain(thumbprint);
  });

  it('refuses a fingerprint that does not match the key', async () => {
    const root = await generateRootKey();
    const other = await generateRootKey();
    const res = await dir.as('hub.admin').post(`/v1/organisations/${org.id}/root-keys`, {
      jwk: root.publicJwk,
      fingerprint: other.kid,
    });
    expectProblem(res, 422, 'root-key-fingerprint-mismatch');
    expect(res.json().code).toBe('DIRECTORY_ROOT_KEY_FINGERPRINT_MISMATCH');
  });

  it('refuses a private JWK and stores nothing of it', async () => {
    const root = await generateRootKey();
    const before = await count('root_keys');
    const logBefore = await count('key_log');
    const res = await dir.as('hub.admin').post(`/v1/organisations/${org.id}/root-keys`, {
      jwk: root.privateJwk,
      fingerprint: root.kid,
    });
    expectProblem(res, 422, 'key-private-material');
    expect(res.json().code).toBe('DIRECTORY_KEY_PRIVATE_MATERIAL');
    expect(await count('root_keys')).toBe(before);
    expect(await count('key_log')).toBe(logBefore);
    await dir.app.directory.context.audit.chainPending();
    const leaked = await ds.query(
      `SELECT (SELECT count(*) FROM directory.root_keys WHERE jwk::text LIKE $1)
            + (SELECT count(*) FROM directory.key_log WHERE document::text LIKE $1)
            + (SELECT count(*) FROM directory.audit_log WHERE detail::text LIKE $1) AS n`,
      [`%${root.privateJwk.d}%`],
    );
    expect(Number(leaked[0].n)).toBe(0);
  });

  it('refuses an X25519 key as a root key', async () => {
    const x = await generateUnitEncryptionKey();
    const res = await dir
      .as('hub.admin')
      .post(`/v1/organisations/${org.id}/root-keys`, { jwk: x.publicJwk, fingerprint: x.kid });
    expectProblem(res, 422, 'root-key-malformed');
  });

  it('refuses a key registered twice with 409', async () => {
    const root = await generateRootKey();
    const body = { jwk: root.publicJwk, fingerprint: root.kid };
    expect(
      (await dir.as('hub.admin').post(`/v1/organisations/${org.id}/root-keys`, body)).statusCode,
    ).toBe(201);
    const again = await dir.as('hub.admin').post(`/v1/organisations/${org.id}/root-keys`, body);
    expectProblem(again, 409, 'root-key-exists');
    // Not under another organisation either.
    const elsewhere = await dir
      .as('hub.admin')
      .post(`/v1/organisations/${O.novahuset}/root-keys`, body);
    expectProblem(elsewhere, 409, 'root-key-exists');
  });

  it('lets only a hub admin register root keys', async () => {
    const root = await generateRootKey();
    const res = await dir
      .as('norrkoping.admin')
      .post(`/v1/organisations/${O.norrkoping}/root-keys`, {
        jwk: root.publicJwk,
        fingerprint: root.kid,
      });
    expectProblem(res, 403, 'forbidden');
  });

  it('answers 404 for an unknown organisation', async () => {
    const root = await generateRootKey();
    const res = await dir
      .as('hub.admin')
      .post('/v1/organisations/99999999-0000-4000-8000-000000000000/root-keys', {
        jwk: root.publicJwk,
        fingerprint: root.kid,
      });
    expectProblem(res, 404, 'organisation-not-found');
  });

  it('lists root keys newest first, with the seeded key of a demo organisation', async () => {
    const res = await dir.as('police.officer').get(`/v1/organisations/${O.norrkoping}/root-keys`);
    expect(res.statusCode).toBe(200);
    expect(res.json().items.map((k: { kid: string }) => k.kid)).toContain(
      dir.keys.roots[O.norrkoping]!.kid,
    );

    const mine = (
      await dir.as('police.officer').get(`/v1/organisations/${org.id}/root-keys`)
    ).json().items as Array<{
      registeredAt: string;
    }>;
    expect(mine.length).toBeGreaterThanOrEqual(2);
    const times = mine.map((k) => k.registeredAt);
    expect(times).toEqual([...times].sort().reverse());
  });

  it('revokes a root key, keeping its revocation, and refuses to revoke it again', async () => {
    const root = await generateRootKey();
    await dir.as('hub.admin').post(`/v1/organisations/${org.id}/root-keys`, {
      jwk: root.publicJwk,
      fingerprint: root.kid,
    });
    const res = await dir
      .as('hub.admin')
      .post(`/v1/organisations/${org.id}/root-keys/${root.kid}/revoke`, {
        reason: 'Nyckeln kan ha läckt',
      });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      kid: root.kid,
      status: 'revoked',
      revocationReason: 'Nyckeln kan ha läckt',
    });
    expect(Date.parse(res.json().revokedAt)).not.toBeNaN();

    const listed = (
      await dir.as('police.officer').get(`/v1/organisations/${org.id}/root-keys`)
    ).json().items;
    expect(listed).toEqual(
      expect.arrayContaining([expect.objectContaining({ kid: root.kid, status: 'revoked' })]),
    );

    const again = await dir
      .as('hub.admin')
      .post(`/v1/organisations/${org.id}/root-keys/${root.kid}/revoke`, { reason: 'igen' });
    expectProblem(again, 409, 'root-key-revoked');

    const log = (await dir.as('police.officer').get('/v1/key-log?limit=500')).json()
      .items as Array<{ action: string; kid: string }>;
    expect(log.filter((e) => e.kid === root.kid).map((e) => e.action)).toEqual([
      'root_key_registered',
      'root_key_revoked',
    ]);
  });

  it('answers 404 when revoking an unknown root key', async () => {
    const res = await dir
      .as('hub.admin')
      .post(`/v1/organisations/${org.id}/root-keys/nosuchkid/revoke`, { reason: 'x' });
    expectProblem(res, 404, 'root-key-not-found');
  });
});
