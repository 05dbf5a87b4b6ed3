import { Client } from 'pg';
import type { DataSource } from 'typeorm';
import { AuditChainer } from '../audit/audit-chainer';
import type { AuditLog } from '../audit/audit-log';
import { eventually } from './test-infra';

/** What the suite needs of a running service, once the test file's `beforeAll` has built it. */
export interface ChainedService {
  dataSource: DataSource;
  audit: AuditLog;
  /** the test database, for a second session that holds the chain's lock */
  databaseUrl: string;
  /** a GET as a seeded user */
  get(user: string, url: string): Promise<{ statusCode: number; json(): unknown }>;
}

export interface AuditChainerSuiteOptions {
  /** the service's name in `/v1/audit/<service>` and its Postgres schema */
  service: string;
  target: () => ChainedService;
  /** a user who may verify the chain (default `hub.admin`) */
  admin?: string;
  /** a user who may not read this service's audit log: each refusal is one audited entry */
  refusedUser: string;
}

interface Verification {
  valid: boolean;
  entries: number;
  headSeq: number | null;
  pending: number;
  oldestPendingAgeMs: number | null;
  reason: string | null;
}

/**
 * The audit chain off the request path (docs/audit.md, "Unchained entries and the chainer"), as
 * jest tests every service with a deferred chain runs against itself: requests write their entries
 * unchained, without the chain's lock; a chainer links them into the hash chain right after
 * commit; `verify` reports how many wait; a chainer that dies loses nothing and another one takes
 * over; tampering is still found.
 */
export function describeAuditChainer(options: AuditChainerSuiteOptions): void {
  const { service } = options;
  const admin = options.admin ?? 'hub.admin';
  const log = `${service}.audit_log`;
  const pendingTable = `${service}.audit_pending`;
  const sql = (text: string, params: unknown[] = []) =>
    options.target().dataSource.query(text, params) as Promise<Array<Record<string, unknown>>>;

  async function verify(): Promise<Verification> {
    const res = await options.target().get(admin, `/v1/audit/${service}/verify`);
    expect(res.statusCode).toBe(200);
    return res.json() as Verification;
  }

  /** An audited event: a refused read of the audit log (a denial, written without any lock). */
  async function refusedRead(): Promise<void> {
    expect(
      (await options.target().get(options.refusedUser, `/v1/audit/${service}`)).statusCode,
    ).toBe(403);
  }

  async function counts(): Promise<{ chained: number; pending: number }> {
    const [row] = await sql(
      `SELECT (SELECT count(*)::int FROM ${log}) AS chained,
              (SELECT count(*)::int FROM ${pendingTable}) AS pending`,
    );
    return { chained: row!.chained as number, pending: row!.pending as number };
  }

  const drained = () =>
    eventually(async () => ((await counts()).pending === 0 ? true : undefined), 5000);

  describe(`the ${service} audit chainer`, () => {
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
      const rows = await sql(`SELECT seq::int AS seq FROM ${log} ORDER BY seq`);
      expect(rows.map((r) => r.seq)).toEqual(rows.map((_r, i) => i + 1));
      expect(await verify()).toMatchObject({ valid: true, pending: 0 });
    });

    it('does not hold up a request while the chain is locked, and verify reports what waits', async () => {
      // Another database session holding the chain's lock, as a chainer in the middle of a pass.
      const holder = new Client({ connectionString: options.target().databaseUrl });
      await holder.connect();
      try {
        await holder.query('BEGIN');
        await holder.query('SELECT pg_advisory_xact_lock(hashtext($1))', [log]);
        const before = await counts();
        // Were the chain linked in the request, the request would wait for this lock.
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
      await drained();
      expect(await verify()).toMatchObject({ valid: true, pending: 0 });
    });

    it('chains everything pending when a reader asks, even with its chainer stopped', async () => {
      const { audit } = options.target();
      const chainer = audit.chainer!;
      await chainer.stop();
      try {
        await refusedRead();
        await refusedRead();
        const before = await counts();
        expect(before.pending).toBeGreaterThanOrEqual(2);
        // What readers of the log and checkpoints call: it waits for the lock, then links.
        expect(await audit.chainPending()).toBe(before.pending);
        expect(await counts()).toEqual({ chained: before.chained + before.pending, pending: 0 });
      } finally {
        chainer.start();
      }
      expect(await verify()).toMatchObject({ valid: true, pending: 0 });
    });

    it('loses nothing when a chainer dies mid-pass: its transaction rolls back and the entries wait', async () => {
      const { audit, dataSource } = options.target();
      const chainer = audit.chainer!;
      await chainer.stop();
      try {
        await refusedRead();
        const pending = (await counts()).pending;
        expect(pending).toBeGreaterThanOrEqual(1);
        // A pass that fails after taking the batch (its connection cut) leaves every entry pending.
        const qr = dataSource.createQueryRunner();
        await qr.connect();
        await qr.startTransaction();
        await qr.query('SELECT pg_advisory_xact_lock(hashtext($1))', [log]);
        await qr.query(
          `DELETE FROM ${pendingTable} WHERE position IN (SELECT position FROM ${pendingTable})`,
        );
        await qr.rollbackTransaction();
        await qr.release();
        expect((await counts()).pending).toBe(pending);
      } finally {
        chainer.start();
      }
      await drained();
      expect(await verify()).toMatchObject({ valid: true, pending: 0 });
    });

    it('fails over: with one replica’s chainer gone, another replica’s links the entries', async () => {
      const { audit, dataSource } = options.target();
      const first = audit.chainer!;
      await first.stop();
      // A second replica of the service: its own chainer on the same database.
      const second = new AuditChainer(dataSource, { chain: 'audit_log', pollIntervalMs: 50 });
      try {
        await refusedRead();
        await refusedRead();
        expect((await counts()).pending).toBeGreaterThanOrEqual(2);
        second.start();
        await drained();
        expect(await verify()).toMatchObject({ valid: true, pending: 0 });
        // Both running: the lock lets one work at a time, and nothing is chained twice.
        first.start();
        await Promise.all(Array.from({ length: 10 }, () => refusedRead()));
        await drained();
        const v = await verify();
        expect(v).toMatchObject({ valid: true, pending: 0 });
        expect(v.entries).toBe((await counts()).chained);
      } finally {
        await second.stop();
        first.start();
      }
    });

    it('still finds tampering in chained entries, and pending entries cannot be edited', async () => {
      const { audit } = options.target();
      await refusedRead();
      await audit.chainPending();
      const [last] = await sql(
        `SELECT seq::int AS seq, actor_sub FROM ${log} ORDER BY seq DESC LIMIT 1`,
      );
      const seq = last!.seq as number;
      await sql(`ALTER TABLE ${log} DISABLE TRIGGER audit_log_append_only`);
      try {
        await sql(`UPDATE ${log} SET actor_sub = 'someone.else' WHERE seq = $1`, [seq]);
        const edited = await verify();
        expect(edited).toMatchObject({ valid: false, firstInvalidSeq: seq });
        expect(edited.reason).toContain('altered');
      } finally {
        await sql(`UPDATE ${log} SET actor_sub = $2 WHERE seq = $1`, [seq, last!.actor_sub]);
        await sql(`ALTER TABLE ${log} ENABLE TRIGGER audit_log_append_only`);
      }
      expect((await verify()).valid).toBe(true);

      // A pending entry is written once and only ever moved into the chain.
      const chainer = audit.chainer!;
      await chainer.stop();
      try {
        await refusedRead();
        await expect(
          sql(`UPDATE ${pendingTable} SET entry = entry || '{"actorSub":"x"}'`),
        ).rejects.toThrow(/never changed/);
        await expect(sql(`TRUNCATE ${pendingTable}`)).rejects.toThrow(/never changed/);
      } finally {
        chainer.start();
      }
      await drained();
    });
  });
}
