/**
 * Retention with legal holds (docs/retention.md): the purger removes a referral's envelope and
 * thread a set time after its final state, leaves held and open ones alone, audits each purge
 * with the parties, publishes an event, keeps the audit chain verifiable and the statistics the
 * same; a legal hold is placed and lifted by whom docs/retention.md says; the timeline goes much
 * later; several replicas purging at once purge each referral once.
 */
import { DEMO_ORGANISATIONS as O, DEMO_UNITS as U } from '@samverkan/shared';
import { randomUUID } from 'node:crypto';
import { ClearLegacyClearText1797000000005 } from '../src/migrations/1797000000005-ClearLegacyClearText';
import { RetentionPurger } from '../src/records/retention-purger';
import { buildHub, type TestHub } from './helpers/build';
import { prepareReferral, type Party } from './helpers/lifecycle';
import { messageClient } from './helpers/message-client';
import { activeOperation, fieldRequestBody, ok } from './helpers/operations';

let hub: TestHub;
const sql = (text: string, params: unknown[] = []) =>
  hub.referrals.context.dataSource.query(text, params) as Promise<Array<Record<string, unknown>>>;
/** Audit entries are chained after commit (docs/audit.md): chain what waits, then read. */
async function auditRows(text: string, params: unknown[] = []) {
  await hub.referrals.context.audit.chainPending();
  return sql(text, params);
}
const problem = (slug: string) => `urn:samverkan:problem:${slug}`;
const DAY = 86_400_000;

const police: Party = { user: 'police.officer', unitId: U.policeTraffickingOst };
const frideborg: Party = { user: 'frideborg.caseworker', unitId: U.frideborg };

let purgeMe: string; // closed 100 days ago, with a message thread
let held: string; // closed 100 days ago, under a legal hold
let recent: string; // closed 10 days ago
let open: string; // accepted, still open

async function closedDaysAgo(id: string, days: number) {
  await sql(
    `UPDATE referrals.referrals SET closed_at = now() - $2 * interval '1 day',
            updated_at = now() - $2 * interval '1 day' WHERE id = $1`,
    [id, days],
  );
}

async function statistics(query: string) {
  const res = await hub.as('lansstyrelsen.analyst').get(`/v1/statistics/referrals?${query}`);
  expect(res.statusCode).toBe(200);
  return res.json() as unknown;
}

const purger = () => hub.referrals.records.purger;

const LEGACY_TEXT = 'LEGACY-CLEAR-TEXT Anna, 17, threatened by her boyfriend';
async function legacyClearText(id: string) {
  await sql(`UPDATE referrals.referrals SET justification = $2 WHERE id = $1`, [id, LEGACY_TEXT]);
  await sql(
    `INSERT INTO referrals.referral_events (id, referral_id, at, event, actor_unit_id, detail)
     VALUES ($1, $2, now(), 'declined', NULL, $3)`,
    [randomUUID(), id, JSON.stringify({ reason: 'other', note: LEGACY_TEXT })],
  );
}
async function legacyTextOf(id: string) {
  const [row] = await sql(
    `SELECT justification,
            (SELECT count(*)::int FROM referrals.referral_events e
              WHERE e.referral_id = r.id AND e.detail->>'note' = $2) AS notes
       FROM referrals.referrals r WHERE r.id = $1`,
    [id, LEGACY_TEXT],
  );
  return { justification: row!.justification, notes: row!.notes };
}

beforeAll(async () => {
  hub = await buildHub();
  // One referral with a thread: accepted, a message each way, then handed over and closed.
  purgeMe = (
    await prepareReferral(hub, { sender: police, recipient: frideborg, state: 'accepted' })
  ).id;
  const fromPolice = await messageClient(hub, 'police.officer', U.policeTraffickingOst).message(
    purgeMe,
    [U.frideborg],
    'RETENTION-MARKER a question',
  );
  expect(
    (await hub.as('police.officer').post(`/v1/referrals/${purgeMe}/messages`, fromPolice))
      .statusCode,
  ).toBe(201);
  const plan = { mode: 'in_person', plannedFor: new Date(Date.now() + 3_600_000).toISOString() };
  for (const [user, action, body] of [
    ['frideborg.caseworker', 'handover', plan],
    ['police.officer', 'confirm-handover', { side: 'sender' }],
    ['frideborg.caseworker', 'confirm-handover', { side: 'recipient' }],
    ['frideborg.caseworker', 'close', { outcome: 'support_started' }],
  ] as const) {
    expect((await hub.as(user).post(`/v1/referrals/${purgeMe}/${action}`, body)).statusCode).toBe(
      200,
    );
  }
  held = (await prepareReferral(hub, { sender: police, recipient: frideborg, state: 'closed' })).id;
  recent = (await prepareReferral(hub, { sender: police, recipient: frideborg, state: 'closed' }))
    .id;
  open = (await prepareReferral(hub, { sender: police, recipient: frideborg, state: 'accepted' }))
    .id;
  await closedDaysAgo(purgeMe, 100);
  await closedDaysAgo(held, 100);
  await closedDaysAgo(recent, 10);
});
afterAll(async () => {
  await hub?.close();
});

describe('legal holds', () => {
  it('a caseworker of a party unit places one; others may not see it', async () => {
    const res = await hub.as('frideborg.caseworker').post(`/v1/referrals/${held}/legal-hold`, {
      reason: 'court_proceedings',
      reference: 'NKPG-2026/123',
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      referralId: held,
      held: true,
      holds: [
        {
          organisationId: O.norrkoping,
          reason: 'court_proceedings',
          reference: 'NKPG-2026/123',
          placedBy: 'frideborg.caseworker',
        },
      ],
      retention: { contentRetentionDays: 90, contentPurgeDueAt: null, contentPurgedAt: null },
    });
    expect(
      (await hub.as('umea.caseworker').get(`/v1/referrals/${held}/legal-hold`)).statusCode,
    ).toBe(404);
    expect(
      (await hub.as('lansstyrelsen.analyst').get(`/v1/referrals/${held}/legal-hold`)).statusCode,
    ).toBe(404);
    // The police (sender's organisation) sees Norrköping's hold.
    expect(
      (await hub.as('police.officer').get(`/v1/referrals/${held}/legal-hold`)).json().held,
    ).toBe(true);
    const entries = await auditRows(
      `SELECT action, outcome, party_orgs FROM referrals.audit_log
        WHERE object_id = $1 AND action LIKE 'referral.legal_hold%' ORDER BY seq`,
      [held],
    );
    expect(entries.map((e) => [e.action, e.outcome])).toEqual(
      expect.arrayContaining([
        ['referral.legal_hold_place', 'allowed'],
        ['referral.legal_hold_read', 'denied'],
      ]),
    );
    expect(entries[0]!.party_orgs).toEqual(expect.arrayContaining([O.norrkoping, O.policeOst]));
  });

  it('refuses a reason that is free text, with the field named', async () => {
    const res = await hub
      .as('frideborg.caseworker')
      .post(`/v1/referrals/${held}/legal-hold`, { reason: 'because she said so' });
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(JSON.stringify(res.json().errors)).toContain('reason');
  });

  it('shows when an unheld final referral is due', async () => {
    const state = (
      await hub.as('frideborg.caseworker').get(`/v1/referrals/${recent}/legal-hold`)
    ).json();
    expect(state.held).toBe(false);
    const due = new Date(state.retention.contentPurgeDueAt).getTime();
    expect(Math.abs(due - (Date.now() + 80 * DAY))).toBeLessThan(DAY);
    const openState = (
      await hub.as('frideborg.caseworker').get(`/v1/referrals/${open}/legal-hold`)
    ).json();
    expect(openState.retention).toMatchObject({ finalSince: null, contentPurgeDueAt: null });
  });
});

describe('the purger', () => {
  let before: unknown[];

  beforeAll(async () => {
    before = await Promise.all([
      statistics('groupBy=gender'),
      statistics('groupBy=category&groupBy=ageBand'),
      statistics('groupBy=municipality&groupBy=outcome'),
    ]);
    // Free text as rows written before sealed notes kept it (issue 12): in the justification
    // column and in a `declined` timeline entry's note.
    for (const id of [purgeMe, held]) {
      await legacyClearText(id);
    }
    const result = await purger().purge();
    expect(result).toMatchObject({ referrals: 1, fieldRequests: 0, timelines: 0, ran: true });
  });

  it('clears clear text written before sealed notes with the content; a held referral keeps it', async () => {
    expect(await legacyTextOf(purgeMe)).toEqual({ justification: null, notes: 0 });
    expect(await legacyTextOf(held)).toEqual({ justification: LEGACY_TEXT, notes: 1 });
    const [entry] = await auditRows(
      `SELECT detail FROM referrals.audit_log WHERE action = 'referral.content_purge' AND object_id = $1`,
      [purgeMe],
    );
    // The purge's audit entry counts what it cleared; it never holds the text.
    expect(entry!.detail).toMatchObject({ legacyClearTextCleared: 2 });
    expect(JSON.stringify(entry)).not.toContain(LEGACY_TEXT);
  });

  it('the one-off migration clears it from referrals purged before, and only those', async () => {
    await legacyClearText(purgeMe); // as a purge by the previous version left it
    const runner = hub.referrals.context.dataSource.createQueryRunner();
    try {
      await new ClearLegacyClearText1797000000005().up(runner);
    } finally {
      await runner.release();
    }
    expect(await legacyTextOf(purgeMe)).toEqual({ justification: null, notes: 0 });
    expect(await legacyTextOf(held)).toEqual({ justification: LEGACY_TEXT, notes: 1 });
  });

  it('removes the envelope and thread of a referral past its retention: 410 content-purged', async () => {
    const res = await hub.as('frideborg.caseworker').get(`/v1/referrals/${purgeMe}/envelope`);
    expect(res.statusCode).toBe(410);
    expect(res.json()).toMatchObject({
      type: problem('content-purged'),
      code: 'REFERRALS_CONTENT_PURGED',
    });
    expect(
      JSON.stringify(
        await sql('SELECT envelope FROM referrals.referrals WHERE id = $1', [purgeMe]),
      ),
    ).not.toContain('protected');
    expect(
      await sql('SELECT id FROM referrals.referral_messages WHERE referral_id = $1', [purgeMe]),
    ).toEqual([]);
    const messages = await hub.as('police.officer').get(`/v1/referrals/${purgeMe}/messages`);
    expect(messages.json().items).toEqual([]);
    // The record and its timeline stay for now.
    expect(
      (await hub.as('frideborg.caseworker').get(`/v1/referrals/${purgeMe}`)).json().status,
    ).toBe('closed');
    expect(
      (await hub.as('frideborg.caseworker').get(`/v1/referrals/${purgeMe}/timeline`)).statusCode,
    ).toBe(200);
  });

  it('leaves held, recent and open referrals alone', async () => {
    for (const id of [held, recent, open]) {
      const res = await hub.as('frideborg.caseworker').get(`/v1/referrals/${id}/envelope`);
      expect(res.statusCode).toBe(200);
      expect(res.json().envelope.protected).toBeDefined();
    }
  });

  it('audits the purge with the parties and publishes an event', async () => {
    const [entry] = await auditRows(
      `SELECT actor_sub, outcome, party_orgs, detail FROM referrals.audit_log
        WHERE object_id = $1 AND action = 'referral.content_purge'`,
      [purgeMe],
    );
    expect(entry).toMatchObject({ actor_sub: 'system:retention', outcome: 'allowed' });
    expect(entry!.party_orgs).toEqual(expect.arrayContaining([O.norrkoping, O.policeOst]));
    expect(entry!.detail).toMatchObject({ retentionDays: 90, messages: 1 });
    const events = await sql(
      `SELECT payload FROM referrals.outbox WHERE type = 'samverkan.referrals.referral.content_purged'`,
    );
    expect(events).toHaveLength(1);
    expect(JSON.stringify(events[0]!.payload)).toContain(purgeMe);
    // The police officer's auditor sees it among the police's entries.
    const audit = await hub
      .as('norrkoping.auditor')
      .get('/v1/audit/referrals?action=referral.content_purge');
    expect(audit.statusCode).toBe(200);
  });

  it('leaves the audit chain verifiable', async () => {
    const res = await hub.as('norrkoping.auditor').get('/v1/audit/referrals/verify');
    expect(res.statusCode).toBe(200);
    expect(res.json().valid).toBe(true);
  });

  it('gives the same statistics after the purge as before it', async () => {
    const after = await Promise.all([
      statistics('groupBy=gender'),
      statistics('groupBy=category&groupBy=ageBand'),
      statistics('groupBy=municipality&groupBy=outcome'),
    ]);
    expect(after).toEqual(before);
  });

  it('does nothing twice', async () => {
    expect(await purger().purge()).toMatchObject({ referrals: 0, ran: true });
  });

  it('a legal hold on purged content is refused: 409 legal-hold-too-late', async () => {
    const res = await hub
      .as('frideborg.caseworker')
      .post(`/v1/referrals/${purgeMe}/legal-hold`, { reason: 'complaint' });
    expect(res.statusCode).toBe(409);
    expect(res.json().type).toBe(problem('legal-hold-too-late'));
  });
});

describe('lifting a hold', () => {
  it('is not for the caseworker who placed it, nor for another organisation', async () => {
    const byCaseworker = await hub
      .as('frideborg.caseworker')
      .delete(`/v1/referrals/${held}/legal-hold`);
    expect(byCaseworker.statusCode).toBe(403);
    // The police's organisation has no hold of its own to lift.
    const byPolice = await hub.as('police.officer').delete(`/v1/referrals/${held}/legal-hold`);
    expect(byPolice.statusCode).toBe(403);
  });

  it("the holding organisation's admin lifts it, and the next pass purges", async () => {
    const res = await hub.as('norrkoping.admin').delete(`/v1/referrals/${held}/legal-hold`);
    expect(res.statusCode).toBe(200);
    expect(res.json().held).toBe(false);
    expect(await purger().purge()).toMatchObject({ referrals: 1 });
    expect(
      (await hub.as('frideborg.caseworker').get(`/v1/referrals/${held}/envelope`)).statusCode,
    ).toBe(410);
    const state = (
      await hub.as('norrkoping.auditor').get(`/v1/referrals/${held}/legal-hold`)
    ).json();
    expect(state.retention.contentPurgedAt).not.toBeNull();
  });
});

describe('several replicas', () => {
  it('purge each referral once', async () => {
    const ids = [];
    for (let i = 0; i < 3; i += 1) {
      const { id } = await prepareReferral(hub, {
        sender: police,
        recipient: frideborg,
        state: 'declined',
      });
      await sql(
        `UPDATE referrals.referrals SET declined_at = now() - interval '200 days' WHERE id = $1`,
        [id],
      );
      ids.push(id);
    }
    const replicas = [
      purger(),
      new RetentionPurger(
        {
          dataSource: hub.referrals.context.dataSource,
          events: hub.referrals.context.events,
          audit: hub.referrals.context.audit,
          retention: hub.referrals.records.retention,
        },
        hub.app.log,
      ),
    ];
    const results = await Promise.all(replicas.map((r) => r.purge()));
    expect(results.reduce((n, r) => n + r.referrals, 0)).toBe(3);
    const entries = await auditRows(
      `SELECT object_id FROM referrals.audit_log WHERE action = 'referral.content_purge' AND object_id = ANY($1)`,
      [ids],
    );
    expect(entries).toHaveLength(3);
  });
});

describe('the timeline', () => {
  it('goes after its own, longer period; statistics stay', async () => {
    const before = await statistics('groupBy=gender&groupBy=outcome');
    await sql(
      `UPDATE referrals.content_purges SET closed_at = now() - interval '2000 days' WHERE object_id = $1`,
      [purgeMe],
    );
    expect(await purger().purge()).toMatchObject({ timelines: 1 });
    expect(
      await sql('SELECT id FROM referrals.referral_events WHERE referral_id = $1', [purgeMe]),
    ).toEqual([]);
    const [entry] = await auditRows(
      `SELECT detail FROM referrals.audit_log WHERE object_id = $1 AND action = 'referral.timeline_purge'`,
      [purgeMe],
    );
    expect(entry!.detail).toMatchObject({ retentionDays: 1825 });
    expect(await statistics('groupBy=gender&groupBy=outcome')).toEqual(before);
    expect(
      (await hub.as('norrkoping.auditor').get('/v1/audit/referrals/verify')).json().valid,
    ).toBe(true);
  });
});

describe("an operation's field requests", () => {
  it('lose their sealed part a set time after the operation ended, audited with the parties', async () => {
    const op = await activeOperation(hub);
    const request = ok(
      await hub
        .as('police.officer')
        .post(`/v1/operations/${op.id}/field-requests`, await fieldRequestBody(hub, op.id)),
      201,
    );
    ok(await hub.as('police.officer').post(`/v1/field-requests/${request.id}/cancel`, {}));
    ok(await hub.as('police.officer').post(`/v1/operations/${op.id}/complete`));
    // Ended 10 days ago: not yet (30 days).
    await sql(
      `UPDATE referrals.operations SET completed_at = now() - interval '10 days' WHERE id = $1`,
      [op.id],
    );
    expect(await purger().purge()).toMatchObject({ fieldRequests: 0 });
    expect(
      (await hub.as('police.officer').get(`/v1/field-requests/${request.id}/envelope`)).statusCode,
    ).toBe(200);

    await sql(
      `UPDATE referrals.operations SET completed_at = now() - interval '31 days' WHERE id = $1`,
      [op.id],
    );
    expect(await purger().purge()).toMatchObject({ fieldRequests: 1 });
    const res = await hub.as('police.officer').get(`/v1/field-requests/${request.id}/envelope`);
    expect(res.statusCode).toBe(410);
    expect(res.json().type).toBe(problem('content-purged'));
    // The request itself (times, status, counts) stays for the report.
    expect(
      (await hub.as('police.officer').get(`/v1/field-requests/${request.id}`)).statusCode,
    ).toBe(200);
    const [entry] = await auditRows(
      `SELECT party_orgs, detail FROM referrals.audit_log
        WHERE object_id = $1 AND action = 'field_request.content_purge'`,
      [request.id],
    );
    expect(entry!.party_orgs).toEqual(expect.arrayContaining([O.policeOst, O.norrkoping]));
    expect(entry!.detail).toMatchObject({ retentionDays: 30 });
    const events = await sql(
      `SELECT 1 FROM referrals.outbox WHERE type = 'samverkan.referrals.field_request.content_purged'
          AND payload->'data'->>'fieldRequestId' = $1`,
      [request.id],
    );
    expect(events).toHaveLength(1);
  });
});
