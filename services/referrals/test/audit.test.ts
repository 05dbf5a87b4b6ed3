/**
 * The audit trail (docs/architecture.md#audit): every envelope read, every change and every denied attempt is an
 * entry; auditors see their own organisation's entries; the hash chain verifies, and an edited
 * or deleted row is found — while the table refuses edits outright unless its guard trigger is
 * switched off.
 */
import { DEMO_ORGANISATIONS as O, DEMO_UNITS as U } from '@samverkan/shared';
import { agencyClient } from './helpers/agency-client';
import { buildHub, type TestHub } from './helpers/build';
import { envelopeSecrets } from './helpers/envelopes';
import { prepareReferral, type Party, type PreparedReferral } from './helpers/lifecycle';
import { auditRows, mintToken, withToken } from './helpers/requests';

let hub: TestHub;
let referral: PreparedReferral;
/** Socialjour (Norrköping) to the regional coordinator, read by the coordinator. */
let toCoordinator: PreparedReferral;
/** Socialjour to Frideborg (both Norrköping), which a police officer tries to read. */
let frideborgs: PreparedReferral;

const POLICE: Party = { user: 'police.officer', unitId: U.policeTraffickingOst };
const FRIDEBORG: Party = { user: 'frideborg.caseworker', unitId: U.frideborg };
const SOCIALJOUR: Party = { user: 'socialjour.caseworker', unitId: U.socialjour };
const COORDINATOR: Party = { user: 'coordinator.ostergotland', unitId: U.coordinator };

interface Entry {
  seq: number;
  actorSub: string;
  actorOrg: string | null;
  action: string;
  objectId: string | null;
  objectOrg: string | null;
  outcome: 'allowed' | 'denied';
  detail: Record<string, unknown>;
  partyOrgs: string[];
  prevHash: string;
  hash: string;
}

async function entries(user: Parameters<TestHub['as']>[0], query = ''): Promise<Entry[]> {
  const all: Entry[] = [];
  let after = 0;
  for (;;) {
    const res = await hub.as(user).get(`/v1/audit/referrals?limit=500&after=${after}${query}`);
    expect(res.statusCode).toBe(200);
    const page = res.json() as { items: Entry[]; nextAfter: number | null };
    all.push(...page.items);
    if (page.nextAfter === null) {
      return all;
    }
    after = page.nextAfter;
  }
}

async function verify() {
  const res = await hub.as('norrkoping.auditor').get('/v1/audit/referrals/verify');
  expect(res.statusCode).toBe(200);
  return res.json() as { valid: boolean; firstInvalidSeq: number | null; reason: string | null };
}

const sql = (text: string, params: unknown[] = []) =>
  hub.referrals.context.dataSource.query(text, params);

beforeAll(async () => {
  hub = await buildHub();
  referral = await prepareReferral(hub, { sender: POLICE, recipient: FRIDEBORG });
  // An envelope read by each side, a transition, and attempts that are refused.
  await agencyClient(hub, 'police.officer', U.policeTraffickingOst).open(referral.id);
  await agencyClient(hub, 'frideborg.caseworker', U.frideborg).open(referral.id);
  expect(
    (await hub.as('frideborg.caseworker').post(`/v1/referrals/${referral.id}/acknowledge`))
      .statusCode,
  ).toBe(200);
  expect(
    (await hub.as('umea.caseworker').get(`/v1/referrals/${referral.id}/envelope`)).statusCode,
  ).toBe(404);
  expect(
    (await hub.as('police.officer').post(`/v1/referrals/${referral.id}/accept`)).statusCode,
  ).toBe(403);
  expect(
    (await hub.as('socialjour.caseworker').get(`/v1/referrals?box=inbox&unit=${U.frideborg}`))
      .statusCode,
  ).toBe(403);
  expect((await hub.as('police.officer').get('/v1/audit/referrals')).statusCode).toBe(403);

  // Other organisations touching Norrköping's referrals.
  toCoordinator = await prepareReferral(hub, { sender: SOCIALJOUR, recipient: COORDINATOR });
  await agencyClient(hub, 'coordinator.ostergotland', U.coordinator).open(toCoordinator.id);
  frideborgs = await prepareReferral(hub, { sender: SOCIALJOUR, recipient: FRIDEBORG });
  expect(
    (await hub.as('police.officer').get(`/v1/referrals/${frideborgs.id}/envelope`)).statusCode,
  ).toBe(404);
});
afterAll(async () => {
  await hub?.close();
});

describe('what is recorded', () => {
  it('records every envelope read, with the reader and the side it read as', async () => {
    const reads = (await entries('hub.admin', '&action=referral.envelope_read')).filter(
      (e) => e.objectId === referral.id,
    );
    expect(reads).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          actorSub: 'police.officer',
          actorOrg: O.policeOst,
          outcome: 'allowed',
          detail: { side: 'sender' },
        }),
        expect.objectContaining({
          actorSub: 'frideborg.caseworker',
          actorOrg: O.norrkoping,
          outcome: 'allowed',
          detail: { side: 'recipient' },
        }),
        expect.objectContaining({
          actorSub: 'umea.caseworker',
          outcome: 'denied',
          detail: { refused: 'REFERRALS_REFERRAL_NOT_FOUND' },
        }),
      ]),
    );
  });

  it('records the send and each transition as allowed changes', async () => {
    const rows = await auditRows(hub, { objectId: referral.id });
    const allowed = rows.filter((r) => r.outcome === 'allowed').map((r) => r.action);
    expect(allowed).toEqual(
      expect.arrayContaining(['referral.send', 'referral.acknowledge', 'referral.envelope_read']),
    );
    expect(rows.find((r) => r.action === 'referral.acknowledge')).toMatchObject({
      actorSub: 'frideborg.caseworker',
      outcome: 'allowed',
      detail: { side: 'recipient' },
    });
  });

  it('records denied attempts: wrong side, outsiders, unit lists, the audit log itself', async () => {
    const denied = await entries('hub.admin', '&outcome=denied');
    expect(denied).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          actorSub: 'police.officer',
          action: 'referral.accept',
          objectId: referral.id,
          detail: expect.objectContaining({ refused: 'REFERRALS_NOT_MEMBER_OF_RECIPIENT' }),
        }),
        expect.objectContaining({
          actorSub: 'socialjour.caseworker',
          action: 'referral.list',
          objectId: U.frideborg,
        }),
        expect.objectContaining({ actorSub: 'police.officer', action: 'audit.read' }),
      ]),
    );
    expect(denied.every((e) => e.outcome === 'denied')).toBe(true);
  });

  it('holds no envelope in any entry', async () => {
    const body = JSON.stringify(await entries('hub.admin'));
    for (const secret of envelopeSecrets(referral.envelope)) {
      expect(body).not.toContain(secret);
    }
  });
});

describe('who reads it', () => {
  it("shows an auditor only their own organisation's entries", async () => {
    const seen = await entries('norrkoping.auditor');
    expect(seen.length).toBeGreaterThan(0);
    for (const e of seen) {
      expect([e.actorOrg, e.objectOrg, ...e.partyOrgs]).toContain(O.norrkoping);
    }
    expect(seen.map((e) => e.actorSub)).toContain('frideborg.caseworker');
    // Umeå's refused attempt on Frideborg's referral shows, because Frideborg is a party.
    expect(seen).toContainEqual(
      expect.objectContaining({ actorSub: 'umea.caseworker', outcome: 'denied' }),
    );
    // The police officer's own audit-log attempt concerns only the police.
    expect(
      seen.find((e) => e.actorSub === 'police.officer' && e.action === 'audit.read'),
    ).toBeUndefined();
  });

  it("shows every party's auditor each access to its referrals, by whoever made it", async () => {
    const seen = await entries('norrkoping.auditor');
    // The coordinator (another organisation) opening Socialjour's referral.
    expect(seen).toContainEqual(
      expect.objectContaining({
        actorSub: 'coordinator.ostergotland',
        actorOrg: O.coordinator,
        action: 'referral.envelope_read',
        objectId: toCoordinator.id,
        outcome: 'allowed',
        partyOrgs: [O.norrkoping, O.coordinator].sort(),
      }),
    );
    // A police officer's refused attempt on Frideborg's referral.
    expect(seen).toContainEqual(
      expect.objectContaining({
        actorSub: 'police.officer',
        actorOrg: O.policeOst,
        action: 'referral.envelope_read',
        objectId: frideborgs.id,
        outcome: 'denied',
        partyOrgs: [O.norrkoping],
      }),
    );
    // Police's own referral to Frideborg: both parties' auditors see its reads.
    expect(seen).toContainEqual(
      expect.objectContaining({
        actorSub: 'police.officer',
        action: 'referral.envelope_read',
        objectId: referral.id,
        partyOrgs: [O.norrkoping, O.policeOst].sort(),
      }),
    );
  });

  it('keeps those entries from the auditors of organisations that are no party', async () => {
    const umeaAuditor = withToken(
      hub,
      await mintToken(hub, { sub: 'umea.auditor', org: O.umea, units: [], roles: ['auditor'] }),
    );
    const res = await umeaAuditor.get('/v1/audit/referrals?limit=500');
    expect(res.statusCode).toBe(200);
    // Only what Umeå's own people did (a refused attempt on the police's referral).
    const seen = res.json().items as Entry[];
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.every((e) => e.actorOrg === O.umea)).toBe(true);
    expect(seen.map((e) => e.objectId)).not.toContain(toCoordinator.id);
    expect(seen.map((e) => e.objectId)).not.toContain(frideborgs.id);
  });

  it("shows another organisation's auditor theirs, and not Norrköping's", async () => {
    const policeAuditor = withToken(
      hub,
      await mintToken(hub, {
        sub: 'police.auditor',
        org: O.policeOst,
        units: [],
        roles: ['auditor'],
      }),
    );
    const res = await policeAuditor.get('/v1/audit/referrals?limit=500');
    expect(res.statusCode).toBe(200);
    const seen = res.json().items as Entry[];
    expect(seen.map((e) => e.actorSub)).toContain('police.officer');
    for (const e of seen) {
      expect([e.actorOrg, e.objectOrg, ...e.partyOrgs]).toContain(O.policeOst);
    }
    // Frideborg's reads of the police's referral, but nothing of Socialjour's referrals.
    const fromNorrkoping = seen.filter((e) => e.actorSub === 'frideborg.caseworker');
    expect(fromNorrkoping.length).toBeGreaterThan(0);
    expect(fromNorrkoping.every((e) => e.objectId === referral.id)).toBe(true);
    expect(seen.map((e) => e.objectId)).not.toContain(toCoordinator.id);
  });

  it('shows a hub admin every entry', async () => {
    const all = await entries('hub.admin');
    const [row] = (await sql('SELECT count(*)::int AS n FROM referrals.audit_log')) as Array<{
      n: number;
    }>;
    // the admin's own reads append entries only after the query ran
    expect(all.length).toBeGreaterThanOrEqual(row!.n - 1);
    expect(all.map((e) => e.seq)).toEqual(all.map((_e, i) => i + 1));
  });
});

describe('the access log of a referral', () => {
  interface Access {
    at: string;
    action: string;
    outcome: string;
    person: string;
    organisationId: string | null;
    side: string | null;
    unitId: string | null;
    refused: string | null;
  }

  it('shows the parties who opened it and when, and every refused attempt, by whom', async () => {
    const res = await hub.as('frideborg.caseworker').get(`/v1/referrals/${referral.id}/access-log`);
    expect(res.statusCode).toBe(200);
    const body = res.json() as { referralId: string; items: Access[] };
    expect(body.referralId).toBe(referral.id);
    expect(body.items).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          action: 'referral.envelope_read',
          outcome: 'allowed',
          person: 'police.officer',
          organisationId: O.policeOst,
          side: 'sender',
          unitId: U.policeTraffickingOst,
        }),
        expect.objectContaining({
          action: 'referral.envelope_read',
          outcome: 'allowed',
          person: 'frideborg.caseworker',
          organisationId: O.norrkoping,
          side: 'recipient',
          unitId: U.frideborg,
        }),
        expect.objectContaining({
          action: 'referral.envelope_read',
          outcome: 'denied',
          person: 'umea.caseworker',
          organisationId: O.umea,
          refused: 'REFERRALS_REFERRAL_NOT_FOUND',
        }),
        expect.objectContaining({
          action: 'referral.accept',
          outcome: 'denied',
          person: 'police.officer',
          refused: 'REFERRALS_NOT_MEMBER_OF_RECIPIENT',
        }),
      ]),
    );
    // Changes are the timeline's, not the access log's.
    expect(body.items.map((e) => e.action)).not.toContain('referral.acknowledge');
    const times = body.items.map((e) => e.at);
    expect([...times].sort()).toEqual(times);
  });

  it('is for the parties only, and reading it is audited', async () => {
    for (const user of [
      'umea.caseworker',
      'norrkoping.auditor',
      'lansstyrelsen.analyst',
    ] as const) {
      const res = await hub.as(user).get(`/v1/referrals/${referral.id}/access-log`);
      expect({ user, status: res.statusCode }).toEqual({ user, status: 404 });
    }
    const police = await hub.as('police.officer').get(`/v1/referrals/${referral.id}/access-log`);
    expect(police.statusCode).toBe(200);
    const reads = await auditRows(hub, {
      objectId: referral.id,
      action: 'referral.access_log_read',
    });
    expect(reads.map((r) => [r.actorSub, r.outcome])).toEqual(
      expect.arrayContaining([
        ['frideborg.caseworker', 'allowed'],
        ['police.officer', 'allowed'],
        ['umea.caseworker', 'denied'],
      ]),
    );
  });
});

describe('the hash chain', () => {
  it('verifies', async () => {
    expect(await verify()).toMatchObject({ valid: true, firstInvalidSeq: null });
  });

  it('refuses UPDATE and DELETE while the append-only trigger is on', async () => {
    await expect(
      sql(`UPDATE referrals.audit_log SET outcome = 'allowed' WHERE outcome = 'denied'`),
    ).rejects.toThrow(/append-only/);
    await expect(sql('DELETE FROM referrals.audit_log WHERE seq = 1')).rejects.toThrow(
      /append-only/,
    );
    await expect(sql('TRUNCATE referrals.audit_log')).rejects.toThrow(/append-only/);
    expect(await verify()).toMatchObject({ valid: true });
  });

  it('finds an edited row, and then a deleted one, by its seq', async () => {
    const [target] = await auditRows(hub, {
      objectId: referral.id,
      action: 'referral.acknowledge',
    });
    expect(target).toBeDefined();
    const seq = target!.seq;
    await sql('ALTER TABLE referrals.audit_log DISABLE TRIGGER audit_log_append_only');
    try {
      // Someone hides who acknowledged.
      await sql(`UPDATE referrals.audit_log SET actor_sub = 'someone.else' WHERE seq = $1`, [seq]);
      const edited = await verify();
      expect(edited).toMatchObject({ valid: false, firstInvalidSeq: seq });
      expect(edited.reason).toContain(String(seq));

      // Put back as it was: the chain holds again.
      await sql('UPDATE referrals.audit_log SET actor_sub = $2 WHERE seq = $1', [
        seq,
        target!.actorSub,
      ]);
      expect(await verify()).toMatchObject({ valid: true });

      // Someone removes the entry altogether.
      await sql('DELETE FROM referrals.audit_log WHERE seq = $1', [seq]);
      expect(await verify()).toMatchObject({ valid: false, firstInvalidSeq: seq });
    } finally {
      await sql('ALTER TABLE referrals.audit_log ENABLE TRIGGER audit_log_append_only');
    }
    await expect(
      sql(`UPDATE referrals.audit_log SET actor_sub = 'x' WHERE seq = $1`, [seq + 1]),
    ).rejects.toThrow(/append-only/);
  });
});
