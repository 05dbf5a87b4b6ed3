import { buildDirectory, type TestDirectory } from './helpers/build';

let dir: TestDirectory;
beforeAll(async () => {
  dir = await buildDirectory();
});
afterAll(async () => {
  await dir?.close();
});

it('answers who can take an acute case for an adult woman in Norrköping now', async () => {
  const res = await dir
    .as('police.officer')
    .get('/v1/units?municipality=0581&ageBand=adult&gender=female&openNow=true');
  expect(res.statusCode).toBe(200);
  expect(res.json().items.map((u: { name: string }) => u.name)).toContain(
    'Socialjouren Norrköping',
  );
});
