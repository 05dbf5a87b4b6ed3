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
/** the batching consumer: what it committed, in order, and the transaction each was handled in */
const committed: string[] = [];
const handledIn = new Map<string, string>();
/** event id → how many more times the handler fails on it */
const failing = new Map<string, number>();
let failures = 0;

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
  await dir.app.directory.context.events.consume(
    {
      name: 'test-unit-batcher',
      filter: 'samverkan.directory.unit.>',
      maxBatch: 50,
      async handle(event, tx) {
        const left = failing.get(event.id) ?? 0;
        if (left > 0) {
          failing.set(event.id, left - 1);
          failures += 1;
          throw new Error('transient failure in the middle of a batch');
        }
        const [row] = (await tx.query(`SELECT txid_current()::text AS id`)) as Array<{
          id: string;
        }>;
        handledIn.set(event.id, row!.id);
      },
      onCommitted(event) {
        committed.push(event.id);
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
  // The outbox row is done: dead-lettered, not retried for ever (marked once every consumer,
  // the batching one too, is done with it).
  await eventually(async () => {
    const pending = (await dir.app.directory.context.dataSource.query(
      `SELECT count(*)::int AS n FROM directory.outbox WHERE published_at IS NULL`,
    )) as Array<{ n: number }>;
    return pending[0]!.n === 0 ? true : undefined;
  });
});

describe('a burst of events', () => {
  /**
   * Appends `n` copies of a unit's `created` event in one transaction: one burst for the relay;
   * the handler fails twice on the one at `failAt` (in the batch, then on its own: it is to be
   * delivered again).
   */
  async function burst(n: number, failAt?: number): Promise<string[]> {
    const { events, dataSource } = dir.app.directory.context;
    const [row] = (await dataSource.query(
      `SELECT payload FROM directory.outbox WHERE type = 'samverkan.directory.unit.created' LIMIT 1`,
    )) as Array<{ payload: EventEnvelope<Record<string, unknown>> }>;
    const appended = await events.transaction(async (tx) => {
      const envelopes = await events.outbox.appendMany(
        tx,
        Array.from({ length: n }, () => ({ type: row!.payload.type, data: row!.payload.data })),
      );
      if (failAt !== undefined) {
        failing.set(envelopes[failAt]!.id, 2);
      }
      return envelopes;
    });
    return appended.map((e) => e.id);
  }

  const processedCount = async (ids: string[]) => {
    const [row] = (await dir.app.directory.context.dataSource.query(
      `SELECT count(*)::int AS n FROM directory.processed_events
        WHERE consumer = 'test-unit-batcher' AND event_id = ANY($1::uuid[])`,
      [ids],
    )) as Array<{ n: number }>;
    return row!.n;
  };

  it('is handled by a batching consumer in fewer transactions than events', async () => {
    const ids = await burst(20);
    await eventually(async () => (ids.every((id) => committed.includes(id)) ? true : undefined));
    const transactions = new Set(ids.map((id) => handledIn.get(id)));
    expect(transactions.size).toBeLessThan(5);
    expect(committed.filter((id) => ids.includes(id))).toEqual(ids);
    expect(await processedCount(ids)).toBe(20);
  });

  it('loses and doubles nothing when a handler fails in the middle of a batch, and keeps the order', async () => {
    const ids = await burst(20, 7);
    await eventually(async () => (ids.every((id) => committed.includes(id)) ? true : undefined));
    // each handled and committed exactly once, in the order appended, after the one failure
    expect(failures).toBe(2);
    expect(committed.filter((id) => ids.includes(id))).toEqual(ids);
    expect(await processedCount(ids)).toBe(20);
    // the events before the failing one in one transaction, those from it on in another
    expect(new Set(ids.slice(0, 7).map((id) => handledIn.get(id))).size).toBe(1);
    expect(new Set(ids.map((id) => handledIn.get(id))).size).toBeLessThan(20);
    const { dataSource, events } = dir.app.directory.context;
    await events.relay.drain();
    const [pending] = (await dataSource.query(
      `SELECT count(*)::int AS n FROM directory.outbox WHERE published_at IS NULL`,
    )) as Array<{ n: number }>;
    expect(pending!.n).toBe(0);
    const [letters] = (await dataSource.query(
      `SELECT count(*)::int AS n FROM directory.dead_letters WHERE event_id = ANY($1::text[])`,
      [ids],
    )) as Array<{ n: number }>;
    expect(letters!.n).toBe(0);
  });
});
