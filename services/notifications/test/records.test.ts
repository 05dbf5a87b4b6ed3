/**
 * Issue 16 in the notifications service: audit entries written from events carry the
 * organisations of all the object's parties, a purge in the referrals service purges the
 * notification texts about it (audited, chain verifiable), and notifications past their retention
 * are deleted by a purger that several replicas may run.
 */
import { randomUUID } from 'node:crypto';
import {
  createEventProcessor,
  DEMO_ORGANISATIONS as O,
  DEMO_UNITS as U,
  EventCatalog,
  type EventEnvelope,
} from '@samverkan/shared';
import { describeAuditChainer, eventually } from '@samverkan/shared/src/testing';
import { DataSource } from 'typeorm';
import { statementLog } from './helpers/statement-log';
import { NOTIFICATIONS_EVENT_DOCUMENTS } from '../src/app';
import { NotificationsPurger } from '../src/records/notifications-purger';
import { PURGED_BODY, PURGED_TITLE, recordsConsumer } from '../src/records/records-consumer';
import { readDevKeyStore } from '@samverkan/directory/src/seed/dev-key-store';
import type { TestHub as ReferralsTestHub } from '@samverkan/referrals/test/helpers/build';
import { prepareReferral } from '@samverkan/referrals/test/helpers/lifecycle';
import { buildHub, type TestHub } from './helpers/build';
import { emitAndCollect, processed, referralData } from './helpers/events';

let hub: TestHub;
/** A query of the schema, with every audit entry written so far linked into the chain first. */
const sql = async (text: string, params: unknown[] = []) => {
  await hub.notifications.context.audit.chainPending();
  return hub.notifications.context.dataSource.query(text, params) as Promise<
    Array<Record<string, unknown>>
  >;
};

const count = async (text: string) => Number((await sql(text))[0]!.n);

beforeAll(async () => {
  hub = await buildHub({
    env: {
      NOTIFICATIONS_ESCALATION_DELAY_MS: '300',
      NOTIFICATIONS_COORDINATOR_ESCALATION_DELAY_MS: '300',
      NOTIFICATIONS_ESCALATION_CHECK_MS: '100',
    },
  });
}, 60_000);
afterAll(async () => hub?.close());

async function emitToBoth(type: string, data: Record<string, unknown>) {
  const envelope = await hub.emit(type, data);
  await processed(hub, envelope.id, 'notifications-referrals');
  await processed(hub, envelope.id, 'notifications-records');
  return envelope;
}

it('an escalation written from an event records the organisations of every party', async () => {
  // Sent by the police, to Frideborg (Norrköping), a copy to Novahuset.
  const data = referralData({ copyUnitIds: [U.novahuset] });
  await emitToBoth('samverkan.referrals.referral.sent', data);
  const entry = await eventually(async () => {
    const rows = await sql(
      `SELECT party_orgs FROM notifications.audit_log
        WHERE action = 'notification.escalate' AND object_id = $1 ORDER BY seq LIMIT 1`,
      [data.referralId],
    );
    return rows[0];
  }, 20_000);
  expect(entry!.party_orgs).toEqual(
    expect.arrayContaining([O.policeOst, O.norrkoping, O.novahuset]),
  );
  // So the police's auditor would see it, as well as Norrköping's.
  const [row] = await sql(
    `SELECT count(*)::int AS n FROM notifications.audit_log
      WHERE object_id = $1 AND $2 = ANY(party_orgs)`,
    [data.referralId, O.policeOst],
  );
  expect(row!.n).toBeGreaterThan(0);
});

it('the parties of referral events: one statement with their processed_events rows, no transaction; a redelivery adds nothing', async () => {
  // The records consumer on a data source of its own, whose every statement is logged.
  const { statements, logger } = statementLog();
  const own = new DataSource({
    ...hub.notifications.context.dataSource.options,
    logging: 'all',
    logger,
  });
  await own.initialize();
  statements.splice(0);
  try {
    const processor = createEventProcessor(recordsConsumer(hub.notifications.context.pipeline), {
      dataSource: own,
      catalog: EventCatalog.fromFiles(...NOTIFICATIONS_EVENT_DOCUMENTS),
      log: hub.app.log,
    });
    const envelope = (type: string, data: Record<string, unknown>): EventEnvelope => ({
      id: randomUUID(),
      type,
      source: 'referrals',
      time: new Date().toISOString(),
      data,
    });
    const sent = referralData({ copyUnitIds: [U.novahuset] });
    const forwarded = envelope('samverkan.referrals.referral.forwarded', {
      ...sent,
      copyUnitIds: [U.elsa],
      status: 'forwarded',
      forwardedToIds: [randomUUID()],
    });
    const first = envelope('samverkan.referrals.referral.sent', sent);
    const delivery = (e: EventEnvelope) => ({ raw: e, deliveryCount: 1, subject: e.type });
    // One event, then two (the first again among them) as a batch.
    expect(await processor.process(first, 1, first.type)).toBe('done');
    expect(statements).toHaveLength(1);
    expect(
      await processor.processBatch([delivery(first), delivery(forwarded), delivery(forwarded)]),
    ).toEqual(['duplicate', 'done', 'duplicate']);
    expect(statements).toHaveLength(2);
    expect(statements.join('\n')).not.toMatch(/START TRANSACTION|BEGIN|COMMIT/);
    const [row] = await sql(
      `SELECT unit_ids FROM notifications.object_parties WHERE object_type = 'referral' AND object_id = $1`,
      [sent.referralId],
    );
    expect([...(row!.unit_ids as string[])].sort()).toEqual(
      [U.policeTraffickingOst, U.frideborg, U.novahuset, U.elsa].sort(),
    );
    const done = await sql(
      `SELECT event_id::text AS id FROM notifications.processed_events
        WHERE consumer = 'notifications-records' AND event_id = ANY($1::uuid[]) ORDER BY 1`,
      [[first.id, forwarded.id]],
    );
    expect(done.map((r) => r.id)).toEqual([first.id, forwarded.id].sort());
    // A purge reads and audits: it goes in a transaction, as before.
    const purged = envelope('samverkan.referrals.referral.content_purged', {
      ...sent,
      status: 'closed',
      purgedAt: new Date().toISOString(),
    });
    statements.splice(0);
    expect(await processor.process(purged, 1, purged.type)).toBe('done');
    expect(statements[0]).toMatch(/START TRANSACTION/);
  } finally {
    await own.destroy();
  }
});

it('a content purge replaces the texts about the referral, audited with the parties', async () => {
  const data = referralData({ urgency: 'routine', copyUnitIds: [] });
  expect(await emitAndCollect(hub, 'samverkan.referrals.referral.sent', data)).not.toEqual([]);
  const other = referralData({ urgency: 'routine', copyUnitIds: [] });
  await emitAndCollect(hub, 'samverkan.referrals.referral.sent', other);

  await emitToBoth('samverkan.referrals.referral.content_purged', {
    ...data,
    status: 'closed',
    purgedAt: new Date().toISOString(),
  });
  const texts = await sql(
    'SELECT title, body FROM notifications.notifications WHERE object_id = $1',
    [data.referralId],
  );
  expect(texts.length).toBeGreaterThan(0);
  for (const t of texts) {
    expect(t).toEqual({ title: PURGED_TITLE, body: PURGED_BODY });
  }
  const untouched = await sql(
    'SELECT title FROM notifications.notifications WHERE object_id = $1',
    [other.referralId],
  );
  expect(untouched.every((t) => t.title !== PURGED_TITLE)).toBe(true);

  const [entry] = await sql(
    `SELECT actor_sub, party_orgs, detail FROM notifications.audit_log
      WHERE action = 'notification.texts_purge' AND object_id = $1`,
    [data.referralId],
  );
  expect(entry).toMatchObject({ actor_sub: 'system:retention' });
  expect(entry!.party_orgs).toEqual(expect.arrayContaining([O.policeOst, O.norrkoping]));
  expect((entry!.detail as { notifications: number }).notifications).toBe(texts.length);

  // What the recipient sees in the inbox is the neutral text.
  const inbox = await hub.as('frideborg.caseworker').get('/v1/notifications?limit=100');
  const item = (inbox.json().items as Array<{ objectId: string; title: string }>).find(
    (n) => n.objectId === data.referralId,
  );
  expect(item?.title).toBe(PURGED_TITLE);

  const verify = await hub.as('hub.admin').get('/v1/audit/notifications/verify');
  expect(verify.statusCode).toBe(200);
  expect(verify.json().valid).toBe(true);
});

it('deletes notifications past their retention, once across replicas, and audits it', async () => {
  const data = referralData({ urgency: 'routine', copyUnitIds: [] });
  await emitAndCollect(hub, 'samverkan.referrals.referral.sent', data);
  await sql(
    `UPDATE notifications.notifications SET created_at = now() - interval '200 days' WHERE object_id = $1`,
    [data.referralId],
  );
  const old = await count(
    `SELECT count(*)::int AS n FROM notifications.notifications WHERE created_at < now() - interval '90 days'`,
  );
  expect(old).toBeGreaterThan(0);
  const all = await count('SELECT count(*)::int AS n FROM notifications.notifications');

  const replica = new NotificationsPurger(
    {
      pipeline: hub.notifications.context.pipeline,
      retention: { days: 90, purgeIntervalMs: 60_000 },
    },
    hub.app.log,
  );
  const deleted = await Promise.all([hub.notifications.purger.tick(), replica.tick()]);
  const left = await count('SELECT count(*)::int AS n FROM notifications.notifications');
  expect(left).toBe(all - old);
  expect(
    await sql('SELECT 1 FROM notifications.notifications WHERE object_id = $1', [data.referralId]),
  ).toEqual([]);
  const entries = await sql(
    `SELECT detail FROM notifications.audit_log WHERE action = 'notification.retention_purge'`,
  );
  const audited = entries.reduce(
    (n, e) => n + (e.detail as { notifications: number }).notifications,
    0,
  );
  expect(audited).toBe(old);
  expect(deleted.reduce((a, b) => a + Math.max(0, b), 0)).toBeGreaterThanOrEqual(old);
  expect((await hub.as('hub.admin').get('/v1/audit/notifications/verify')).json().valid).toBe(true);
});

it('end to end: the referrals purger purges a declined referral, and its notification texts follow', async () => {
  // The referrals service runs in the same app: a real referral, declined by Frideborg.
  const referralsHub = {
    ...hub,
    keys: readDevKeyStore(hub.dataDir),
  } as unknown as ReferralsTestHub;
  const { id } = await prepareReferral(referralsHub, {
    sender: { user: 'police.officer', unitId: U.policeTraffickingOst },
    recipient: { user: 'frideborg.caseworker', unitId: U.frideborg },
    state: 'declined',
  });
  // The police hear of the decline.
  await eventually(async () => {
    const rows = await sql(
      `SELECT 1 FROM notifications.notifications WHERE object_id = $1 AND user_id = 'police.officer'`,
      [id],
    );
    return rows.length > 0 ? true : undefined;
  }, 20_000);
  await hub.referrals.context.dataSource.query(
    `UPDATE referrals.referrals SET declined_at = now() - interval '100 days' WHERE id = $1`,
    [id],
  );
  expect(await hub.referrals.records.purger.purge()).toMatchObject({ referrals: 1 });

  const texts = await eventually(async () => {
    const rows = await sql('SELECT title FROM notifications.notifications WHERE object_id = $1', [
      id,
    ]);
    return rows.length > 0 && rows.every((r) => r.title === PURGED_TITLE) ? rows : undefined;
  }, 20_000);
  expect(texts!.length).toBeGreaterThan(0);
  const [entry] = await sql(
    `SELECT party_orgs FROM notifications.audit_log WHERE action = 'notification.texts_purge' AND object_id = $1`,
    [id],
  );
  expect(entry!.party_orgs).toEqual(expect.arrayContaining([O.policeOst, O.norrkoping]));
});

describeAuditChainer({
  service: 'notifications',
  refusedUser: 'police.officer',
  target: () => ({
    dataSource: hub.notifications.context.dataSource,
    audit: hub.notifications.context.audit,
    databaseUrl: hub.db.url,
    get: (user, url) => hub.as(user).get(url),
  }),
});
