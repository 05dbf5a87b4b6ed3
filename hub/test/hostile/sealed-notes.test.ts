/**
 * Free text about a case never reaches the hub in clear (issue 12, "Free text and local access"):
 * an acute_protection justification and a decline note are sealed by the writing unit's client
 * for the referral's parties, as notes on its thread. A client that still sends either as a string
 * is refused by name (422 clear-text-refused) and nothing of it is stored or audited; a sealed one
 * is stored as a thread message that only the parties open, and its text is nowhere in the
 * database — not in the referral, its timeline, the audit log, the outbox or an idempotency record.
 *
 * A justification is also sealed for the sending organisation's audit unit, so its auditors (and
 * nobody else) can open it: a client that leaves their keys out is refused by name.
 *
 * Before the fix both were stored in clear (the `justification` column and the send's audit
 * entry, the `declined` timeline entry's `note`).
 */
import { randomUUID } from 'node:crypto';
import { DEMO_AUDIT_UNITS as A, DEMO_ORGANISATIONS as O, DEMO_UNITS as U } from '@samverkan/shared';
import { agencyClient, referralDocument } from '@samverkan/referrals/test/helpers/agency-client';
import { buildHub, type TestHub } from '@samverkan/referrals/test/helpers/build';
import { prepareReferral } from '@samverkan/referrals/test/helpers/lifecycle';
import { messageClient } from '@samverkan/referrals/test/helpers/message-client';
import { expectProblem, referralRows } from '@samverkan/referrals/test/helpers/requests';

let hub: TestHub;

beforeAll(async () => {
  hub = await buildHub();
}, 120_000);

afterAll(async () => {
  await hub?.close();
});

/** Tables (of every service schema) in which `text` occurs anywhere in a row. */
async function tablesHolding(text: string): Promise<string[]> {
  const ds = hub.referrals.context.dataSource;
  const tables = (await ds.query(
    `SELECT table_schema AS s, table_name AS t FROM information_schema.tables
      WHERE table_schema IN ('directory', 'referrals', 'notifications') AND table_type = 'BASE TABLE'`,
  )) as Array<{ s: string; t: string }>;
  const found: string[] = [];
  for (const { s, t } of tables) {
    const [row] = (await ds.query(
      `SELECT count(*)::int AS n FROM "${s}"."${t}" x WHERE x::text LIKE '%' || $1 || '%'`,
      [text],
    )) as Array<{ n: number }>;
    if (row!.n > 0) {
      found.push(`${s}.${t}`);
    }
  }
  return found;
}

const POLICE = { user: 'police.officer', unitId: U.policeTraffickingOst } as const;
const FRIDEBORG = { user: 'frideborg.caseworker', unitId: U.frideborg } as const;

it('refuses a justification in clear by name and keeps nothing of it', async () => {
  const marker = `JUSTIFICATION-${randomUUID()}`;
  const body = await agencyClient(hub, POLICE.user, POLICE.unitId).referral(
    { recipientUnitId: U.frideborg },
    referralDocument('clear-justification'),
    { legalBasis: 'acute_protection', urgency: 'acute' },
  );
  const res = await hub
    .as(POLICE.user)
    .post('/v1/referrals', { ...body, justification: `Anna, 17, ${marker}` });
  expectProblem(res, 422, 'clear-text-refused');
  expect(res.json()).toMatchObject({
    code: 'REFERRALS_CLEAR_TEXT_REFUSED',
    errors: [{ field: 'body.justification' }],
  });
  expect(await referralRows(hub, body.id)).toBe(0);
  expect(await tablesHolding(marker)).toEqual([]);
});

it('refuses a decline note in clear by name, leaves the referral as it was, keeps nothing', async () => {
  const { id } = await prepareReferral(hub, { sender: POLICE, recipient: FRIDEBORG });
  const marker = `NOTE-${randomUUID()}`;
  const res = await hub
    .as(FRIDEBORG.user)
    .post(`/v1/referrals/${id}/decline`, { reason: 'other', note: `Anna moved, ${marker}` });
  expectProblem(res, 422, 'clear-text-refused');
  expect(res.json().errors).toEqual([expect.objectContaining({ field: 'body.note' })]);
  expect((await hub.as(FRIDEBORG.user).get(`/v1/referrals/${id}`)).json().status).toBe('sent');
  expect(await tablesHolding(marker)).toEqual([]);
});

it('stores a sealed justification and decline note for the parties only, their text nowhere', async () => {
  const police = agencyClient(hub, POLICE.user, POLICE.unitId);
  const justification = `Risk to life tonight ${randomUUID()}`;
  const body = await police.referral(
    { recipientUnitId: U.frideborg },
    referralDocument('sealed-notes'),
    { legalBasis: 'acute_protection', urgency: 'acute', justification },
  );
  const sent = await hub.as(POLICE.user).post('/v1/referrals', body);
  expect(sent.statusCode).toBe(201);
  const justificationId = (body as unknown as { justification: { id: string } }).justification.id;
  expect(sent.json().justificationMessageId).toBe(justificationId);

  // The recipient opens the justification on the thread before deciding.
  const received = await messageClient(hub, FRIDEBORG.user, FRIDEBORG.unitId).read(body.id);
  expect(received.map((m) => [m.id, m.document])).toEqual([
    [
      justificationId,
      { messageId: justificationId, text: justification, purpose: 'justification' },
    ],
  ]);

  const noteText = `Anna does not want our help ${randomUUID()}`;
  const note = await agencyClient(hub, FRIDEBORG.user, FRIDEBORG.unitId).note(
    sent.json(),
    'decline_note',
    noteText,
  );
  const declined = await hub
    .as(FRIDEBORG.user)
    .post(`/v1/referrals/${body.id}/decline`, { reason: 'other', note });
  expect(declined.statusCode).toBe(200);
  expect(declined.json()).toMatchObject({ status: 'declined', declineNoteMessageId: note.id });

  // The timeline says that a note exists and which message holds it, never what it says.
  const timeline = (await hub.as(POLICE.user).get(`/v1/referrals/${body.id}/timeline`)).json();
  expect(timeline.items).toEqual(
    expect.arrayContaining([
      expect.objectContaining({
        event: 'sent',
        detail: { justificationMessageId: justificationId },
      }),
      expect.objectContaining({
        event: 'declined',
        detail: expect.objectContaining({ reason: 'other', noteMessageId: note.id }),
      }),
    ]),
  );

  // The sender reads both on the thread; the hub holds neither text anywhere.
  const thread = await messageClient(hub, POLICE.user, POLICE.unitId).read(body.id);
  expect(thread.map((m) => [m.senderUnitId, m.document.purpose, m.document.text])).toEqual([
    [U.policeTraffickingOst, 'justification', justification],
    [U.frideborg, 'decline_note', noteText],
  ]);
  expect(await tablesHolding(justification)).toEqual([]);
  expect(await tablesHolding(noteText)).toEqual([]);
});

it('checks a sealed note like a message: one sealed for the wrong units is refused', async () => {
  const { id } = await prepareReferral(hub, { sender: POLICE, recipient: FRIDEBORG });
  const referral = (await hub.as(FRIDEBORG.user).get(`/v1/referrals/${id}`)).json();
  // Sealed as if the referral had Novahuset as a copy unit: the hub's record says otherwise.
  const note = await agencyClient(hub, FRIDEBORG.user, FRIDEBORG.unitId).note(
    { ...referral, copyUnitIds: [U.novahuset] },
    'decline_note',
    'Not for us',
  );
  const res = await hub
    .as(FRIDEBORG.user)
    .post(`/v1/referrals/${id}/decline`, { reason: 'other', note });
  expectProblem(res, 422, 'envelope-aad-mismatch');
  expect((await hub.as(FRIDEBORG.user).get(`/v1/referrals/${id}`)).json().status).toBe('sent');
});

describe("the sending organisation's auditors", () => {
  it('refuses a justification not sealed for the audit keys, naming the organisation and key', async () => {
    const police = agencyClient(hub, POLICE.user, POLICE.unitId);
    const body = await police.referral(
      { recipientUnitId: U.frideborg },
      referralDocument('no-auditors'),
      { legalBasis: 'acute_protection', urgency: 'acute' },
    );
    const marker = `FOR-PARTIES-ONLY-${randomUUID()}`;
    const justification = await police.note(body, 'justification', marker, { auditors: false });
    const res = await hub.as(POLICE.user).post('/v1/referrals', { ...body, justification });
    expectProblem(res, 422, 'justification-not-sealed-for-auditors');
    const [auditKey] = (await hub.as(POLICE.user).get(`/v1/keys?units=${A.policeOst}`))
      .json()
      .units[0].keys.filter((k: { use: string }) => k.use === 'enc');
    expect(res.json().detail).toContain(O.policeOst);
    expect(res.json().detail).toContain(auditKey.kid);
    expect(res.json().missingAuditKeys).toEqual([
      { organisationId: O.policeOst, unitId: A.policeOst, kid: auditKey.kid },
    ]);
    expect(await referralRows(hub, body.id)).toBe(0);
    expect(await tablesHolding(marker)).toEqual([]);
  });

  it('hands the sealed justification to an auditor of the sending organisation only, audited', async () => {
    const police = agencyClient(hub, POLICE.user, POLICE.unitId);
    const text = `Audited justification ${randomUUID()}`;
    const body = await police.referral(
      { recipientUnitId: U.frideborg },
      referralDocument('auditors'),
      { legalBasis: 'acute_protection', urgency: 'acute', justification: text },
    );
    expect((await hub.as(POLICE.user).post('/v1/referrals', body)).statusCode).toBe(201);

    const own = await hub.as('police.auditor').get(`/v1/referrals/${body.id}/justification`);
    expect(own.statusCode).toBe(200);
    expect(own.json()).toMatchObject({
      referralId: body.id,
      senderUnitId: U.policeTraffickingOst,
      justification: {
        id: (body as unknown as { justification: { id: string } }).justification.id,
      },
    });
    expect(own.body).not.toContain(text);
    // The audit unit's key opens it (real crypto, the dev key store's audit unit keys).
    const opened = await agencyClient(hub, 'police.auditor', A.policeOst).openSealed(
      own.json().justification.envelope,
      { rid: body.id, kind: 'message' },
    );
    expect(opened.document).toMatchObject({ text, purpose: 'justification' });
    expect(opened.aad.to).toEqual(expect.arrayContaining([U.frideborg, A.policeOst]));

    // Another organisation's auditor, a party and the auditor on the referral's envelope: 404.
    for (const [user, url] of [
      ['norrkoping.auditor', `/v1/referrals/${body.id}/justification`],
      [FRIDEBORG.user, `/v1/referrals/${body.id}/justification`],
      ['police.auditor', `/v1/referrals/${body.id}/envelope`],
      ['police.auditor', `/v1/referrals/${body.id}`],
    ] as const) {
      expectProblem(await hub.as(user).get(url), 404, 'referral-not-found');
    }
    // The parties see the auditor's read in their access log.
    const log = (await hub.as(FRIDEBORG.user).get(`/v1/referrals/${body.id}/access-log`)).json();
    expect(log.items).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          action: 'referral.justification_read',
          outcome: 'allowed',
          person: 'police.auditor',
        }),
        expect.objectContaining({
          action: 'referral.justification_read',
          outcome: 'denied',
          person: 'norrkoping.auditor',
        }),
      ]),
    );
    expect(await tablesHolding(text)).toEqual([]);
  });

  it('never addresses a referral to an audit unit', async () => {
    const body = await agencyClient(hub, POLICE.user, POLICE.unitId).referral(
      { recipientUnitId: U.frideborg, copyUnitIds: [A.norrkoping] },
      referralDocument('to-auditors'),
    );
    const res = await hub.as(POLICE.user).post('/v1/referrals', body);
    expect(res.statusCode).toBe(422);
    expect(await referralRows(hub, body.id)).toBe(0);
  });
});
