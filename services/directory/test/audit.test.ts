import {
  DEMO_ORGANISATIONS as O,
  DEMO_UNITS as U,
  generateRootKey,
  generateUnitEncryptionKey,
  luhnCheckDigit,
  signUnitKey,
} from '@samverkan/shared';
import type { LightMyRequestResponse } from 'fastify';
import { generateKeyPairSync } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { describeAuditChainer } from '@samverkan/shared/src/testing';
import { buildDirectory, type TestDirectory } from './helpers/build';
import { expectProblem } from './helpers/problems';

let dir: TestDirectory;
let ds: DataSource;
beforeAll(async () => {
  dir = await buildDirectory();
  ds = dir.app.directory.context.dataSource;
});
afterAll(async () => {
  await dir?.close();
});

interface AuditEntry {
  seq: number;
  id: string;
  at: string;
  actorSub: string;
  actorOrg: string | null;
  actorIssuer: string | null;
  action: string;
  objectType: string;
  objectId: string | null;
  outcome: 'allowed' | 'denied';
  detail: Record<string, unknown>;
  prevHash: string;
  hash: string;
}

/** Reads the whole audit trail visible to `user`, page by page. */
async function readAudit(user: string, query = '', limit = 100): Promise<AuditEntry[]> {
  const entries: AuditEntry[] = [];
  let after = 0;
  for (let pages = 0; pages < 1000; pages += 1) {
    const res = await dir
      .as(user)
      .get(`/v1/audit/directory?after=${after}&limit=${limit}${query ? `&${query}` : ''}`);
    expect(res.statusCode).toBe(200);
    const page = res.json() as { items: AuditEntry[]; nextAfter: number | null };
    entries.push(...page.items);
    if (page.nextAfter === null) {
      return entries;
    }
    after = page.nextAfter;
  }
  throw new Error('the audit trail does not end');
}

const rowCount = async (): Promise<number> => {
  // Entries are chained right after commit; link what still waits before counting the chain.
  await dir.app.directory.context.audit.chainPending();
  return Number((await ds.query('SELECT count(*) AS n FROM directory.audit_log'))[0].n);
};
const verify = async (user = 'norrkoping.auditor') => {
  const res = await dir.as(user).get('/v1/audit/directory/verify');
  expect(res.statusCode).toBe(200);
  return res.json() as {
    valid: boolean;
    entries: number;
    headSeq: number | null;
    headHash: string | null;
    firstInvalidSeq: number | null;
    reason: string | null;
  };
};

describe('every change and every refusal is audited', () => {
  const expected: Array<{
    action: string;
    objectId: string;
    actorSub: string;
    outcome: 'allowed' | 'denied';
  }> = [];
  const allowed = (action: string, objectId: string, actorSub: string) =>
    expected.push({ action, objectId, actorSub, outcome: 'allowed' });
  const denied = (action: string, objectId: string, actorSub: string) =>
    expected.push({ action, objectId, actorSub, outcome: 'denied' });

  beforeAll(async () => {
    const ok = (res: LightMyRequestResponse, status: number) => {
      expect(res.statusCode).toBe(status);
      return res.statusCode === 204 ? undefined : res.json();
    };
    const hub = dir.as('hub.admin');
    const admin = dir.as('norrkoping.admin');

    const org = ok(
      await hub.post('/v1/organisations', {
        name: 'Granskad förening',
        kind: 'ngo',
        organisationNumber: `802400999${luhnCheckDigit('802400999')}`,
        countyCode: '05',
      }),
      201,
    );
    allowed('organisation.create', org.id, 'hub.admin');
    ok(
      await admin.patch(`/v1/organisations/${O.norrkoping}`, {
        website: 'https://norrkoping.example/',
      }),
      200,
    );
    allowed('organisation.update', O.norrkoping, 'norrkoping.admin');

    const root = await generateRootKey();
    ok(
      await hub.post(`/v1/organisations/${org.id}/root-keys`, {
        jwk: root.publicJwk,
        fingerprint: root.kid,
      }),
      201,
    );
    allowed('organisation.root_key_register', root.kid, 'hub.admin');
    ok(
      await hub.post(`/v1/organisations/${org.id}/root-keys/${root.kid}/revoke`, {
        reason: 'test',
      }),
      200,
    );
    allowed('organisation.root_key_revoke', root.kid, 'hub.admin');

    const unit = ok(
      await admin.post('/v1/units', {
        organisationId: O.norrkoping,
        name: 'Granskad enhet',
        capabilities: ['support_talks'],
        coverage: ['0581'],
        ageBands: ['adult'],
        genders: ['female'],
        openingHours: { timeZone: 'Europe/Stockholm', open247: true, weekly: [] },
      }),
      201,
    );
    allowed('unit.create', unit.id, 'norrkoping.admin');
    ok(await admin.patch(`/v1/units/${unit.id}`, { description: 'Ändrad' }), 200);
    allowed('unit.update', unit.id, 'norrkoping.admin');

    ok(
      await admin.post(`/v1/units/${unit.id}/members`, {
        userId: 'granskad.person',
        roles: ['caseworker'],
      }),
      201,
    );
    allowed('unit.member_add', unit.id, 'norrkoping.admin');
    const start = new Date(Date.now() + 2 * 86_400_000);
    const shift = ok(
      await admin.post(`/v1/units/${unit.id}/shifts`, {
        userId: 'granskad.person',
        startsAt: start.toISOString(),
        endsAt: new Date(start.getTime() + 8 * 3_600_000).toISOString(),
      }),
      201,
    );
    allowed('unit.shift_create', unit.id, 'norrkoping.admin');
    ok(await admin.delete(`/v1/units/${unit.id}/shifts/${shift.id}`), 204);
    allowed('unit.shift_delete', unit.id, 'norrkoping.admin');
    ok(await admin.delete(`/v1/units/${unit.id}/members/granskad.person`), 204);
    allowed('unit.member_remove', unit.id, 'norrkoping.admin');

    const key = await generateUnitEncryptionKey();
    const signed = await signUnitKey(dir.keys.roots[O.norrkoping]!, {
      unit: unit.id,
      org: O.norrkoping,
      use: 'enc',
      jwk: key.publicJwk,
    });
    ok(await admin.post(`/v1/units/${unit.id}/keys`, { signed }), 201);
    allowed('unit.key_publish', key.kid, 'norrkoping.admin');
    ok(await admin.post(`/v1/units/${unit.id}/keys/${key.kid}/retire`), 200);
    allowed('unit.key_retired', key.kid, 'norrkoping.admin');
    ok(await admin.post(`/v1/units/${unit.id}/keys/${key.kid}/revoke`, { reason: 'test' }), 200);
    allowed('unit.key_revoked', key.kid, 'norrkoping.admin');

    const pem = generateKeyPairSync('ed25519')
      .publicKey.export({ type: 'spki', format: 'pem' })
      .toString();
    const issuer = ok(
      await hub.post('/v1/issuers', {
        issuer: 'https://idp.granskad.example',
        organisationIds: [org.id],
        keySource: 'pem',
        publicKeyPem: pem,
      }),
      201,
    );
    allowed('issuer.create', issuer.id, 'hub.admin');
    ok(await hub.patch(`/v1/issuers/${issuer.id}`, { status: 'disabled' }), 200);
    allowed('issuer.update', issuer.id, 'hub.admin');
    ok(await hub.delete(`/v1/issuers/${issuer.id}`), 204);
    allowed('issuer.delete', issuer.id, 'hub.admin');

    // police.admin changing its own unit: allowed, and not about Norrköping
    ok(
      await dir
        .as('police.admin')
        .patch(`/v1/units/${U.policeResponseNorrkoping}`, { description: 'Polisens egna ändring' }),
      200,
    );
    allowed('unit.update', U.policeResponseNorrkoping, 'police.admin');

    // refusals
    ok(await dir.as('police.admin').patch(`/v1/units/${unit.id}`, { name: 'Kapad' }), 403);
    denied('unit.update', unit.id, 'police.admin');
    ok(
      await dir
        .as('frideborg.caseworker')
        .post(`/v1/units/${U.frideborg}/members`, { userId: 'x', roles: ['org_admin'] }),
      403,
    );
    denied('unit.member_add', U.frideborg, 'frideborg.caseworker');
    ok(
      await dir
        .as('novahuset.admin')
        .post(`/v1/units/${U.frideborg}/keys/${dir.keys.units[U.frideborg]!.enc.kid}/revoke`, {
          reason: 'sabotage',
        }),
      403,
    );
    denied('unit.key_revoked', dir.keys.units[U.frideborg]!.enc.kid, 'novahuset.admin');
    ok(
      await dir
        .as('police.admin')
        .post(
          `/v1/organisations/${O.norrkoping}/root-keys/${dir.keys.roots[O.norrkoping]!.kid}/revoke`,
          { reason: 'x' },
        ),
      403,
    );
    denied('organisation.root_key_revoke', dir.keys.roots[O.norrkoping]!.kid, 'police.admin');
  });

  it('has an entry for each change (allowed) and each refusal (denied)', async () => {
    const all = await readAudit('hub.admin');
    for (const e of expected) {
      const match = all.filter(
        (a) =>
          a.action === e.action &&
          a.objectId === e.objectId &&
          a.actorSub === e.actorSub &&
          a.outcome === e.outcome,
      );
      expect({ ...e, found: match.length }).toEqual({ ...e, found: 1 });
    }
  });

  it('records who acted, with their organisation and token issuer, and no more than ids and codes', async () => {
    const all = await readAudit('hub.admin', 'action=unit.member_add');
    const mine = all.find((a) => a.detail.userId === 'granskad.person')!;
    expect(mine).toMatchObject({
      actorSub: 'norrkoping.admin',
      actorOrg: O.norrkoping,
      actorIssuer: expect.any(String),
      objectType: 'unit',
      outcome: 'allowed',
      detail: { userId: 'granskad.person', roles: ['caseworker'] },
    });
    expect(Date.parse(mine.at)).not.toBeNaN();
  });

  it('filters by outcome and action', async () => {
    const deniedOnly = await readAudit('hub.admin', 'outcome=denied');
    expect(deniedOnly.length).toBeGreaterThanOrEqual(4);
    expect(deniedOnly.every((e) => e.outcome === 'denied')).toBe(true);
    const updates = await readAudit('hub.admin', 'action=unit.update');
    expect(updates.length).toBeGreaterThanOrEqual(3);
    expect(updates.every((e) => e.action === 'unit.update')).toBe(true);
  });
});

describe('who reads the audit trail', () => {
  it('shows a hub admin every entry, in seq order, page by page', async () => {
    const all = await readAudit('hub.admin', '', 7);
    expect(all.length).toBe(await rowCount());
    expect(all.map((e) => e.seq)).toEqual(all.map((_e, i) => i + 1));
  });

  it("shows Norrköping's auditor only entries whose actor or object belongs to Norrköping", async () => {
    const seen = await readAudit('norrkoping.auditor', '', 50);
    expect(seen.length).toBeGreaterThan(0);
    const rows = (await ds.query(
      'SELECT seq, actor_org, object_org FROM directory.audit_log',
    )) as Array<{
      seq: string;
      actor_org: string | null;
      object_org: string | null;
    }>;
    const about = new Set(
      rows
        .filter((r) => r.actor_org === O.norrkoping || r.object_org === O.norrkoping)
        .map((r) => Number(r.seq)),
    );
    expect(seen.map((e) => e.seq)).toEqual([...about].sort((a, b) => a - b));
    // the seed's and hub admin's changes to Norrköping's units are there, the police's own are not
    expect(
      seen.some(
        (e) =>
          e.actorSub === 'system:seed' && e.objectId === U.frideborg && e.action === 'unit.create',
      ),
    ).toBe(true);
    expect(
      seen.some(
        (e) =>
          e.actorSub === 'police.admin' && e.action === 'unit.update' && e.outcome === 'denied',
      ),
    ).toBe(true);
    expect(seen.some((e) => e.objectId === U.policeResponseNorrkoping)).toBe(false);
    expect(seen.some((e) => e.action === 'issuer.create')).toBe(false);
  });

  it('refuses a police officer with 403, and audits that refusal', async () => {
    expectProblem(await dir.as('police.officer').get('/v1/audit/directory'), 403, 'forbidden');
    expectProblem(
      await dir.as('police.officer').get('/v1/audit/directory/verify'),
      403,
      'forbidden',
    );
    expectProblem(await dir.as('norrkoping.admin').get('/v1/audit/directory'), 403, 'forbidden');
    const refusals = await readAudit('hub.admin', 'outcome=denied');
    expect(refusals).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          actorSub: 'police.officer',
          actorOrg: O.policeOst,
          action: 'audit.read',
          objectType: 'audit_log',
        }),
        expect.objectContaining({ actorSub: 'police.officer', action: 'audit.verify' }),
        expect.objectContaining({ actorSub: 'norrkoping.admin', action: 'audit.read' }),
      ]),
    );
  });
});

describe('verifying the hash chain', () => {
  it('reports an intact chain, with the number of entries and the head hash', async () => {
    const all = await readAudit('hub.admin', '', 500);
    const result = await verify();
    const head = all[all.length - 1]!;
    expect(result).toEqual({
      valid: true,
      entries: all.length,
      headSeq: head.seq,
      headHash: head.hash,
      firstInvalidSeq: null,
      reason: null,
      recordedHead: { seq: head.seq, hash: head.hash },
      latestCheckpoint: null,
      checkpointsChecked: 0,
      truncated: false,
      forked: false,
      pin: null,
      pending: 0,
      oldestPendingAgeMs: null,
    });
    expect(await verify('hub.admin')).toEqual(result);
    for (let i = 1; i < all.length; i += 1) {
      expect(all[i]!.prevHash).toBe(all[i - 1]!.hash);
    }
  });

  it('refuses UPDATE, DELETE and TRUNCATE while the append-only trigger is on', async () => {
    await expect(
      ds.query(`UPDATE directory.audit_log SET action = 'nothing' WHERE seq = 1`),
    ).rejects.toThrow(/append-only/);
    await expect(ds.query(`DELETE FROM directory.audit_log WHERE seq = 1`)).rejects.toThrow(
      /append-only/,
    );
    await expect(ds.query(`TRUNCATE directory.audit_log`)).rejects.toThrow(/append-only/);
    expect((await verify()).valid).toBe(true);
  });

  describe('after tampering by someone able to disable the trigger', () => {
    let target: number;
    let intact: Awaited<ReturnType<typeof verify>>;
    beforeAll(async () => {
      intact = await verify();
      // a denied entry in the middle: the kind of trace someone would want gone
      const [row] = await ds.query(
        `SELECT seq FROM directory.audit_log WHERE outcome = 'denied' AND actor_sub = 'police.admin' ORDER BY seq LIMIT 1`,
      );
      target = Number(row.seq);
      expect(target).toBeLessThan(intact.entries);
      await ds.query('ALTER TABLE directory.audit_log DISABLE TRIGGER audit_log_append_only');
      await ds.query('CREATE TABLE directory.audit_log_saved AS SELECT * FROM directory.audit_log');
    });
    afterAll(async () => {
      await ds.query('DROP TABLE IF EXISTS directory.audit_log_saved');
      await ds.query('ALTER TABLE directory.audit_log ENABLE TRIGGER audit_log_append_only');
    });
    const restore = async () => {
      await ds.query('DELETE FROM directory.audit_log');
      await ds.query('INSERT INTO directory.audit_log SELECT * FROM directory.audit_log_saved');
      expect(await verify()).toEqual(intact);
    };

    it("detects an edited entry's detail", async () => {
      await ds.query(
        `UPDATE directory.audit_log SET detail = '{"note":"nothing happened"}' WHERE seq = $1`,
        [target],
      );
      const result = await verify();
      expect(result).toMatchObject({ valid: false, firstInvalidSeq: target, entries: target - 1 });
      expect(result.reason).toContain(String(target));
      await restore();
    });

    it("detects an edited entry's action", async () => {
      await ds.query(`UPDATE directory.audit_log SET action = 'unit.read' WHERE seq = $1`, [
        target,
      ]);
      expect(await verify()).toMatchObject({ valid: false, firstInvalidSeq: target });
      await restore();
    });

    it('detects a denial rewritten as allowed', async () => {
      await ds.query(`UPDATE directory.audit_log SET outcome = 'allowed' WHERE seq = $1`, [target]);
      expect(await verify('hub.admin')).toMatchObject({ valid: false, firstInvalidSeq: target });
      await restore();
    });

    it('detects a deleted entry', async () => {
      await ds.query(`DELETE FROM directory.audit_log WHERE seq = $1`, [target]);
      const result = await verify();
      expect(result).toMatchObject({ valid: false, firstInvalidSeq: target });
      await restore();
    });

    it('detects a deleted entry whose successors were renumbered', async () => {
      await ds.query(`DELETE FROM directory.audit_log WHERE seq = $1`, [target]);
      // in two steps, so that no intermediate state collides on the primary key
      await ds.query(`UPDATE directory.audit_log SET seq = -seq WHERE seq > $1`, [target]);
      await ds.query(`UPDATE directory.audit_log SET seq = -seq - 1 WHERE seq < 0`);
      expect(await verify()).toMatchObject({ valid: false, firstInvalidSeq: target });
      await restore();
    });
  });
});

describeAuditChainer({
  service: 'directory',
  refusedUser: 'police.officer',
  target: () => ({
    dataSource: ds,
    audit: dir.app.directory.context.audit,
    databaseUrl: dir.db.url,
    get: (user, url) => dir.as(user).get(url),
  }),
});
