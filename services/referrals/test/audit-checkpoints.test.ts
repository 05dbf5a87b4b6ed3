/**
 * An audit log that proves its own completeness (docs/audit.md): rows cut off the end are
 * found and their numbers never reused; the head is checkpointed, signed by the service's audit
 * key and published; `verify` checks the chain against the latest checkpoints and against a
 * checkpoint the auditor pinned, so a cut-off tail, a replaced tail and a rollback are reported.
 */
import { canonicalJson } from '@samverkan/shared';
import { eventually } from '@samverkan/shared/src/testing';
import { compactVerify, importJWK, type JWK } from 'jose';
import { buildHub, type TestHub } from './helpers/build';
import { expectProblem } from './helpers/requests';

let hub: TestHub;

interface Verification {
  valid: boolean;
  entries: number;
  headSeq: number | null;
  headHash: string | null;
  firstInvalidSeq: number | null;
  reason: string | null;
  recordedHead: { seq: number; hash: string } | null;
  latestCheckpoint: Checkpoint | null;
  checkpointsChecked: number;
  truncated: boolean;
  forked: boolean;
  pin: { seq: number; headHash: string; status: string } | null;
}
interface Checkpoint {
  service: string;
  chain: string;
  seq: number;
  headHash: string;
  at: string;
  kid: string;
  jws: string;
}

const sql = (text: string, params: unknown[] = []) =>
  hub.referrals.context.dataSource.query(text, params) as Promise<Array<Record<string, unknown>>>;

async function verify(query = ''): Promise<Verification> {
  const res = await hub.as('norrkoping.auditor').get(`/v1/audit/referrals/verify${query}`);
  expect(res.statusCode).toBe(200);
  return res.json() as Verification;
}

/** An audited event: a refused read of the audit log. */
async function someActivity(n = 1): Promise<void> {
  for (let i = 0; i < n; i += 1) {
    expect((await hub.as('police.officer').get('/v1/audit/referrals')).statusCode).toBe(403);
  }
  // Entries are linked into the chain right after commit; this test reads the table itself.
  await hub.referrals.context.audit.chainPending();
}

async function checkpointNow(): Promise<Checkpoint> {
  const res = await hub.as('norrkoping.auditor').post('/v1/audit/referrals/checkpoints');
  expect(res.statusCode).toBe(201);
  return res.json() as Checkpoint;
}

async function maxSeq(): Promise<number> {
  const [row] = await sql('SELECT max(seq)::int AS n FROM referrals.audit_log');
  return row!.n as number;
}

/** What someone with database access does: switch the guards off, and back on afterwards. */
async function asAttacker(work: () => Promise<void>): Promise<void> {
  const guards = [
    'referrals.audit_log DISABLE TRIGGER audit_log_append_only',
    'referrals.chain_heads DISABLE TRIGGER chain_heads_forward_only',
    'referrals.chain_checkpoints DISABLE TRIGGER chain_checkpoints_append_only',
  ];
  for (const g of guards) {
    await sql(`ALTER TABLE ${g}`);
  }
  try {
    await work();
  } finally {
    for (const g of guards) {
      await sql(`ALTER TABLE ${g.replace('DISABLE', 'ENABLE')}`);
    }
  }
}

/** Cuts the newest `n` rows off the log, keeping them aside to put back. */
async function cutTail(n: number): Promise<number> {
  const head = await maxSeq();
  await asAttacker(async () => {
    await sql('DROP TABLE IF EXISTS referrals.audit_cut');
    await sql(
      'CREATE TABLE referrals.audit_cut AS SELECT * FROM referrals.audit_log WHERE seq > $1',
      [head - n],
    );
    await sql('DELETE FROM referrals.audit_log WHERE seq > $1', [head - n]);
  });
  return head - n;
}

async function putTailBack(): Promise<void> {
  await asAttacker(async () => {
    await sql('INSERT INTO referrals.audit_log SELECT * FROM referrals.audit_cut');
    await sql('DROP TABLE referrals.audit_cut');
  });
}

beforeAll(async () => {
  hub = await buildHub();
  await someActivity(5);
});
afterAll(async () => {
  await hub?.close();
});

describe('a tail cut off the log', () => {
  it('is reported, and the next entry does not reuse the cut-off numbers', async () => {
    expect(await verify()).toMatchObject({ valid: true, truncated: false, forked: false });
    const head = await maxSeq();
    const kept = await cutTail(3);

    const cut = await verify();
    expect(cut).toMatchObject({
      valid: false,
      truncated: true,
      headSeq: kept,
      firstInvalidSeq: kept + 1,
      recordedHead: { seq: head },
    });
    expect(cut.reason).toContain(`entries ${kept + 1} to ${head} were cut off`);

    await someActivity();
    const [next] = await sql(
      'SELECT seq::int AS seq, prev_hash FROM referrals.audit_log ORDER BY seq DESC LIMIT 1',
    );
    // The new entry follows the recorded head, so the cut shows as a gap from now on.
    expect(next!.seq).toBe(head + 1);
    const after = await verify();
    expect(after).toMatchObject({ valid: false, firstInvalidSeq: kept + 1 });
    expect(after.reason).toContain(`entry ${kept + 1} is missing`);

    // The rows put back: the entry written meanwhile links to the last of them.
    await putTailBack();
    expect(await verify()).toMatchObject({ valid: true, entries: head + 1 });
  });

  it('cannot be hidden by moving the recorded head back while the guard is on', async () => {
    await expect(sql('UPDATE referrals.chain_heads SET seq = 1')).rejects.toThrow(
      /only moves forward/,
    );
    await expect(sql('DELETE FROM referrals.chain_heads')).rejects.toThrow(/only moves forward/);
    await expect(sql('DELETE FROM referrals.chain_checkpoints')).rejects.toThrow(
      /only moves forward/,
    );
  });
});

describe('checkpoints', () => {
  it('are signed by the service audit key, readable and published as events', async () => {
    await someActivity();
    const cp = await checkpointNow();
    const head = await maxSeq();
    expect(cp).toMatchObject({ service: 'referrals', chain: 'audit_log', seq: head });
    const [row] = await sql('SELECT hash FROM referrals.audit_log WHERE seq = $1', [head]);
    expect(cp.headHash).toBe(row!.hash);

    const res = await hub.as('norrkoping.auditor').get('/v1/audit/referrals/checkpoints');
    expect(res.statusCode).toBe(200);
    const page = res.json() as { currentKid: string; keys: JWK[]; items: Checkpoint[] };
    expect(page.items[0]).toEqual(cp);
    expect(cp.kid).toBe(page.currentKid);

    // A client checks the signature itself, as docs/audit.md describes.
    const jwk = page.keys.find((k) => k.kid === cp.kid)!;
    const { payload, protectedHeader } = await compactVerify(cp.jws, await importJWK(jwk, 'EdDSA'));
    expect(protectedHeader).toMatchObject({
      alg: 'EdDSA',
      kid: cp.kid,
      typ: 'audit-checkpoint+jws',
    });
    const { kid: _kid, jws: _jws, ...signed } = cp;
    expect(new TextDecoder().decode(payload)).toBe(canonicalJson(signed));

    const [event] = await sql(
      `SELECT payload FROM referrals.outbox WHERE type = 'samverkan.referrals.audit.checkpointed'
        ORDER BY position DESC LIMIT 1`,
    );
    expect((event!.payload as { data: Checkpoint }).data).toEqual(cp);

    const checked = await verify();
    expect(checked).toMatchObject({ valid: true, latestCheckpoint: cp });
    expect(checked.checkpointsChecked).toBeGreaterThan(0);
  });

  it('are refused to anyone but auditors and hub admins', async () => {
    expectProblem(
      await hub.as('frideborg.caseworker').post('/v1/audit/referrals/checkpoints'),
      403,
    );
    expectProblem(await hub.as('frideborg.caseworker').get('/v1/audit/referrals/checkpoints'), 403);
  });

  it('catch a tail cut off together with the recorded head', async () => {
    const cp = await checkpointNow();
    await someActivity(2);
    const head = await maxSeq();
    const kept = await cutTail(3);
    const [recorded] = await sql(`SELECT seq, hash FROM referrals.chain_heads`);
    await asAttacker(async () => {
      const [last] = await sql('SELECT hash FROM referrals.audit_log WHERE seq = $1', [kept]);
      await sql(`UPDATE referrals.chain_heads SET seq = $1, hash = $2`, [kept, last!.hash]);
    });

    const result = await verify();
    expect(result).toMatchObject({ valid: false, truncated: true, firstInvalidSeq: kept + 1 });
    expect(result.reason).toContain(`the checkpoint of ${cp.at} has ${cp.seq}`);

    await asAttacker(async () => {
      await sql(`UPDATE referrals.chain_heads SET seq = $1, hash = $2`, [
        recorded!.seq,
        recorded!.hash,
      ]);
    });
    await putTailBack();
    expect(await verify()).toMatchObject({ valid: true, entries: head });
  });

  it('refuse a checkpoint whose signature is not the audit key’s', async () => {
    const cp = await checkpointNow();
    const [row] = await sql(`SELECT id FROM referrals.chain_checkpoints ORDER BY at DESC LIMIT 1`);
    const forged = `${cp.jws.slice(0, -4)}AAAA`;
    await asAttacker(async () => {
      await sql('UPDATE referrals.chain_checkpoints SET jws = $2 WHERE id = $1', [row!.id, forged]);
    });
    const result = await verify();
    expect(result.valid).toBe(false);
    expect(result.reason).toMatch(/has no valid signature/);
    await asAttacker(async () => {
      await sql('UPDATE referrals.chain_checkpoints SET jws = $2 WHERE id = $1', [row!.id, cp.jws]);
    });
    expect(await verify()).toMatchObject({ valid: true });
  });
});

describe('a checkpoint pinned by the auditor', () => {
  it('is consistent while the log only grows', async () => {
    const pinned = await checkpointNow();
    await someActivity(2);
    const result = await verify(`?pinSeq=${pinned.seq}&pinHash=${pinned.headHash}`);
    expect(result).toMatchObject({
      valid: true,
      pin: { seq: pinned.seq, headHash: pinned.headHash, status: 'consistent' },
    });
  });

  it('reveals a rollback that also removed the head and the checkpoints', async () => {
    const pinned = await checkpointNow();
    await someActivity();
    // The database restored from an older state: rows, recorded head and checkpoints all gone.
    const kept = await cutTail(4);
    await asAttacker(async () => {
      const [last] = await sql('SELECT hash FROM referrals.audit_log WHERE seq = $1', [kept]);
      await sql(`UPDATE referrals.chain_heads SET seq = $1, hash = $2`, [kept, last!.hash]);
      await sql('DELETE FROM referrals.chain_checkpoints WHERE seq > $1', [kept]);
    });
    // On its own the shortened log looks whole …
    expect(await verify()).toMatchObject({ valid: true, truncated: false });
    // … but not against what the auditor kept.
    const rolledBack = await verify(`?pinSeq=${pinned.seq}&pinHash=${pinned.headHash}`);
    expect(rolledBack).toMatchObject({
      valid: false,
      truncated: true,
      pin: { seq: pinned.seq, status: 'rolled_back' },
    });

    // Writing on after the rollback reuses the numbers: the pin shows a fork.
    await someActivity(6);
    const forked = await verify(`?pinSeq=${pinned.seq}&pinHash=${pinned.headHash}`);
    expect(forked).toMatchObject({
      valid: false,
      forked: true,
      firstInvalidSeq: pinned.seq,
      pin: { status: 'forked' },
    });
  });

  it('takes both halves of the pin or neither', async () => {
    const res = await hub.as('norrkoping.auditor').get('/v1/audit/referrals/verify?pinSeq=3');
    expectProblem(res, 400, 'validation-error');
  });
});

describe('the scheduled checkpoint', () => {
  it('signs the head when it moved', async () => {
    const scheduled = await buildHub({ env: { AUDIT_CHECKPOINT_INTERVAL_MS: '1000' } });
    try {
      const before = Number(
        (
          await scheduled.referrals.context.dataSource.query(
            'SELECT max(seq) AS n FROM referrals.audit_log',
          )
        )[0].n ?? 0,
      );
      const cp = await eventually(async () => {
        const res = await scheduled.as('hub.admin').get('/v1/audit/referrals/checkpoints');
        const items = (res.json() as { items: Checkpoint[] }).items;
        return items.find((c) => c.seq >= before);
      }, 15_000);
      expect(cp).toMatchObject({ service: 'referrals', chain: 'audit_log' });
    } finally {
      await scheduled.close();
    }
  });
});
