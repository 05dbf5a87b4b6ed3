/**
 * Issue 12: an organisation admin of Novahuset renamed its organisation and unit to the regional
 * coordinator's names (one with an invisible bidi character), and unit search showed two
 * identical "Regionkoordinatorn" rows. Names are now cleaned (NFKC, no invisible or bidi
 * characters), refused when they can be mistaken for another organisation's (Unicode confusables
 * skeleton), and an organisation is renamed by a hub admin only.
 */
import { DEMO_ORGANISATIONS as O, DEMO_UNITS as U } from '@samverkan/shared';
import { buildDirectory, type TestDirectory } from './helpers/build';
import { expectProblem } from './helpers/problems';

let dir: TestDirectory;

beforeAll(async () => {
  dir = await buildDirectory();
}, 120_000);
afterAll(async () => {
  await dir?.close();
});

const COORDINATOR_UNIT = 'Regionkoordinatorn Östergötland';

it('refuses an organisation admin renaming their organisation (hub admins only)', async () => {
  const res = await dir
    .as('novahuset.admin')
    .patch(`/v1/organisations/${O.novahuset}`, { name: 'Novahuset Östergötland' });
  expectProblem(res, 403, 'forbidden');
  const org = await dir.as('novahuset.admin').get(`/v1/organisations/${O.novahuset}`);
  expect(org.json().name).toBe('Novahuset');
});

it.each([
  ['the exact name', COORDINATOR_UNIT],
  ['the name with an invisible bidi character', `Region\u2067koordinatorn Östergötland`],
  ['the name with Cyrillic letters', 'Regionkооrdinatоrn Östergötlаnd'],
  ['the name in other case, spacing and punctuation', 'REGION-koordinatorn  ostergotland'],
])("refuses a unit named like another organisation's unit: %s", async (_label, name) => {
  const res = await dir.as('novahuset.admin').patch(`/v1/units/${U.novahuset}`, { name });
  expectProblem(res, 422, 'name-confusable');
  const unit = await dir.as('novahuset.admin').get(`/v1/units/${U.novahuset}`);
  expect(unit.json().name).toBe('Novahuset stödsamtal');
});

it("refuses even a hub admin renaming an organisation to another's name", async () => {
  const res = await dir.as('hub.admin').patch(`/v1/organisations/${O.novahuset}`, {
    name: 'Regionkoordinator mot prostitution och människohandel,\u200b Östergötland',
  });
  expectProblem(res, 422, 'name-confusable');
});

it('stores a distinct name without its invisible characters', async () => {
  const res = await dir
    .as('novahuset.admin')
    .patch(`/v1/units/${U.novahuset}`, { name: '\u202eNovahuset  samtal\u200d' });
  expect(res.statusCode).toBe(200);
  expect(res.json().name).toBe('Novahuset samtal');
  const search = await dir.as('police.officer').get('/v1/units?q=Novahuset');
  expect(search.json().items.map((u: { name: string }) => u.name)).toContain('Novahuset samtal');
});

it('shows each unit with its organisation name and organisation number in search', async () => {
  const search = await dir.as('police.officer').get('/v1/units?q=Regionkoordinatorn');
  const unit = search.json().items.find((u: { id: string }) => u.id === U.coordinator) as {
    organisation: { name: string; organisationNumber: string };
  };
  expect(unit.organisation.name).toBe(
    'Regionkoordinator mot prostitution och människohandel, Östergötland',
  );
  expect(unit.organisation.organisationNumber).toMatch(/^\d{10}$/);
});
