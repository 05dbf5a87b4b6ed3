/**
 * The statement budget of a send (issue 15): `POST /v1/referrals` makes at most two round trips
 * to Postgres — one read of the directory read model, and one statement writing the referral, its
 * timeline, its outbox event, its audit entry and the Idempotency-Key's record, finished (the
 * answer, known before the statement): the key's one write, and no lookup of it up front. Counted on the pg client, for the queries the
 * request itself issues (the relay, the audit chainer and the watchers run in their own async
 * contexts and are not counted).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import { DEMO_UNITS as U } from '@samverkan/shared';
import { eventually } from '@samverkan/shared/src/testing';
import { Client } from 'pg';
import { agencyClient, referralDocument } from './helpers/agency-client';
import { buildHub, type TestHub } from './helpers/build';
import { expectProblem, inject, tokenFor } from './helpers/requests';

const BUDGET = 2;

let hub: TestHub;
const counting = new AsyncLocalStorage<{ statements: string[] }>();
const originalQuery = Client.prototype.query;

beforeAll(async () => {
  hub = await buildHub();
  // Every statement a pg client sends, attributed to the request whose async context sent it.
  Client.prototype.query = function (this: Client, ...args: unknown[]) {
    const store = counting.getStore();
    if (store) {
      const first = args[0];
      store.statements.push(
        typeof first === 'string' ? first : String((first as { text?: string })?.text ?? first),
      );
    }
    return (originalQuery as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof Client.prototype.query;
});
afterAll(async () => {
  Client.prototype.query = originalQuery;
  await hub?.close();
});

async function countedSend(body: Record<string, unknown>, key = randomUUID()) {
  const token = await tokenFor(hub, 'police.officer');
  const store = { statements: [] as string[] };
  const res = await counting.run(store, () =>
    inject(hub, {
      method: 'POST',
      url: '/v1/referrals',
      token,
      headers: { 'idempotency-key': key },
      payload: body,
    }),
  );
  return { res, statements: store.statements };
}

describe('a send', () => {
  it(`makes at most ${BUDGET} round trips, and writes the referral, timeline, event and audit entry`, async () => {
    const police = agencyClient(hub, 'police.officer', U.policeTraffickingOst);
    const body = await police.referral(
      { recipientUnitId: U.coordinator },
      referralDocument('budget'),
    );
    const key = randomUUID();
    const { res, statements } = await countedSend(body, key);
    if (res.statusCode !== 201) {
      throw new Error(res.body);
    }
    expect(res.statusCode).toBe(201);
    expect(statements.length).toBeGreaterThan(0);
    if (statements.length > BUDGET) {
      throw new Error(
        `a send made ${statements.length} round trips (budget ${BUDGET}):\n${statements.join('\n---\n')}`,
      );
    }
    // What the answer says is what was stored (no read-back).
    const [row] = (await hub.referrals.context.dataSource.query(
      `SELECT created_at, updated_at, acknowledge_by, envelope_size FROM referrals.referrals WHERE id = $1`,
      [body.id],
    )) as Array<{
      created_at: Date;
      updated_at: Date;
      acknowledge_by: Date;
      envelope_size: number;
    }>;
    const view = res.json() as Record<string, unknown>;
    expect(view.createdAt).toBe(row!.created_at.toISOString());
    expect(view.updatedAt).toBe(row!.updated_at.toISOString());
    expect(view.acknowledgeBy).toBe(row!.acknowledge_by.toISOString());
    expect(view.envelopeSizeBytes).toBe(row!.envelope_size);
    // The timeline row, the outbox event and the audit entry, all from the one statement.
    const [counts] = (await hub.referrals.context.dataSource.query(
      `SELECT (SELECT count(*)::int FROM referrals.referral_events WHERE referral_id = $1 AND event = 'sent') AS timeline,
              (SELECT count(*)::int FROM referrals.outbox WHERE type = 'samverkan.referrals.referral.sent' AND payload->'data'->>'referralId' = $2) AS events`,
      [body.id, body.id],
    )) as Array<{ timeline: number; events: number }>;
    expect(counts).toEqual({ timeline: 1, events: 1 });
    // The key is looked up, not claimed: its record is written once, by the send's statement,
    // finished — no pending row inserted first and updated after (a second commit, a dead row).
    const keyWrites = statements.filter((sql) =>
      /(INSERT INTO|UPDATE)\s+\S*idempotency_keys/i.test(sql),
    );
    expect(keyWrites).toHaveLength(1);
    expect(keyWrites[0]).toMatch(/INSERT INTO \S*referrals"? \(id, sender_unit_id/);
    // The key's record, written by the same statement with the very answer sent.
    const [record] = (await hub.referrals.context.dataSource.query(
      `SELECT state, response_status, response_body, response_type, locked_until
         FROM referrals.idempotency_keys WHERE key = $1`,
      [key],
    )) as Array<{
      state: string;
      response_status: number;
      response_body: string;
      response_type: string;
      locked_until: Date | null;
    }>;
    expect(record).toEqual({
      state: 'done',
      response_status: 201,
      response_body: res.body,
      response_type: res.headers['content-type'],
      locked_until: null,
    });
    await eventually(async () => {
      const rows = (await hub.referrals.context.dataSource.query(
        `SELECT outcome, party_orgs FROM referrals.audit_log WHERE action = 'referral.send' AND object_id = $1`,
        [body.id],
      )) as Array<{ outcome: string; party_orgs: string[] }>;
      return rows.length === 1 ? rows : undefined;
    }, 5000).then((rows) => {
      expect(rows[0]!.outcome).toBe('allowed');
      expect(rows[0]!.party_orgs.length).toBeGreaterThan(0);
    });
  });

  it('counts what it should: a budget test that would see a read-back', async () => {
    // The counter sees every statement of the request: an extra one in the handler shows up.
    const store = { statements: [] as string[] };
    await counting.run(store, () => hub.referrals.context.dataSource.query('SELECT 1'));
    expect(store.statements).toHaveLength(1);
  });

  it('refuses an id taken by the same sender with another referral (409), audited', async () => {
    const police = agencyClient(hub, 'police.officer', U.policeTraffickingOst);
    const first = await police.referral({ recipientUnitId: U.coordinator }, referralDocument('a'));
    expect((await countedSend(first)).res.statusCode).toBe(201);
    const other = await police.referral({ recipientUnitId: U.coordinator }, referralDocument('b'));
    const { res } = await countedSend({ ...other, id: first.id });
    // The other envelope binds another id: the envelope check refuses it before any write.
    expect([409, 422]).toContain(res.statusCode);
    const [row] = (await hub.referrals.context.dataSource.query(
      `SELECT count(*)::int AS n FROM referrals.referrals WHERE id = $1`,
      [first.id],
    )) as Array<{ n: number }>;
    expect(row!.n).toBe(1);
  });

  it('answers the same send again with the referral it created, writing nothing twice', async () => {
    const police = agencyClient(hub, 'police.officer', U.policeTraffickingOst);
    const body = await police.referral({ recipientUnitId: U.coordinator }, referralDocument('c'));
    const first = await countedSend(body);
    expect(first.res.statusCode).toBe(201);
    const again = await countedSend(body);
    expect(again.res.statusCode).toBe(201);
    expect(again.res.json()).toEqual(first.res.json());
    const [counts] = (await hub.referrals.context.dataSource.query(
      `SELECT (SELECT count(*)::int FROM referrals.referral_events WHERE referral_id = $1) AS timeline,
              (SELECT count(*)::int FROM referrals.outbox WHERE payload->'data'->>'referralId' = $2) AS events`,
      [body.id, body.id],
    )) as Array<{ timeline: number; events: number }>;
    expect(counts).toEqual({ timeline: 1, events: 1 });
  });

  it('loses a race for its key without writing anything, and answers as the key is recorded', async () => {
    const police = agencyClient(hub, 'police.officer', U.policeTraffickingOst);
    const first = await police.referral({ recipientUnitId: U.coordinator }, referralDocument('d'));
    const firstKey = randomUUID();
    expect((await countedSend(first, firstKey)).res.statusCode).toBe(201);
    const ds = hub.referrals.context.dataSource;
    const [held] = (await ds.query(
      `SELECT principal FROM referrals.idempotency_keys WHERE key = $1`,
      [firstKey],
    )) as Array<{ principal: string }>;
    const principal = held!.principal;
    // Another request holds the key in an open transaction when this one's statement runs.
    const key = randomUUID();
    const rival = await ds.createQueryRunner();
    await rival.connect();
    try {
      await rival.startTransaction();
      await rival.query(
        `INSERT INTO referrals.idempotency_keys (principal, key, request_hash, state, response_status,
           response_body, response_type)
         VALUES ($1, $2, $3, 'done', 201, '{"rival":true}', 'application/json; charset=utf-8')`,
        [principal, key, 'f'.repeat(64)],
      );
      const body = await police.referral({ recipientUnitId: U.coordinator }, referralDocument('e'));
      const sending = countedSend(body, key);
      // The send's statement waits on the rival's row…
      await eventually(async () => {
        const [row] = (await ds.query(
          `SELECT count(*)::int AS n FROM pg_stat_activity
            WHERE datname = current_database() AND wait_event_type = 'Lock'
              AND query LIKE '%INSERT INTO "referrals"."referrals"%'`,
        )) as Array<{ n: number }>;
        return row!.n > 0 ? true : undefined;
      }, 10_000);
      // …and fails once the rival commits: the referral is not stored, the rival's record stays,
      // and the key is answered as it is recorded (another request's: 422).
      await rival.commitTransaction();
      const { res } = await sending;
      expectProblem(res, 422, 'idempotency-key-reused');
      const [row] = (await ds.query(
        `SELECT (SELECT count(*)::int FROM referrals.referrals WHERE id = $1) AS referrals,
                (SELECT count(*)::int FROM referrals.outbox WHERE payload->'data'->>'referralId' = $2) AS events,
                (SELECT response_body FROM referrals.idempotency_keys WHERE key = $3) AS recorded`,
        [body.id, body.id, key],
      )) as Array<{ referrals: number; events: number; recorded: string }>;
      expect(row).toEqual({ referrals: 0, events: 0, recorded: '{"rival":true}' });
      // A retry with the key too.
      const retry = await countedSend(body, key);
      expectProblem(retry.res, 422, 'idempotency-key-reused');
    } finally {
      if (rival.isTransactionActive) {
        await rival.rollbackTransaction();
      }
      await rival.release();
    }
  });

  it('answers a refused send again from its key: the same refusal, replayed, audited once', async () => {
    const police = agencyClient(hub, 'police.officer', U.policeTraffickingOst);
    const body = await police.referral({ recipientUnitId: U.coordinator }, referralDocument('f'));
    // Not a member of the sender unit named: refused before anything is written.
    const refused = { ...body, senderUnitId: U.coordinator };
    const key = randomUUID();
    const first = await countedSend(refused, key);
    expectProblem(first.res, 403);
    const again = await countedSend(refused, key);
    expect(again.res.statusCode).toBe(403);
    expect(again.res.headers['idempotent-replayed']).toBe('true');
    expect(again.res.body).toBe(first.res.body);
    const ds = hub.referrals.context.dataSource;
    const [row] = (await ds.query(
      `SELECT (SELECT count(*)::int FROM referrals.audit_pending
                WHERE entry->>'objectId' = $1 AND entry->>'outcome' = 'denied')
            + (SELECT count(*)::int FROM referrals.audit_log
                WHERE object_id = $1 AND outcome = 'denied') AS denied`,
      [body.id],
    )) as Array<{ denied: number }>;
    expect(row!.denied).toBe(1);
    // The same send under a new key is refused afresh (and audited again).
    expect((await countedSend(refused)).res.headers['idempotent-replayed']).toBeUndefined();
  });
});
