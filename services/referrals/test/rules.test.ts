/**
 * The rules the server enforces (docs/architecture.md#referral-lifecycle), each refused with its own problem type and nothing
 * written: legal basis for NGOs, duty to report for children, justification for acute
 * protection, decline reasons, closing without a handover, forwarding by coordinators only,
 * transitions outside the diagram, the sender unit, and Idempotency-Key on every write.
 */
import { randomUUID } from 'node:crypto';
import { DEMO_UNITS as U } from '@samverkan/shared';
import { agencyClient, referralDocument } from './helpers/agency-client';
import { buildHub, type TestHub } from './helpers/build';
import { sealRaw } from './helpers/envelopes';
import { prepareReferral, statusOf, type Party } from './helpers/lifecycle';
import { auditRows, expectProblem, inject, referralRows, tokenFor } from './helpers/requests';

let hub: TestHub;
let police: ReturnType<typeof agencyClient>;

const SENDER: Party = { user: 'police.officer', unitId: U.policeTraffickingOst };
const FRIDEBORG: Party = { user: 'frideborg.caseworker', unitId: U.frideborg };
const COORDINATOR: Party = { user: 'coordinator.ostergotland', unitId: U.coordinator };
const TNA = 'referral-transition-not-allowed';
const UNKNOWN_UNIT = randomUUID();

beforeAll(async () => {
  hub = await buildHub();
  police = agencyClient(hub, 'police.officer', U.policeTraffickingOst);
});
afterAll(async () => {
  await hub?.close();
});

async function send(body: unknown) {
  return hub.as('police.officer').post('/v1/referrals', body);
}

async function eventsOf(id: string): Promise<string[]> {
  const rows = (await hub.referrals.context.dataSource.query(
    'SELECT event FROM referrals.referral_events WHERE referral_id = $1 ORDER BY at',
    [id],
  )) as Array<{ event: string }>;
  return rows.map((r) => r.event);
}

describe('sharing rules on send', () => {
  it.each(['legal_duty', 'child_protection', 'acute_protection'])(
    'refuses sharing with an NGO on legal basis %s (422 legal-basis-requires-consent)',
    async (legalBasis) => {
      const body = await police.referral(
        { recipientUnitId: U.novahuset },
        referralDocument('ngo'),
        { legalBasis, justification: 'Imminent risk of serious harm' },
      );
      const res = await send(body);
      expectProblem(res, 422, 'legal-basis-requires-consent');
      expect(res.json()).toMatchObject({
        code: 'REFERRALS_LEGAL_BASIS_REQUIRES_CONSENT',
        unitId: U.novahuset,
      });
      expect(await referralRows(hub, body.id)).toBe(0);
    },
  );

  it('refuses an NGO as a copy unit too, unless on consent', async () => {
    const body = await police.referral(
      { recipientUnitId: U.frideborg, copyUnitIds: [U.novahuset] },
      referralDocument('ngo-copy'),
      { legalBasis: 'legal_duty' },
    );
    expectProblem(await send(body), 422, 'legal-basis-requires-consent');
    expect(await referralRows(hub, body.id)).toBe(0);

    const consented = await police.referral(
      { recipientUnitId: U.frideborg, copyUnitIds: [U.novahuset] },
      referralDocument('ngo-copy'),
      { legalBasis: 'consent' },
    );
    expect((await send(consented)).statusCode).toBe(201);
  });

  it('refuses a referral about a child without a social services unit (422 child-needs-social-services)', async () => {
    for (const to of [{ recipientUnitId: U.coordinator }, { recipientUnitId: U.youthClinic }]) {
      const body = await police.referral(to, referralDocument('child'), {
        ageBand: 'child',
        legalBasis: 'child_protection',
      });
      const res = await send(body);
      expectProblem(res, 422, 'child-needs-social-services');
      expect(await referralRows(hub, body.id)).toBe(0);
    }
  });

  it('accepts a referral about a child with Frideborg as a copy unit (201)', async () => {
    const body = await police.referral(
      { recipientUnitId: U.coordinator, copyUnitIds: [U.frideborg] },
      referralDocument('child'),
      { ageBand: 'child', legalBasis: 'child_protection' },
    );
    const res = await send(body);
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({ ageBand: 'child', copyUnitIds: [U.frideborg] });
  });

  it('refuses acute_protection without a justification (422 justification-required)', async () => {
    const body = await police.referral(
      { recipientUnitId: U.frideborg },
      referralDocument('acute'),
      {
        legalBasis: 'acute_protection',
        urgency: 'acute',
      },
    );
    const res = await send(body);
    expectProblem(res, 422, 'justification-required');
    expect(await referralRows(hub, body.id)).toBe(0);
  });

  it('accepts acute_protection with a sealed justification and audits only that it exists', async () => {
    const justification = 'Imminent risk of serious harm; no time to obtain consent';
    const body = await police.referral(
      { recipientUnitId: U.frideborg },
      referralDocument('acute'),
      { legalBasis: 'acute_protection', urgency: 'acute', justification },
    );
    const res = await send(body);
    expect(res.statusCode).toBe(201);
    const sealed = (body as unknown as { justification: { id: string } }).justification;
    expect(res.json()).toMatchObject({
      legalBasis: 'acute_protection',
      urgency: 'acute',
      justificationMessageId: sealed.id,
    });

    const audit = await hub
      .as('hub.admin')
      .get('/v1/audit/referrals?action=referral.send&outcome=allowed&limit=500');
    expect(audit.statusCode).toBe(200);
    const entry = (
      audit.json().items as Array<{ objectId: string; detail: Record<string, unknown> }>
    ).find((e) => e.objectId === body.id);
    expect(entry).toMatchObject({
      actorSub: 'police.officer',
      action: 'referral.send',
      outcome: 'allowed',
      detail: { legalBasis: 'acute_protection', justificationMessageId: sealed.id },
    });
    expect(JSON.stringify(entry)).not.toContain('Imminent risk');
  });

  it('refuses a sender unit that is not one of the caller’s units (403 not-a-member-of-sender)', async () => {
    const asFrideborg = await agencyClient(hub, 'police.officer', U.frideborg).referral(
      { recipientUnitId: U.novahuset },
      referralDocument('impostor'),
    );
    const res = await send(asFrideborg);
    expectProblem(res, 403, 'not-a-member-of-sender');
    expect(await referralRows(hub, asFrideborg.id)).toBe(0);
  });

  // The contract calls this problem `referral-units-invalid`; the service answers
  // `recipient-not-allowed` (reported): only the status and the named unit are pinned here.
  it.each<[string, (body: Record<string, unknown>) => Record<string, unknown>, string]>([
    ['a unit addressed twice', (b) => ({ ...b, copyUnitIds: [U.frideborg] }), U.frideborg],
    [
      'the sender addressing itself',
      (b) => ({ ...b, copyUnitIds: [U.policeTraffickingOst] }),
      U.policeTraffickingOst,
    ],
    ['an unknown unit', (b) => ({ ...b, recipientUnitId: UNKNOWN_UNIT }), UNKNOWN_UNIT],
  ])('refuses %s (422) before looking at the envelope', async (_what, spoil, unitId) => {
    const body = await police.referral({ recipientUnitId: U.frideborg }, referralDocument('units'));
    const res = await send(spoil(body));
    expect(res.statusCode).toBe(422);
    expect(res.json().detail).toContain(unitId);
    expect(await referralRows(hub, body.id)).toBe(0);
  });
});

describe('lifecycle rules', () => {
  it('refuses a decline without a reason (400, schema) and reason other without a note (422)', async () => {
    const { id } = await prepareReferral(hub, { sender: SENDER, recipient: FRIDEBORG });
    const noReason = await hub.as('frideborg.caseworker').post(`/v1/referrals/${id}/decline`, {});
    expectProblem(noReason, 400, 'validation-error');
    const unknownReason = await hub
      .as('frideborg.caseworker')
      .post(`/v1/referrals/${id}/decline`, { reason: 'bored' });
    expectProblem(unknownReason, 400, 'validation-error');
    const other = await hub
      .as('frideborg.caseworker')
      .post(`/v1/referrals/${id}/decline`, { reason: 'other' });
    expectProblem(other, 422, 'decline-reason-required');
    const clear = await hub
      .as('frideborg.caseworker')
      .post(`/v1/referrals/${id}/decline`, { reason: 'other', note: 'Outside our area' });
    expectProblem(clear, 422, 'clear-text-refused');
    expect(await statusOf(hub, id)).toBe('sent');
    expect(await eventsOf(id)).toEqual(['sent']);

    const referral = (await hub.as('frideborg.caseworker').get(`/v1/referrals/${id}`)).json();
    const note = await agencyClient(hub, 'frideborg.caseworker', U.frideborg).note(
      referral,
      'decline_note',
      'Outside our area',
    );
    const ok = await hub
      .as('frideborg.caseworker')
      .post(`/v1/referrals/${id}/decline`, { reason: 'other', note });
    expect(ok.json()).toMatchObject({
      status: 'declined',
      declineReason: 'other',
      declineNoteMessageId: note.id,
    });
  });

  it.each(['accepted', 'handover_planned'] as const)(
    'refuses closing a %s referral with outcome support_started (409) but takes unreachable',
    async (state) => {
      const { id } = await prepareReferral(hub, { sender: SENDER, recipient: FRIDEBORG, state });
      const res = await hub
        .as('frideborg.caseworker')
        .post(`/v1/referrals/${id}/close`, { outcome: 'support_started' });
      expectProblem(res, 409, TNA);
      expect(res.json().currentStatus).toBe(state);
      expect(await statusOf(hub, id)).toBe(state);

      const closed = await hub
        .as('frideborg.caseworker')
        .post(`/v1/referrals/${id}/close`, { outcome: 'unreachable' });
      expect(closed.json()).toMatchObject({ status: 'closed', outcome: 'unreachable' });
    },
  );

  it('refuses a forward by a caseworker of the recipient unit (422 not-a-coordinator)', async () => {
    const { id } = await prepareReferral(hub, {
      sender: SENDER,
      recipient: FRIDEBORG,
      state: 'received',
    });
    const legId = randomUUID();
    const res = await hub.as('frideborg.caseworker').post(`/v1/referrals/${id}/forward`, {
      forwards: [
        {
          id: legId,
          recipientUnitId: U.elsa,
          envelope: await sealRaw(hub, { rid: legId, from: U.frideborg, to: [U.elsa] }),
        },
      ],
    });
    expectProblem(res, 422, 'not-a-coordinator');
    expect(await statusOf(hub, id)).toBe('received');
    expect(await referralRows(hub, legId)).toBe(0);
  });

  it('refuses a forward whose new referral breaks a sharing rule, and writes none of it', async () => {
    const { id } = await prepareReferral(hub, {
      sender: SENDER,
      recipient: COORDINATOR,
      state: 'received',
      meta: { legalBasis: 'legal_duty' },
    });
    const ok = randomUUID();
    const ngo = randomUUID();
    const res = await hub.as('coordinator.ostergotland').post(`/v1/referrals/${id}/forward`, {
      forwards: [
        {
          id: ok,
          recipientUnitId: U.frideborg,
          envelope: await sealRaw(hub, {
            rid: ok,
            from: U.coordinator,
            to: [U.frideborg],
            meta: { legalBasis: 'legal_duty', forwardedFromId: id },
          }),
        },
        {
          id: ngo,
          recipientUnitId: U.novahuset,
          envelope: await sealRaw(hub, {
            rid: ngo,
            from: U.coordinator,
            to: [U.novahuset],
            meta: { legalBasis: 'legal_duty', forwardedFromId: id },
          }),
        },
      ],
    });
    expectProblem(res, 422, 'legal-basis-requires-consent');
    expect(await statusOf(hub, id)).toBe('received');
    expect(await referralRows(hub, ok)).toBe(0);
    expect(await referralRows(hub, ngo)).toBe(0);
  });

  it.each([
    ['accept', 'withdrawn', {}],
    ['acknowledge', 'accepted', {}],
    ['decline', 'closed', { reason: 'no_capacity' }],
    ['handover', 'sent', { mode: 'video', plannedFor: new Date().toISOString() }],
    ['confirm-handover', 'received', { side: 'recipient' }],
    ['close', 'declined', { outcome: 'unreachable' }],
    ['accept', 'handover_confirmed', {}],
  ] as const)(
    'refuses %s on a %s referral (409 referral-transition-not-allowed)',
    async (action, state, body) => {
      const { id } = await prepareReferral(hub, { sender: SENDER, recipient: FRIDEBORG, state });
      const before = await eventsOf(id);
      const res = await hub.as('frideborg.caseworker').post(`/v1/referrals/${id}/${action}`, body);
      expectProblem(res, 409, TNA);
      expect(res.json()).toMatchObject({
        code: 'REFERRALS_TRANSITION_NOT_ALLOWED',
        currentStatus: state,
      });
      expect(await statusOf(hub, id)).toBe(state);
      expect(await eventsOf(id)).toEqual(before);
    },
  );

  it.each(['accepted', 'handover_planned', 'closed', 'declined'] as const)(
    'refuses withdrawing a %s referral (409)',
    async (state) => {
      const { id } = await prepareReferral(hub, { sender: SENDER, recipient: FRIDEBORG, state });
      const res = await hub.as('police.officer').post(`/v1/referrals/${id}/withdraw`, {});
      expectProblem(res, 409, TNA);
      expect(await statusOf(hub, id)).toBe(state);
    },
  );

  it("takes the decliner's access to the envelope away, not the sender's", async () => {
    const { id, envelope } = await prepareReferral(hub, {
      sender: SENDER,
      recipient: FRIDEBORG,
      copyUnitIds: [U.socialjour],
    });
    expect(
      (await hub.as('frideborg.caseworker').get(`/v1/referrals/${id}/envelope`)).statusCode,
    ).toBe(200);
    const declined = await hub
      .as('frideborg.caseworker')
      .post(`/v1/referrals/${id}/decline`, { reason: 'outside_mandate' });
    expect(declined.json().status).toBe('declined');

    for (const user of ['frideborg.caseworker', 'socialjour.caseworker'] as const) {
      const res = await hub.as(user).get(`/v1/referrals/${id}/envelope`);
      expectProblem(res, 403, 'envelope-access-revoked');
      expect(res.body).not.toContain(envelope.ciphertext);
      // the metadata stays visible, so the unit knows what it declined
      expect((await hub.as(user).get(`/v1/referrals/${id}`)).statusCode).toBe(200);
    }
    const sender = await hub.as('police.officer').get(`/v1/referrals/${id}/envelope`);
    expect(sender.statusCode).toBe(200);
    expect(sender.json().envelope).toEqual(envelope);
    expect((await police.open(id)).document).toEqual(referralDocument('prepared'));
  });
});

describe('Idempotency-Key', () => {
  it('is required on every write (400)', async () => {
    const token = await tokenFor(hub, 'police.officer');
    const body = await police.referral({ recipientUnitId: U.frideborg }, referralDocument('idem'));
    const res = await inject(hub, { method: 'POST', url: '/v1/referrals', token, payload: body });
    expectProblem(res, 400, 'validation-error');
    expect(res.json().errors).toEqual([
      expect.objectContaining({ field: 'headers.idempotency-key' }),
    ]);
    expect(await referralRows(hub, body.id)).toBe(0);

    const { id } = await prepareReferral(hub, { sender: SENDER, recipient: FRIDEBORG });
    const frideborg = await tokenFor(hub, 'frideborg.caseworker');
    const ack = await inject(hub, {
      method: 'POST',
      url: `/v1/referrals/${id}/acknowledge`,
      token: frideborg,
      payload: {},
    });
    expectProblem(ack, 400, 'validation-error');
    expect(await statusOf(hub, id)).toBe('sent');
  });

  it('replays the first 201 for a retry with the same key and body, with one row', async () => {
    const key = randomUUID();
    const body = await police.referral({ recipientUnitId: U.frideborg }, referralDocument('idem'));
    const first = await hub
      .as('police.officer')
      .post('/v1/referrals', body, { 'idempotency-key': key });
    expect(first.statusCode).toBe(201);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    const again = await hub
      .as('police.officer')
      .post('/v1/referrals', body, { 'idempotency-key': key });
    expect(again.statusCode).toBe(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.json()).toEqual(first.json());
    expect(await referralRows(hub, body.id)).toBe(1);
    const sends = await auditRows(hub, { objectId: body.id, action: 'referral.send' });
    expect(sends).toHaveLength(1);
  });

  it('refuses the same key with another body (422 idempotency-key-reused)', async () => {
    const key = randomUUID();
    const body = await police.referral({ recipientUnitId: U.frideborg }, referralDocument('idem'));
    expect(
      (await hub.as('police.officer').post('/v1/referrals', body, { 'idempotency-key': key }))
        .statusCode,
    ).toBe(201);
    const other = await police.referral(
      { recipientUnitId: U.frideborg },
      referralDocument('other'),
    );
    const res = await hub
      .as('police.officer')
      .post('/v1/referrals', other, { 'idempotency-key': key });
    expectProblem(res, 422, 'idempotency-key-reused');
    expect(await referralRows(hub, other.id)).toBe(0);
  });

  it('replays a transition too, without a second effect', async () => {
    const { id } = await prepareReferral(hub, { sender: SENDER, recipient: FRIDEBORG });
    const key = randomUUID();
    const first = await hub
      .as('frideborg.caseworker')
      .post(`/v1/referrals/${id}/acknowledge`, {}, { 'idempotency-key': key });
    const again = await hub
      .as('frideborg.caseworker')
      .post(`/v1/referrals/${id}/acknowledge`, {}, { 'idempotency-key': key });
    expect(first.statusCode).toBe(200);
    expect(again.statusCode).toBe(200);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.json()).toEqual(first.json());
    expect(await eventsOf(id)).toEqual(['sent', 'acknowledged']);
  });
});
