/**
 * The embedded mode's event path (no NATS_URL): the same outbox feeds in-process consumers, with
 * the same guarantees — validated on consume, one effect per event id, retries, dead letters.
 */
import type { EventEnvelope } from '@samverkan/shared';
import { eventually } from '@samverkan/shared/src/testing';
import { DEMO_ORGANISATIONS as O } from '@samverkan/shared';
import { buildDirectory, type TestDirectory } from './helpers/build';

let dir: TestDirectory;
const seen: EventEnvelope[] = [];
let failuresLeft = 0;

const unit = (name: string) => ({
  organisationId: O.norrkoping,
  name,
  capabilities: ['support_talks'],
  coverage: ['0581'],
  ageBands: ['adult'],
  genders: ['female'],
  openingHours: { timeZone: 'Europe/Stockholm', open247: true, weekly: [] },
});

beforeAll(async () => {
  dir = await buildDirectory({ seed: false });
  expect(dir.app.platform.events.kind).toBe('in-process');
  await dir.app.directory.context.events.consume(
    {
      name: 'test-unit-watcher',
      filter: 'samverkan.directory.unit.>',
      maxDeliver: 3,
      retryDelayMs: () => 10,
      async handle(event) {
        if (failuresLeft > 0) {
          failuresLeft -= 1;
          throw new Error('transient failure');
        }
        seen.push(event);
      },
    },
    'directory',
  );
});

afterAll(async () => {
  await dir?.close();
});

const eventsFor = (unitId: string) =>
  seen.filter((e) => (e.data as { unitId?: string }).unitId === unitId);

it('delivers each event to in-process consumers once, even when the relay publishes it again', async () => {
  // Organisation rows exist only after the seed; this directory is empty, so make one.
  const org = await dir.as('hub.admin').post('/v1/organisations', {
    name: 'Norrköpings kommun',
    kind: 'social_services',
    organisationNumber: '212000-0456',
    countyCode: '05',
  });
  expect(org.statusCode).toBe(201);
  const res = await dir
    .as('hub.admin')
    .post('/v1/units', { ...unit('Enhet A'), organisationId: org.json().id });
  expect(res.statusCode).toBe(201);
  const id = res.json().id as string;
  await eventually(async () => (eventsFor(id).length === 1 ? true : undefined));
  expect(eventsFor(id)[0]).toMatchObject({
    type: 'samverkan.directory.unit.created',
    source: 'directory',
  });

  const ds = dir.app.directory.context.dataSource;
  await ds.query(
    `UPDATE directory.outbox SET published_at = NULL WHERE payload->'data'->>'unitId' = $1`,
    [id],
  );
  await dir.app.directory.context.events.relay.drain();
  expect(eventsFor(id)).toHaveLength(1);
});

it('retries a failing consumer and dead-letters what keeps failing', async () => {
  const [org] = (await dir.app.directory.context.dataSource.query(
    `SELECT id FROM directory.organisations LIMIT 1`,
  )) as Array<{ id: string }>;
  failuresLeft = 1;
  const retried = await dir
    .as('hub.admin')
    .post('/v1/units', { ...unit('Enhet B'), organisationId: org!.id });
  const retriedId = retried.json().id as string;
  await eventually(async () => (eventsFor(retriedId).length === 1 ? true : undefined));

  failuresLeft = 100;
  const doomed = await dir
    .as('hub.admin')
    .post('/v1/units', { ...unit('Enhet C'), organisationId: org!.id });
  const doomedId = doomed.json().id as string;
  const letters = await eventually(async () => {
    const rows = (await dir.app.directory.context.dataSource.query(
      `SELECT consumer, reason, deliveries FROM directory.dead_letters WHERE payload::jsonb->'data'->>'unitId' = $1`,
      [doomedId],
    )) as Array<{ consumer: string; reason: string; deliveries: number }>;
    return rows.length > 0 ? rows : undefined;
  });
  failuresLeft = 0;
  expect(letters[0]).toMatchObject({ consumer: 'test-unit-watcher', deliveries: 3 });
  expect(letters[0]!.reason).toContain('transient failure');
  expect(eventsFor(doomedId)).toHaveLength(0);
  // The outbox row is done: dead-lettered, not retried for ever.
  const pending = (await dir.app.directory.context.dataSource.query(
    `SELECT count(*)::int AS n FROM directory.outbox WHERE published_at IS NULL`,
  )) as Array<{ n: number }>;
  expect(pending[0]!.n).toBe(0);
});
