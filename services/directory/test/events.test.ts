import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import {
  createEventProcessor,
  DEMO_ORGANISATIONS,
  EventCatalog,
  EventValidationError,
  NatsPublisher,
  OutboxRelay,
  runJetStreamConsumer,
  type EventConsumerDefinition,
  type EventEnvelope,
  type RunningConsumer,
} from '@samverkan/shared';
import { eventually, startNatsServer, type NatsServerProcess } from '@samverkan/shared/src/testing';
import type { DataSource } from 'typeorm';
import { OPENAPI_DIR } from '../src/app';
import { DirectoryEvents } from '../src/events/directory-events';
import { buildDirectory, type TestDirectory } from './helpers/build';

/**
 * Events as a consumer sees them (docs/architecture.md#events): on JetStream, once per event id, in the schema of
 * their type, and not lost while NATS is away (the outbox holds them).
 */

interface StreamEntry {
  seq: number;
  subject: string;
  msgId: string | undefined;
  payload: EventEnvelope;
}

interface OutboxRow {
  id: string;
  type: string;
  published_at: Date | null;
  attempts: number;
}

function unitBody(name: string) {
  return {
    organisationId: DEMO_ORGANISATIONS.policeOst,
    name,
    capabilities: ['trafficking_expertise'],
    coverage: ['0581'],
    ageBands: ['adult'],
    genders: ['female'],
    openingHours: { timeZone: 'Europe/Stockholm', open247: true, weekly: [] },
  };
}

function natsConnection(dir: TestDirectory): NatsConnection {
  const transport = dir.app.platform.events;
  if (transport.kind !== 'nats') {
    throw new Error('this directory does not run on NATS');
  }
  return transport.nc;
}

function dataSourceOf(dir: TestDirectory): DataSource {
  return dir.app.directory.context.dataSource;
}

function directoryStream(dir: TestDirectory): string {
  return `${dir.naming.streamPrefix}_DIRECTORY`;
}

function wire(dir: TestDirectory, type: string): string {
  return type.replace(/^samverkan\./, `${dir.naming.subjectPrefix}.`);
}

/** Every message in the stream (optionally on one subject), read one by one by sequence. */
async function streamEntries(
  jsm: JetStreamManager,
  stream: string,
  subject?: string,
): Promise<StreamEntry[]> {
  const { state } = await jsm.streams.info(stream);
  const entries: StreamEntry[] = [];
  for (let seq = state.first_seq; state.messages > 0 && seq <= state.last_seq; seq += 1) {
    const m = await jsm.streams.getMessage(stream, { seq });
    if (!m || (subject && m.subject !== subject)) {
      continue;
    }
    let payload: EventEnvelope;
    try {
      payload = m.json<EventEnvelope>();
    } catch {
      payload = { id: '', type: '', source: '', time: '', data: { raw: m.string() } };
    }
    entries.push({
      seq: m.seq,
      subject: m.subject,
      msgId: m.header?.get('Nats-Msg-Id') || undefined,
      payload,
    });
  }
  return entries;
}

async function outbox(dir: TestDirectory): Promise<OutboxRow[]> {
  return (await dataSourceOf(dir).query(
    'SELECT id, type, published_at, attempts FROM directory.outbox ORDER BY position',
  )) as OutboxRow[];
}

async function outboxDrained(dir: TestDirectory): Promise<OutboxRow[] | undefined> {
  const rows = await outbox(dir);
  return rows.every((r) => r.published_at !== null) ? rows : undefined;
}

/** Resolves once the durable consumer has been handed, and has acknowledged, everything in its filter. */
async function consumerCaughtUp(jsm: JetStreamManager, stream: string, durable: string) {
  return eventually(async () => {
    const info = await jsm.consumers.info(stream, durable);
    return info.num_pending === 0 && info.num_ack_pending === 0 ? info : undefined;
  });
}

function count<T>(items: T[], key: (item: T) => string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const item of items) {
    counts.set(key(item), (counts.get(key(item)) ?? 0) + 1);
  }
  return counts;
}

describe('directory events on JetStream', () => {
  let dir: TestDirectory;
  let jsm: JetStreamManager;
  let stream: string;
  let catalog: EventCatalog;
  const consumers: RunningConsumer[] = [];

  async function startConsumer(definition: EventConsumerDefinition): Promise<string> {
    const processor = createEventProcessor(definition, {
      dataSource: dataSourceOf(dir),
      catalog,
      log: dir.app.log,
    });
    consumers.push(
      await runJetStreamConsumer(natsConnection(dir), dir.naming, stream, processor, dir.app.log),
    );
    return definition.name;
  }

  beforeAll(async () => {
    dir = await buildDirectory({ nats: true });
    jsm = await jetstreamManager(natsConnection(dir));
    stream = directoryStream(dir);
    catalog = EventCatalog.fromFiles(path.join(OPENAPI_DIR, 'directory.events.yaml'));
    // the demo seed's events are out before the tests look at the stream
    await eventually(() => outboxDrained(dir));
  });

  afterAll(async () => {
    await Promise.all(consumers.map((c) => c.stop()));
    await dir?.close();
  });

  describe('publishing', () => {
    let event: EventEnvelope;

    it('creating a unit publishes samverkan.directory.unit.created, its id as Nats-Msg-Id', async () => {
      const res = await dir.as('police.admin').post('/v1/units', unitBody('Testenhet händelser'));
      expect(res.statusCode).toBe(201);
      const unitId = res.json().id as string;
      const subject = `${dir.naming.subjectPrefix}.directory.unit.created`;

      const entry = await eventually(async () =>
        (await streamEntries(jsm, stream, subject)).find((e) => e.payload.data?.unitId === unitId),
      );
      event = entry.payload;
      expect(event).toEqual({
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        type: DirectoryEvents.unitCreated,
        source: 'directory',
        time: expect.any(String),
        data: {
          unitId,
          organisationId: DEMO_ORGANISATIONS.policeOst,
          organisationKind: 'police',
          status: 'active',
          onCallUnitId: null,
          coverage: expect.any(Array),
          purpose: 'service',
        },
      });
      expect(new Date(event.time).toISOString()).toBe(event.time);
      expect(entry.msgId).toBe(event.id);
      expect(() => catalog.validate(event)).not.toThrow();

      const rows = await eventually(async () => {
        const r = (await outbox(dir)).filter((o) => o.id === event.id);
        return r.length === 1 && r[0]!.published_at !== null ? r : undefined;
      });
      expect(rows[0]!.type).toBe(DirectoryEvents.unitCreated);
    });

    it('publishing the same outbox row again adds no second message (duplicate window)', async () => {
      await eventually(() => outboxDrained(dir));
      const before = (await jsm.streams.info(stream)).state.messages;

      await dataSourceOf(dir).query(
        'UPDATE directory.outbox SET published_at = NULL WHERE id = $1',
        [event.id],
      );
      await dir.app.directory.context.events.relay.drain();
      const [row] = await eventually(async () => {
        const r = (await outbox(dir)).filter((o) => o.id === event.id);
        return r[0]?.published_at !== null && r[0]!.attempts >= 2 ? r : undefined;
      });
      expect(row!.attempts).toBeGreaterThanOrEqual(2);

      expect((await jsm.streams.info(stream)).state.messages).toBe(before);
      const copies = (await streamEntries(jsm, stream)).filter((e) => e.payload.id === event.id);
      expect(copies).toHaveLength(1);
    });

    it('a relay that needs several passes marks every row it published (with its next claim, or when it goes idle), each published once, in order', async () => {
      await eventually(() => outboxDrained(dir));
      const events = dir.app.directory.context.events;
      // Only this test's relay runs meanwhile, two rows a pass.
      await events.relay.stop();
      try {
        const written = await events.transaction((tx) =>
          events.outbox.appendMany(
            tx,
            Array.from({ length: 5 }, () => ({
              type: DirectoryEvents.unitCreated,
              data: { ...event.data, unitId: randomUUID() },
            })),
          ),
        );
        const ids = new Set(written.map((e) => e.id));
        const relay = new OutboxRelay(
          dataSourceOf(dir),
          new NatsPublisher(natsConnection(dir), dir.naming),
          { pollIntervalMs: 50, batchSize: 2, log: dir.app.log },
        );
        expect(await relay.drain()).toBe(5);

        const rows = (await outbox(dir)).filter((r) => ids.has(r.id));
        expect(rows).toHaveLength(5);
        expect(rows.every((r) => r.published_at !== null && r.attempts === 1)).toBe(true);
        expect(await relay.stats()).toEqual({ pending: 0, oldestPendingAgeMs: null });
        const copies = (await streamEntries(jsm, stream)).filter((e) => ids.has(e.payload.id));
        expect(copies.map((c) => c.payload.id)).toEqual(written.map((e) => e.id));
      } finally {
        events.relay.start();
      }
    });

    it('a durable consumer has the effect of each event id once, even when it is delivered twice more', async () => {
      const subject = wire(dir, DirectoryEvents.unitCreated);
      await dataSourceOf(dir).query(
        'CREATE TABLE directory.test_unit_projection (event_id uuid NOT NULL, unit_id uuid NOT NULL)',
      );
      const handled: string[] = [];
      const durable = await startConsumer({
        name: 'test-unit-projection',
        filter: DirectoryEvents.unitCreated,
        async handle(e, tx) {
          handled.push(e.id);
          await tx.query(
            'INSERT INTO directory.test_unit_projection (event_id, unit_id) VALUES ($1, $2)',
            [e.id, e.data.unitId],
          );
        },
      });
      // The same event again, twice: once without a Nats-Msg-Id and once under another one, so
      // that JetStream stores both copies and the consumer receives them.
      const js = jetstream(natsConnection(dir));
      await js.publish(subject, JSON.stringify(event));
      await js.publish(subject, JSON.stringify(event), { msgID: randomUUID() });

      const onSubject = await streamEntries(jsm, stream, subject);
      expect(onSubject.filter((e) => e.payload.id === event.id)).toHaveLength(3);
      const info = await consumerCaughtUp(jsm, stream, durable);
      expect(info.delivered.stream_seq).toBe(Math.max(...onSubject.map((e) => e.seq)));

      const ids = new Set(onSubject.map((e) => e.payload.id));
      const effects = (await dataSourceOf(dir).query(
        'SELECT event_id FROM directory.test_unit_projection',
      )) as Array<{ event_id: string }>;
      expect(effects.filter((r) => r.event_id === event.id)).toHaveLength(1);
      expect([...count(effects, (r) => r.event_id).values()].every((n) => n === 1)).toBe(true);
      expect(new Set(effects.map((r) => r.event_id))).toEqual(ids);
      expect(handled.filter((id) => id === event.id)).toHaveLength(1);

      const processed = (await dataSourceOf(dir).query(
        'SELECT event_id FROM directory.processed_events WHERE consumer = $1',
        [durable],
      )) as Array<{ event_id: string }>;
      expect(processed.map((r) => r.event_id).sort()).toEqual([...ids].sort());
    });
  });

  describe('schemas', () => {
    it('the outbox refuses an event that does not match the schema of its type', async () => {
      const { dataSource, events } = dir.app.directory.context;
      const before = (await outbox(dir)).length;
      await expect(
        events.outbox.append(dataSource.manager, DirectoryEvents.unitCreated, { bogus: 1 }),
      ).rejects.toBeInstanceOf(EventValidationError);
      await expect(
        events.outbox.append(dataSource.manager, DirectoryEvents.unitCreated, {
          unitId: 'not-a-uuid',
          organisationId: DEMO_ORGANISATIONS.policeOst,
          status: 'active',
        }),
      ).rejects.toBeInstanceOf(EventValidationError);
      await expect(
        events.outbox.append(dataSource.manager, 'samverkan.directory.unit.exploded', {}),
      ).rejects.toBeInstanceOf(EventValidationError);
      expect((await outbox(dir)).length).toBe(before);
    });

    it('a received event that does not match its schema is dead-lettered at once, not retried', async () => {
      const handled: string[] = [];
      const durable = await startConsumer({
        name: 'test-unit-updates',
        filter: DirectoryEvents.unitUpdated,
        async handle(e) {
          handled.push(e.id);
        },
      });
      const js = jetstream(natsConnection(dir));
      const subject = wire(dir, DirectoryEvents.unitUpdated);
      const bogusId = randomUUID();
      await js.publish(
        subject,
        JSON.stringify({
          id: bogusId,
          type: DirectoryEvents.unitUpdated,
          source: 'directory',
          time: new Date().toISOString(),
          data: { bogus: 1 },
        }),
      );
      await js.publish(subject, 'this is not json');

      const rows = await eventually(async () => {
        const r = (await dataSourceOf(dir).query(
          'SELECT event_id, subject, payload, reason, deliveries FROM directory.dead_letters WHERE consumer = $1',
          [durable],
        )) as Array<{
          event_id: string | null;
          subject: string;
          payload: string;
          reason: string;
          deliveries: number;
        }>;
        return r.length >= 2 ? r : undefined;
      });
      const info = await consumerCaughtUp(jsm, stream, durable);
      expect(info.num_redelivered).toBe(0);
      expect(rows).toHaveLength(2);
      const schemaless = rows.find((r) => r.event_id === bogusId)!;
      expect(schemaless).toMatchObject({ subject: DirectoryEvents.unitUpdated, deliveries: 1 });
      expect(schemaless.reason).toMatch(/does not match its schema/);
      const notJson = rows.find((r) => r.event_id === null)!;
      expect(notJson).toMatchObject({
        subject: DirectoryEvents.unitUpdated,
        payload: 'this is not json',
        deliveries: 1,
      });
      expect(handled).not.toContain(bogusId);
    });

    it('a handler that keeps failing is retried, then dead-lettered after maxDeliver', async () => {
      const failingId = randomUUID();
      let attempts = 0;
      const durable = await startConsumer({
        name: 'test-failing-handler',
        filter: DirectoryEvents.unitCreated,
        maxDeliver: 3,
        retryDelayMs: () => 20,
        async handle(e) {
          if (e.id === failingId) {
            attempts += 1;
            throw new Error('the downstream system is broken');
          }
        },
      });
      const envelope: EventEnvelope = {
        id: failingId,
        type: DirectoryEvents.unitCreated,
        source: 'directory',
        time: new Date().toISOString(),
        data: {
          unitId: randomUUID(),
          organisationId: DEMO_ORGANISATIONS.policeOst,
          organisationKind: 'police',
          status: 'active',
          onCallUnitId: null,
          coverage: ['0581'],
        },
      };
      expect(() => catalog.validate(envelope)).not.toThrow();
      await jetstream(natsConnection(dir)).publish(
        wire(dir, DirectoryEvents.unitCreated),
        JSON.stringify(envelope),
        { msgID: failingId },
      );

      const row = await eventually(async () => {
        const r = (await dataSourceOf(dir).query(
          'SELECT event_id, reason, deliveries FROM directory.dead_letters WHERE consumer = $1',
          [durable],
        )) as Array<{ event_id: string; reason: string; deliveries: number }>;
        return r[0];
      });
      await consumerCaughtUp(jsm, stream, durable);
      expect(row).toMatchObject({ event_id: failingId, deliveries: 3 });
      expect(row.reason).toMatch(/failed 3 times: the downstream system is broken/);
      expect(attempts).toBe(3);
      const processed = (await dataSourceOf(dir).query(
        'SELECT 1 FROM directory.processed_events WHERE consumer = $1 AND event_id = $2',
        [durable, failingId],
      )) as unknown[];
      expect(processed).toHaveLength(0);
    });
  });
});

describe('the outbox while NATS is down', () => {
  let nats: NatsServerProcess;
  let dir: TestDirectory;
  let natsStopped = false;

  beforeAll(async () => {
    nats = await startNatsServer();
    dir = await buildDirectory({ nats: nats.url });
    await eventually(() => outboxDrained(dir));
  });

  afterAll(async () => {
    try {
      if (natsStopped) {
        await nats.start();
      }
      await dir?.close();
    } finally {
      await nats?.destroy();
    }
  });

  it('keeps writes working, holds the events, and publishes each exactly once when NATS is back', async () => {
    const stream = directoryStream(dir);
    const before = await outbox(dir);

    await nats.stop();
    natsStopped = true;

    const ids: string[] = [];
    for (let i = 1; i <= 5; i += 1) {
      const res = await dir
        .as('police.admin')
        .post('/v1/units', unitBody(`Enhet under avbrott ${i}`));
      expect(res.statusCode).toBe(201);
      ids.push(res.json().id);
    }
    const rename = await dir
      .as('police.admin')
      .patch(`/v1/units/${ids[0]}`, { name: 'Omdöpt under avbrott' });
    expect(rename.statusCode).toBe(200);

    const pending = (await outbox(dir)).filter((r) => r.published_at === null);
    expect(pending.length).toBeGreaterThanOrEqual(6);
    expect(pending.filter((r) => r.type === DirectoryEvents.unitCreated)).toHaveLength(5);

    // Readiness: still 200 (writes work), reported as degraded because NATS is away; the outbox
    // check stays ok until its backlog is a minute old.
    const ready = await eventually(async () => {
      const res = await dir.app.inject({ method: 'GET', url: '/readyz' });
      return res.json().status === 'degraded' ? res : undefined;
    });
    expect(ready.statusCode).toBe(200);
    expect(ready.json().checks).toMatchObject({
      nats: expect.stringMatching(/^down: /),
      'directory.outbox': 'ok',
      'directory.postgres': 'ok',
    });

    await nats.start();
    natsStopped = false;

    const rows = await eventually(() => outboxDrained(dir), 60_000);
    expect(rows.length).toBe(before.length + pending.length);

    const jsm = await jetstreamManager(natsConnection(dir));
    const entries = await streamEntries(jsm, stream);
    const perId = count(entries, (e) => e.payload.id);
    for (const row of rows) {
      expect({ id: row.id, copies: perId.get(row.id) ?? 0 }).toEqual({ id: row.id, copies: 1 });
    }
    expect(entries).toHaveLength(rows.length);
    for (const e of entries) {
      expect(e.msgId).toBe(e.payload.id);
    }
    const created = entries
      .filter((e) => e.payload.type === DirectoryEvents.unitCreated)
      .map((e) => e.payload.data.unitId);
    expect(created).toEqual(expect.arrayContaining(ids));

    const ready2 = await eventually(async () => {
      const res = await dir.app.inject({ method: 'GET', url: '/readyz' });
      return res.json().status === 'ok' ? res : undefined;
    });
    expect(ready2.json().checks.nats).toBe('ok');
  });
});
