/**
 * The outbox relay's claim (issue 15, a send's Postgres work): a relay holds the rows it claimed
 * with advisory locks on its own connection, not with a lease written into each row, so a
 * published event costs one UPDATE after its insert (the mark), and the rows of a relay whose
 * connection dies go to the next relay at once instead of after a lease.
 */
import { randomUUID } from 'node:crypto';
import {
  OutboxRelay,
  type EventEnvelope,
  type EventPublisher,
  type OutgoingEvent,
} from '@samverkan/shared';
import { eventually } from '@samverkan/shared/src/testing';
import type { DataSource } from 'typeorm';
import { DirectoryEvents } from '../src/events/directory-events';
import { buildDirectory, type TestDirectory } from './helpers/build';

let dir: TestDirectory;
let db: DataSource;

/** A publisher that records what it was given, and holds each batch until `open()` (if gated). */
class RecordingPublisher implements EventPublisher {
  readonly kind = 'in-process' as const;
  readonly published: OutgoingEvent[] = [];
  readonly offered: OutgoingEvent[] = [];
  private gate: Promise<void> | undefined;
  open: () => void = () => undefined;

  constructor(gated = false) {
    if (gated) {
      this.gate = new Promise((resolve) => {
        this.open = resolve;
      });
    }
  }

  async publish(envelope: EventEnvelope, headers: Record<string, string>, attempt: number) {
    await this.publishMany([{ envelope, headers, attempt }]);
  }

  async publishMany(events: OutgoingEvent[]): Promise<{ published: number }> {
    this.offered.push(...events);
    await this.gate;
    this.published.push(...events);
    return { published: events.length };
  }
}

const unitCreated = () => ({
  type: DirectoryEvents.unitCreated,
  data: {
    unitId: randomUUID(),
    organisationId: randomUUID(),
    organisationKind: 'police',
    status: 'active',
    onCallUnitId: null,
    coverage: ['0581'],
    purpose: 'service',
  },
});

async function append(n: number): Promise<string[]> {
  const events = dir.app.directory.context.events;
  const written = await events.transaction((tx) =>
    events.outbox.appendMany(
      tx,
      Array.from({ length: n }, () => unitCreated()),
    ),
  );
  return written.map((e) => e.id);
}

/** advisory locks held in this test's database, by any session */
async function advisoryLocks(): Promise<number> {
  const [row] = (await db.query(
    `SELECT count(*)::int AS n FROM pg_locks l JOIN pg_database d ON d.oid = l.database
      WHERE l.locktype = 'advisory' AND d.datname = current_database()`,
  )) as Array<{ n: number }>;
  return row!.n;
}

beforeAll(async () => {
  dir = await buildDirectory({ seed: false });
  db = dir.app.directory.context.dataSource;
  // Only this file's relays publish.
  await dir.app.directory.context.events.relay.drain();
  await dir.app.directory.context.events.relay.stop();
  // Every UPDATE of an outbox row, logged by a trigger (what the relay writes per event).
  await db.query(`CREATE TABLE directory.test_outbox_updates (
      position bigint NOT NULL, published boolean NOT NULL, attempts int NOT NULL)`);
  await db.query(`CREATE FUNCTION directory.test_log_outbox_update() RETURNS trigger
      LANGUAGE plpgsql AS $$ BEGIN
        INSERT INTO directory.test_outbox_updates
        VALUES (NEW.position, NEW.published_at IS NOT NULL, NEW.attempts);
        RETURN NULL;
      END $$`);
  await db.query(`CREATE TRIGGER test_log_outbox_update AFTER UPDATE ON directory.outbox
      FOR EACH ROW EXECUTE FUNCTION directory.test_log_outbox_update()`);
});

afterAll(async () => {
  await dir?.close();
});

it('publishes each event once, in order, with one UPDATE of its row (the mark) and no lock left behind', async () => {
  const ids = await append(5);
  const publisher = new RecordingPublisher();
  const relay = new OutboxRelay(db, publisher, {
    pollIntervalMs: 50,
    batchSize: 2,
    log: dir.app.log,
  });
  try {
    expect(await relay.drain()).toBe(5);
  } finally {
    await relay.stop();
  }
  expect(publisher.published.map((e) => e.envelope.id)).toEqual(ids);
  expect(publisher.published.every((e) => e.attempt === 1)).toBe(true);

  const rows = (await db.query(
    `SELECT o.position, o.published_at IS NOT NULL AS published, o.attempts,
            (SELECT count(*)::int FROM directory.test_outbox_updates u WHERE u.position = o.position) AS updates
       FROM directory.outbox o WHERE o.id = ANY($1::uuid[])`,
    [ids],
  )) as Array<{ published: boolean; attempts: number; updates: number }>;
  expect(rows).toHaveLength(5);
  // A lease written at the claim would be a second UPDATE of each row.
  expect(
    rows.map(({ published, attempts, updates }) => ({ published, attempts, updates })),
  ).toEqual(Array.from({ length: 5 }, () => ({ published: true, attempts: 1, updates: 1 })));
  expect(await relay.stats()).toEqual({ pending: 0, oldestPendingAgeMs: null });
  expect(await advisoryLocks()).toBe(0);
});

it('skips the rows another relay holds, and takes them at once when that relay’s connection dies', async () => {
  const ids = await append(3);
  const first = new RecordingPublisher(true);
  const holder = new OutboxRelay(db, first, { pollIntervalMs: 50, log: dir.app.log });
  const held = holder.drain();
  held.catch(() => undefined);
  // The first relay has claimed the three rows and is publishing them (its publisher waits).
  await eventually(async () => (first.offered.length === 3 ? true : undefined));
  expect(await advisoryLocks()).toBe(3);

  const second = new RecordingPublisher();
  const next = new OutboxRelay(db, second, { pollIntervalMs: 50, log: dir.app.log });
  try {
    expect(await next.drain()).toBe(0);
    expect(second.offered).toEqual([]);

    // The first relay's connection dies: its locks go with it, and the next pass takes the rows.
    await db.query(
      `SELECT pg_terminate_backend(l.pid) FROM pg_locks l JOIN pg_database d ON d.oid = l.database
        WHERE l.locktype = 'advisory' AND d.datname = current_database()`,
    );
    expect(await eventually(async () => ((await next.drain()) === 3 ? 3 : undefined))).toBe(3);
    expect(second.published.map((e) => e.envelope.id)).toEqual(ids);
  } finally {
    first.open();
    await held.catch(() => undefined);
    await holder.stop();
    await next.stop();
  }
  const [row] = (await db.query(
    `SELECT count(*)::int AS n FROM directory.outbox WHERE id = ANY($1::uuid[]) AND published_at IS NOT NULL`,
    [ids],
  )) as Array<{ n: number }>;
  expect(row!.n).toBe(3);
  expect(await advisoryLocks()).toBe(0);
});

it('keeps a marked row on its page (the outbox leaves room for the marks), so its WAL holds only what changed', async () => {
  const ids = await append(80);
  const pageOf = async () =>
    new Map(
      (
        (await db.query(
          `SELECT id, (ctid::text::point)[0]::int AS page FROM directory.outbox WHERE id = ANY($1::uuid[])`,
          [ids],
        )) as Array<{ id: string; page: number }>
      ).map((r) => [r.id, r.page]),
    );
  const before = await pageOf();
  const relay = new OutboxRelay(db, new RecordingPublisher(), {
    pollIntervalMs: 50,
    batchSize: 5,
    log: dir.app.log,
  });
  try {
    expect(await relay.drain()).toBe(80);
  } finally {
    await relay.stop();
  }
  const after = await pageOf();
  const stayed = ids.filter((id) => before.get(id) === after.get(id)).length;
  // On full pages (fillfactor 100) every mark but those of the last page moves its row.
  expect(stayed).toBeGreaterThanOrEqual(72);
});
