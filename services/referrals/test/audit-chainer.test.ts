/**
 * The audit chain off the request path (docs/audit.md, "Unchained entries and the chainer"):
 * requests write their entries unchained, without the chain's lock; a chainer links them into the
 * hash chain right after commit; `verify` reports how many wait; a chainer that dies loses
 * nothing and another one takes over; tampering is still found.
 */
import { AuditChainer } from '@samverkan/shared';
import { eventually } from '@samverkan/shared/src/testing';
import { Client } from 'pg';
import { buildHub, type TestHub } from './helpers/build';

let hub: TestHub;

const sql = (text: string, params: unknown[] = []) =>
  hub.referrals.context.dataSource.query(text, params) as Promise<Array<Record<string, unknown>>>;

interface Verification {
  valid: boolean;
  entries: number;
  headSeq: number | null;
  pending: number;
  oldestPendingAgeMs: number | null;
  reason: string | null;
}

async function verify(): Promise<Verification> {
  const res = await hub.as('hub.admin').get('/v1/audit/referrals/verify');
  expect(res.statusCode).toBe(200);
  return res.json() as Verification;
}

/** An audited event: a refused read of the audit log (a denial, written without any lock). */
async function refusedRead(): Promise<void> {
  expect((await hub.as('police.officer').get('/v1/audit/referrals')).statusCode).toBe(403);
}

async function counts(): Promise<{ chained: number; pending: number }> {
  const [row] = await sql(
    `SELECT (SELECT count(*)::int FROM referrals.audit_log) AS chained,
            (SELECT count(*)::int FROM referrals.audit_pending) AS pending`,
  );
  return { chained: row!.chained as number, pending: row!.pending as number };
}

/** Another database session holding the chain's lock, as a chainer in the middle of a pass. */
async function holdChainLock(): Promise<Client> {
  const client = new Client({ connectionString: hub.db.url });
  await client.connect();
  await client.query('BEGIN');
  await client.query(`SELECT pg_advisory_xact_lock(hashtext('referrals.audit_log'))`);
  return client;
}

beforeAll(async () => {
  hub = await buildHub();
});
afterAll(async () => {
  await hub?.close();
});

describe('the chainer', () => {
  it('links entries into the chain right after commit, in order, without being asked', async () => {
    const before = await counts();
    for (let i = 0; i < 5; i += 1) {
      await refusedRead();
    }
    // Nobody calls chainPending here: the chainer woken by the commits does it.
    await eventually(async () => {
      const now = await counts();
      return now.pending === 0 && now.chained >= before.chained + 5 ? true : undefined;
    }, 5000);
    const rows = await sql('SELECT seq::int AS seq FROM referrals.audit_log ORDER BY seq');
    expect(rows.map((r) => r.seq)).toEqual(rows.map((_r, i) => i + 1));
    expect(await verify()).toMatchObject({ valid: true, pending: 0 });
  });

  it('does not hold up a request while the chain is locked, and verify reports what waits', async () => {
    const holder = await holdChainLock();
    try {
      const before = await counts();
      // Before, every audited request took this lock in its own transaction and would hang here.
      await refusedRead();
      await refusedRead();
      const during = await verify();
      expect(during.valid).toBe(true);
      expect(during.pending).toBeGreaterThanOrEqual(2);
      expect(during.oldestPendingAgeMs).not.toBeNull();
      expect((await counts()).chained).toBe(before.chained);
    } finally {
      // The session holding the lock dies: its lock goes with it.
      await holder.end();
    }
    await eventually(async () => ((await counts()).pending === 0 ? true : undefined), 5000);
    expect(await verify()).toMatchObject({ valid: true, pending: 0 });
  });

  it('loses nothing when a chainer dies mid-pass: its transaction rolls back and the entries wait', async () => {
    const chainer = hub.referrals.context.audit.chainer!;
    await chainer.stop();
    try {
      await refusedRead();
      const pending = (await counts()).pending;
      expect(pending).toBeGreaterThanOrEqual(1);
      // A pass that fails after taking the batch (its connection cut) leaves every entry pending.
      const qr = hub.referrals.context.dataSource.createQueryRunner();
      await qr.connect();
      await qr.startTransaction();
      await qr.query(`SELECT pg_advisory_xact_lock(hashtext('referrals.audit_log'))`);
      await qr.query(
        `DELETE FROM referrals.audit_pending WHERE position IN (SELECT position FROM referrals.audit_pending)`,
      );
      await qr.rollbackTransaction();
      await qr.release();
      expect((await counts()).pending).toBe(pending);
    } finally {
      chainer.start();
    }
    await eventually(async () => ((await counts()).pending === 0 ? true : undefined), 5000);
    expect(await verify()).toMatchObject({ valid: true, pending: 0 });
  });

  it('fails over: with one replica’s chainer gone, another replica’s links the entries', async () => {
    const first = hub.referrals.context.audit.chainer!;
    await first.stop();
    // A second replica of the service: its own chainer on the same database.
    const second = new AuditChainer(hub.referrals.context.dataSource, {
      chain: 'audit_log',
      pollIntervalMs: 50,
    });
    try {
      await refusedRead();
      await refusedRead();
      expect((await counts()).pending).toBeGreaterThanOrEqual(2);
      second.start();
      await eventually(async () => ((await counts()).pending === 0 ? true : undefined), 5000);
      expect(await verify()).toMatchObject({ valid: true, pending: 0 });
      // Both running: the lock lets one work at a time, and nothing is chained twice.
      first.start();
      await Promise.all(Array.from({ length: 10 }, () => refusedRead()));
      await eventually(async () => ((await counts()).pending === 0 ? true : undefined), 5000);
      const v = await verify();
      expect(v).toMatchObject({ valid: true, pending: 0 });
      expect(v.entries).toBe((await counts()).chained);
    } finally {
      await second.stop();
      first.start();
    }
  });
});

describe('tampering', () => {
  it('is still found in chained entries, and pending entries cannot be edited', async () => {
    await refusedRead();
    await hub.referrals.context.audit.chainPending();
    const [last] = await sql('SELECT max(seq)::int AS seq FROM referrals.audit_log');
    const seq = last!.seq as number;
    await sql('ALTER TABLE referrals.audit_log DISABLE TRIGGER audit_log_append_only');
    try {
      await sql(`UPDATE referrals.audit_log SET actor_sub = 'someone.else' WHERE seq = $1`, [seq]);
      const edited = await verify();
      expect(edited).toMatchObject({ valid: false, firstInvalidSeq: seq });
      expect(edited.reason).toContain('altered');
    } finally {
      await sql(`UPDATE referrals.audit_log SET actor_sub = 'police.officer' WHERE seq = $1`, [
        seq,
      ]);
      await sql('ALTER TABLE referrals.audit_log ENABLE TRIGGER audit_log_append_only');
    }
    expect((await verify()).valid).toBe(true);

    // A pending entry is written once and only ever moved into the chain.
    const chainer = hub.referrals.context.audit.chainer!;
    await chainer.stop();
    try {
      await refusedRead();
      await expect(
        sql(`UPDATE referrals.audit_pending SET entry = entry || '{"actorSub":"x"}'`),
      ).rejects.toThrow(/never changed/);
      await expect(sql('TRUNCATE referrals.audit_pending')).rejects.toThrow(/never changed/);
    } finally {
      chainer.start();
    }
  });
});
