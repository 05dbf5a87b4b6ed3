/**
 * The end-to-end encrypted message thread on a referral, through the API on a real Postgres:
 * police and the regional coordinator write to each other (Frideborg on copy reads along), every
 * message sealed and opened by the agencies' own clients, the hub checking only the routing.
 */
import { randomUUID } from 'node:crypto';
import { DEMO_UNITS as U, DEMO_USERS } from '@samverkan/shared';
import { agencyClient, referralDocument } from './helpers/agency-client';
import { buildHub, type TestHub } from './helpers/build';
import { messageClient } from './helpers/message-client';

let hub: TestHub;
beforeAll(async () => {
  hub = await buildHub();
});
afterAll(async () => {
  await hub?.close();
});

const problem = (slug: string) => `urn:samverkan:problem:${slug}`;
const MARKER = `MESSAGE-MARKER-${Date.now()}`;

/** A referral from the police trafficking group to the coordinator, Frideborg on copy. */
async function sendReferral(): Promise<string> {
  const police = agencyClient(hub, 'police.officer', U.policeTraffickingOst);
  const body = await police.referral(
    { recipientUnitId: U.coordinator, copyUnitIds: [U.frideborg] },
    referralDocument('thread'),
  );
  const sent = await hub.as('police.officer').post('/v1/referrals', body);
  expect(sent.statusCode).toBe(201);
  return body.id;
}

async function auditEntries(action: string, outcome?: 'allowed' | 'denied') {
  const res = await hub
    .as('hub.admin')
    .get(`/v1/audit/referrals?action=${action}&limit=500${outcome ? `&outcome=${outcome}` : ''}`);
  expect(res.statusCode).toBe(200);
  return res.json().items as Array<{
    actorSub: string;
    objectId: string;
    outcome: string;
    detail: Record<string, unknown>;
  }>;
}

describe('a thread between the police and the coordinator', () => {
  let referralId: string;
  const police = () => messageClient(hub, 'police.officer', U.policeTraffickingOst);
  const coordinator = () => messageClient(hub, 'coordinator.ostergotland', U.coordinator);
  const frideborg = () => messageClient(hub, 'frideborg.caseworker', U.frideborg);

  beforeAll(async () => {
    referralId = await sendReferral();
  });

  it('carries encrypted messages both ways that every party opens and verifies', async () => {
    const question = await police().message(
      referralId,
      [U.coordinator, U.frideborg],
      `${MARKER} Can you take her today? She speaks Romanian.`,
    );
    const posted = await hub
      .as('police.officer')
      .post(`/v1/referrals/${referralId}/messages`, question);
    expect(posted.statusCode).toBe(201);
    expect(posted.json()).toEqual({
      id: question.id,
      referralId,
      senderUnitId: U.policeTraffickingOst,
      createdAt: expect.any(String),
      envelope: question.envelope,
    });
    expect(posted.body).not.toContain(MARKER);

    const answer = await coordinator().message(
      referralId,
      [U.policeTraffickingOst, U.frideborg],
      `${MARKER} Yes, with an interpreter at 14:00.`,
    );
    const replied = await hub
      .as('coordinator.ostergotland')
      .post(`/v1/referrals/${referralId}/messages`, answer);
    expect(replied.statusCode).toBe(201);

    // Each side, and the copy unit, reads the whole thread, oldest first, signed by its author.
    for (const reader of [police(), coordinator(), frideborg()]) {
      const thread = await reader.read(referralId);
      expect(thread.map((m) => m.id)).toEqual([question.id, answer.id]);
      expect(thread[0]).toMatchObject({
        senderUnitId: U.policeTraffickingOst,
        signedBy: U.policeTraffickingOst,
        document: { messageId: question.id, text: expect.stringContaining('Romanian') },
        aad: { rid: referralId, from: U.policeTraffickingOst },
      });
      expect([...thread[0]!.aad.to].sort()).toEqual([U.coordinator, U.frideborg].sort());
      expect(thread[1]).toMatchObject({
        senderUnitId: U.coordinator,
        signedBy: U.coordinator,
        document: { messageId: answer.id, text: expect.stringContaining('interpreter') },
      });
    }

    // The timeline says that messages were posted, by which unit, and nothing of their content.
    const timeline = await hub
      .as('frideborg.caseworker')
      .get(`/v1/referrals/${referralId}/timeline`);
    expect(timeline.statusCode).toBe(200);
    const posts = (
      timeline.json().items as Array<{ event: string; actorUnitId: string; detail: unknown }>
    ).filter((e) => e.event === 'message_posted');
    expect(posts).toEqual([
      expect.objectContaining({
        actorUnitId: U.policeTraffickingOst,
        detail: { messageId: question.id },
      }),
      expect.objectContaining({ actorUnitId: U.coordinator, detail: { messageId: answer.id } }),
    ]);
    expect(timeline.body).not.toContain(MARKER);

    // One event per message, naming it, with the referral's routing facts and no content.
    const events = (await hub.referrals.context.dataSource.query(
      `SELECT payload FROM referrals.outbox WHERE type = $1 ORDER BY position`,
      ['samverkan.referrals.referral.message_posted'],
    )) as Array<{ payload: { data: Record<string, unknown> } }>;
    expect(events.map((e) => e.payload.data)).toEqual([
      expect.objectContaining({
        referralId,
        messageId: question.id,
        senderUnitId: U.policeTraffickingOst,
        recipientUnitId: U.coordinator,
        copyUnitIds: [U.frideborg],
        status: 'sent',
      }),
      expect.objectContaining({ referralId, messageId: answer.id }),
    ]);
    expect(JSON.stringify(events)).not.toContain(MARKER);
    const stored = (await hub.referrals.context.dataSource.query(
      `SELECT envelope::text AS e FROM referrals.referral_messages WHERE referral_id = $1`,
      [referralId],
    )) as Array<{ e: string }>;
    expect(stored).toHaveLength(2);
    expect(stored.some((row) => row.e.includes(MARKER))).toBe(false);

    // Every read of the thread and every post is in the audit trail.
    const reads = await auditEntries('referral.messages_read', 'allowed');
    expect(reads.filter((e) => e.objectId === referralId).map((e) => e.actorSub)).toEqual(
      expect.arrayContaining([
        'police.officer',
        'coordinator.ostergotland',
        'frideborg.caseworker',
      ]),
    );
    expect(
      (await auditEntries('referral.message_post', 'allowed')).filter(
        (e) => e.objectId === referralId,
      ),
    ).toHaveLength(2);
  });

  it('answers 404 to outsiders, for reading and for posting', async () => {
    const read = await hub.as('novahuset.caseworker').get(`/v1/referrals/${referralId}/messages`);
    expect(read.statusCode).toBe(404);
    expect(read.json().type).toBe(problem('referral-not-found'));

    const novahuset = messageClient(hub, 'novahuset.caseworker', U.novahuset);
    const intrusion = await novahuset.message(
      referralId,
      [U.policeTraffickingOst, U.coordinator, U.frideborg],
      'hello',
    );
    const post = await hub
      .as('novahuset.caseworker')
      .post(`/v1/referrals/${referralId}/messages`, intrusion);
    expect(post.statusCode).toBe(404);
    expect(post.json().type).toBe(problem('referral-not-found'));
    // An unknown referral looks the same as one the caller may not see.
    const unknown = await hub.as('police.officer').get(`/v1/referrals/${randomUUID()}/messages`);
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().type).toBe(problem('referral-not-found'));
  });

  it('refuses a sender unit that is not the caller’s, and a copy unit, with an audited 403', async () => {
    // The officer names a unit of the referral that is not theirs.
    const asCoordinator = await coordinator().message(
      referralId,
      [U.policeTraffickingOst, U.frideborg],
      'spoofed',
    );
    const spoofed = await hub
      .as('police.officer')
      .post(`/v1/referrals/${referralId}/messages`, asCoordinator);
    expect(spoofed.statusCode).toBe(403);
    expect(spoofed.json().type).toBe(problem('not-a-member-of-sender'));

    // A unit that is not on the referral at all.
    const novahuset = await messageClient(hub, 'novahuset.caseworker', U.novahuset).message(
      referralId,
      [U.policeTraffickingOst, U.coordinator, U.frideborg],
      'not a party',
    );
    const outside = await hub
      .as('police.officer')
      .post(`/v1/referrals/${referralId}/messages`, novahuset);
    expect(outside.statusCode).toBe(403);
    expect(outside.json().type).toBe(problem('not-a-member-of-sender'));

    // A copy unit reads the thread but does not write in it.
    const fromCopy = await frideborg().message(
      referralId,
      [U.policeTraffickingOst, U.coordinator],
      'copy unit',
    );
    const copy = await hub
      .as('frideborg.caseworker')
      .post(`/v1/referrals/${referralId}/messages`, fromCopy);
    expect(copy.statusCode).toBe(403);
    expect(copy.json().type).toBe(problem('not-a-party-to-referral'));

    const denied = await auditEntries('referral.message_post', 'denied');
    expect(denied.map((e) => e.detail.refused)).toEqual(
      expect.arrayContaining(['REFERRALS_NOT_MEMBER_OF_SENDER', 'REFERRALS_NOT_A_PARTY']),
    );
    expect(denied.map((e) => e.detail.messageId)).toEqual(
      expect.arrayContaining([asCoordinator.id, fromCopy.id]),
    );
    expect((await police().read(referralId)).map((m) => m.document.text)).not.toContain('spoofed');
  });

  it('refuses an envelope bound to other routing (422 envelope-aad-mismatch)', async () => {
    const post = (body: unknown) =>
      hub.as('police.officer').post(`/v1/referrals/${referralId}/messages`, body);
    const id = randomUUID();
    // The copy unit left out of `to`.
    const missingCopy = await police().seal(
      { rid: referralId, to: [U.coordinator] },
      { messageId: id, text: 'x' },
    );
    const res1 = await post({ id, senderUnitId: U.policeTraffickingOst, envelope: missingCopy });
    expect(res1.statusCode).toBe(422);
    expect(res1.json().type).toBe(problem('envelope-aad-mismatch'));

    // `rid` is the referral id, not the message id.
    const ridIsMessage = await police().seal(
      { rid: id, to: [U.coordinator, U.frideborg] },
      { messageId: id, text: 'x' },
    );
    const res2 = await post({ id, senderUnitId: U.policeTraffickingOst, envelope: ridIsMessage });
    expect(res2.statusCode).toBe(422);
    expect(res2.json().type).toBe(problem('envelope-aad-mismatch'));

    // A referral envelope is not a message.
    const referralKind = await police().seal(
      { rid: referralId, to: [U.coordinator, U.frideborg], kind: 'referral' },
      referralDocument('x'),
    );
    const res3 = await post({ id, senderUnitId: U.policeTraffickingOst, envelope: referralKind });
    expect(res3.statusCode).toBe(422);
    expect(res3.json().type).toBe(problem('envelope-malformed'));
  });

  it('refuses an envelope that leaves out a key of an addressed unit (422 envelope-key-missing)', async () => {
    const message = await police().message(referralId, [U.coordinator, U.frideborg], 'x');
    const frideborgKid = hub.keys.units[U.frideborg]!.enc.kid;
    const envelope = {
      ...message.envelope,
      recipients: message.envelope.recipients.filter((r) => r.header.kid !== frideborgKid),
    };
    const res = await hub
      .as('police.officer')
      .post(`/v1/referrals/${referralId}/messages`, { ...message, envelope });
    expect(res.statusCode).toBe(422);
    expect(res.json()).toMatchObject({
      type: problem('envelope-key-missing'),
      missingKeys: [{ unitId: U.frideborg, kid: frideborgKid }],
    });
  });

  it('needs an Idempotency-Key, replays a retry, and refuses a second message with the same id', async () => {
    const message = await police().message(referralId, [U.coordinator, U.frideborg], 'once');
    const url = `/v1/referrals/${referralId}/messages`;

    const token = await hub.app.platform.devIssuer!.mint(DEMO_USERS['police.officer']!, {
      audience: hub.config.AUTH_AUDIENCE,
    });
    const noKey = await hub.app.inject({
      method: 'POST',
      url,
      headers: { authorization: `Bearer ${token}` },
      payload: message,
    });
    expect(noKey.statusCode).toBe(400);
    expect(noKey.json().errors).toEqual([
      expect.objectContaining({ field: 'headers.idempotency-key' }),
    ]);

    const key = { 'idempotency-key': randomUUID() };
    const first = await hub.as('police.officer').post(url, message, key);
    expect(first.statusCode).toBe(201);
    const retry = await hub.as('police.officer').post(url, message, key);
    expect(retry.statusCode).toBe(201);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(retry.json()).toEqual(first.json());

    const again = await hub.as('police.officer').post(url, message);
    expect(again.statusCode).toBe(409);
    expect(again.json().type).toBe(problem('message-exists'));

    const thread = await police().read(referralId);
    expect(thread.filter((m) => m.id === message.id)).toHaveLength(1);
  });
});

describe('a thread on a referral that is no longer open', () => {
  it('takes no message once the referral is withdrawn (409 referral-not-open)', async () => {
    const referralId = await sendReferral();
    const police = messageClient(hub, 'police.officer', U.policeTraffickingOst);
    const before = await police.message(referralId, [U.coordinator, U.frideborg], 'before');
    expect(
      (await hub.as('police.officer').post(`/v1/referrals/${referralId}/messages`, before))
        .statusCode,
    ).toBe(201);

    const withdrawn = await hub.as('police.officer').post(`/v1/referrals/${referralId}/withdraw`);
    expect(withdrawn.json().status).toBe('withdrawn');

    const after = await police.message(referralId, [U.coordinator, U.frideborg], 'after');
    const res = await hub.as('police.officer').post(`/v1/referrals/${referralId}/messages`, after);
    expect(res.statusCode).toBe(409);
    expect(res.json()).toMatchObject({
      type: problem('referral-not-open'),
      currentStatus: 'withdrawn',
    });
    // The sender keeps its thread; the recipient lost access with the referral's envelope.
    expect((await police.read(referralId)).map((m) => m.document.text)).toEqual(['before']);
    const recipient = await hub
      .as('coordinator.ostergotland')
      .get(`/v1/referrals/${referralId}/messages`);
    expect(recipient.statusCode).toBe(403);
    expect(recipient.json().type).toBe(problem('envelope-access-revoked'));
  });

  it('after a decline, lets only the sender list the thread and nobody post', async () => {
    const referralId = await sendReferral();
    const coordinator = messageClient(hub, 'coordinator.ostergotland', U.coordinator);
    const question = await coordinator.message(
      referralId,
      [U.policeTraffickingOst, U.frideborg],
      'Is she still in Norrköping?',
    );
    expect(
      (
        await hub
          .as('coordinator.ostergotland')
          .post(`/v1/referrals/${referralId}/messages`, question)
      ).statusCode,
    ).toBe(201);
    const declined = await hub
      .as('coordinator.ostergotland')
      .post(`/v1/referrals/${referralId}/decline`, { reason: 'outside_mandate' });
    expect(declined.json().status).toBe('declined');

    for (const user of ['coordinator.ostergotland', 'frideborg.caseworker'] as const) {
      const res = await hub.as(user).get(`/v1/referrals/${referralId}/messages`);
      expect(res.statusCode).toBe(403);
      expect(res.json().type).toBe(problem('envelope-access-revoked'));
    }
    const police = messageClient(hub, 'police.officer', U.policeTraffickingOst);
    expect((await police.read(referralId)).map((m) => m.document.text)).toEqual([
      'Is she still in Norrköping?',
    ]);
    const reply = await police.message(referralId, [U.coordinator, U.frideborg], 'Pity.');
    const res = await hub.as('police.officer').post(`/v1/referrals/${referralId}/messages`, reply);
    expect(res.statusCode).toBe(409);
    expect(res.json().type).toBe(problem('referral-not-open'));

    const denied = await auditEntries('referral.messages_read', 'denied');
    expect(denied.filter((e) => e.objectId === referralId).map((e) => e.actorSub)).toEqual(
      expect.arrayContaining(['coordinator.ostergotland', 'frideborg.caseworker']),
    );
  });
});
