/**
 * The directory cannot be used to impersonate (issue 12): people tell units apart by their
 * organisation and its *verified* organisation number, and a name that reads like another
 * organisation's is flagged whenever it is shown — not only refused when it is written.
 *
 * - A hub admin records that an organisation number was checked against the official register
 *   (when, and by whom as issuer and subject); unit search shows whether the number is verified.
 *   An organisation admin cannot verify their own. (Before: no such flag existed.)
 * - A look-alike name already stored (written before a confusable rule existed or changed) is
 *   flagged in search results with the organisation it can be mistaken for. (Before: the rule
 *   ran on writes only, so such a row showed as if it were the real one.)
 */
import { randomUUID } from 'node:crypto';
import {
  DEMO_ORGANISATIONS as O,
  DEMO_UNITS as U,
  DEV_ISSUER,
  luhnCheckDigit,
} from '@samverkan/shared';
import { buildDirectory, type TestDirectory } from '@samverkan/directory/test/helpers/build';
import { expectProblem } from '@samverkan/directory/test/helpers/problems';

let dir: TestDirectory;

beforeAll(async () => {
  dir = await buildDirectory();
}, 120_000);
afterAll(async () => {
  await dir?.close();
});

interface UnitRow {
  id: string;
  name: string;
  organisation: {
    id: string;
    organisationNumber: string;
    organisationNumberVerified: boolean;
    organisationNumberVerifiedAt: string | null;
  };
  mistakableFor: Array<{ organisationId: string; name: string }>;
}

async function search(q: string): Promise<UnitRow[]> {
  const res = await dir.as('police.officer').get(`/v1/units?q=${encodeURIComponent(q)}&limit=100`);
  expect(res.statusCode).toBe(200);
  return res.json().items as UnitRow[];
}

it('shows an unverified number until a hub admin verifies it, with when and by whom', async () => {
  const created = await dir.as('hub.admin').post('/v1/organisations', {
    name: `Stödföreningen Lilja ${randomUUID().slice(0, 6)}`,
    kind: 'ngo',
    organisationNumber: `802456-123${luhnCheckDigit('802456123')}`,
    countyCode: '05',
  });
  expect(created.statusCode).toBe(201);
  const org = created.json() as { id: string; organisationNumberVerification: unknown };
  expect(org.organisationNumberVerification).toBeNull();
  const unit = await dir.as('hub.admin').post('/v1/units', {
    organisationId: org.id,
    name: `Lilja samtalsstöd ${randomUUID().slice(0, 6)}`,
    capabilities: ['support_talks'],
    coverage: ['0580'],
    ageBands: ['adult'],
    genders: ['female'],
    openingHours: { timeZone: 'Europe/Stockholm', open247: true, weekly: [] },
  });
  expect(unit.statusCode).toBe(201);
  const before = (await search('Lilja')).find((u) => u.id === unit.json().id)!;
  expect(before.organisation).toMatchObject({
    organisationNumber: `802456123${luhnCheckDigit('802456123')}`,
    organisationNumberVerified: false,
    organisationNumberVerifiedAt: null,
  });

  // Not the organisation's own admin, nor anyone else but a hub admin.
  for (const user of ['novahuset.admin', 'police.officer'] as const) {
    expectProblem(
      await dir.as(user).post(`/v1/organisations/${org.id}/verify-number`),
      403,
      'forbidden',
    );
  }
  const verified = await dir.as('hub.admin').post(`/v1/organisations/${org.id}/verify-number`);
  expect(verified.statusCode).toBe(200);
  expect(verified.json().organisationNumberVerification).toEqual({
    at: expect.any(String),
    by: { issuer: DEV_ISSUER, subject: 'hub.admin' },
  });
  const after = (await search('Lilja')).find((u) => u.id === unit.json().id)!;
  expect(after.organisation).toMatchObject({
    organisationNumberVerified: true,
    organisationNumberVerifiedAt: verified.json().organisationNumberVerification.at,
  });
  // The demo's authorities are verified by the operator's seed.
  const coordinator = (await search('Regionkoordinatorn')).find((u) => u.id === U.coordinator)!;
  expect(coordinator.organisation.organisationNumberVerified).toBe(true);
});

it('flags a stored look-alike name in search, on both rows, naming the other organisation', async () => {
  const ds = dir.app.directory.context.dataSource;
  const coordinator = (await search('Regionkoordinatorn')).find((u) => u.id === U.coordinator)!;
  expect(coordinator.mistakableFor).toEqual([]);
  // Written straight into the table: a name stored before the rule (or before a rule change)
  // never went through the check on writes. Cyrillic "о" in place of the Latin one.
  const lookAlike = coordinator.name.replace(/o/g, '\u043e');
  expect(lookAlike).not.toBe(coordinator.name);
  await ds.query(`UPDATE directory.units SET name = $1 WHERE id = $2`, [lookAlike, U.novahuset]);
  try {
    const rows = await dir.as('police.officer').get('/v1/units?limit=100');
    const items = rows.json().items as UnitRow[];
    const novahuset = items.find((u) => u.id === U.novahuset)!;
    expect(novahuset.mistakableFor).toEqual([
      { organisationId: O.coordinator, name: coordinator.name },
    ]);
    expect(items.find((u) => u.id === U.coordinator)!.mistakableFor).toEqual([
      { organisationId: O.novahuset, name: lookAlike },
    ]);
    const one = await dir.as('police.officer').get(`/v1/units/${U.novahuset}`);
    expect(one.json().mistakableFor).toHaveLength(1);
  } finally {
    await ds.query(`UPDATE directory.units SET name = $1 WHERE id = $2`, [
      'Novahuset stödsamtal',
      U.novahuset,
    ]);
  }
});
