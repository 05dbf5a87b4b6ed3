/**
 * The journey of the referrals issue, through the API on the real Postgres and JetStream:
 * police → regional coordinator → forward to Frideborg and Novahuset → accept → handover planned
 * → both sides confirm → closed, with the content decrypted and the sender's signature verified
 * at every recipient — and the hub never holding the plaintext: not in its database, its event stream or its logs.
 */
import { execFileSync } from 'node:child_process';
import { Writable } from 'node:stream';
import { jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { DEMO_UNITS as U } from '@samverkan/shared';
import { agencyClient, referralDocument } from './helpers/agency-client';
import { buildHub, type TestHub } from './helpers/build';

let hub: TestHub;
let logs = '';
beforeAll(async () => {
  const logStream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      logs += chunk.toString();
      callback();
    },
  });
  hub = await buildHub({ nats: true, logStream });
});
afterAll(async () => {
  await hub?.close();
});

const MARKER = `PLAINTEXT-MARKER-${Date.now()}`;

it('runs police → coordinator → Frideborg and Novahuset → accepted, handed over warmly, closed', async () => {
  const police = agencyClient(hub, 'police.officer', U.policeTraffickingOst);
  const coordinator = agencyClient(hub, 'coordinator.ostergotland', U.coordinator);
  const frideborg = agencyClient(hub, 'frideborg.caseworker', U.frideborg);
  const novahuset = agencyClient(hub, 'novahuset.caseworker', U.novahuset);

  // 1. The officer sends a trafficking referral to the regional coordinator.
  const body = await police.referral({ recipientUnitId: U.coordinator }, referralDocument(MARKER));
  const sent = await hub.as('police.officer').post('/v1/referrals', body);
  expect(sent.statusCode).toBe(201);
  expect(sent.json()).toMatchObject({
    id: body.id,
    status: 'sent',
    senderUnitId: U.policeTraffickingOst,
  });
  expect(JSON.stringify(sent.json())).not.toContain(MARKER);

  // 2. It waits in the coordinator's inbox; the coordinator decrypts and verifies it.
  const inbox = await hub
    .as('coordinator.ostergotland')
    .get(`/v1/referrals?box=inbox&unit=${U.coordinator}`);
  expect(inbox.json().items.map((r: { id: string }) => r.id)).toContain(body.id);
  // Without `unit`, the inbox of every unit the caller acts for (here the coordinator's one).
  const ownUnits = await hub.as('coordinator.ostergotland').get('/v1/referrals?box=inbox');
  expect(ownUnits.statusCode).toBe(200);
  expect(ownUnits.json().items.map((r: { id: string }) => r.id)).toEqual(
    inbox.json().items.map((r: { id: string }) => r.id),
  );
  // Pages follow an opaque cursor (shared/src/http/cursor.ts); one the API did not give out is a 400.
  const firstPage = await hub.as('police.officer').get('/v1/referrals?box=outbox&limit=1');
  expect(firstPage.json().items).toHaveLength(1);
  const forged = Buffer.from(JSON.stringify({ c: new Date().toISOString(), i: 'x' })).toString(
    'base64url',
  );
  for (const bad of [forged, 'bm90IGpzb24', '!!']) {
    const refused = await hub
      .as('police.officer')
      .get(`/v1/referrals?box=outbox&cursor=${encodeURIComponent(bad)}`);
    expect(refused.statusCode).toBe(400);
    expect(refused.headers['content-type']).toContain('application/problem+json');
  }
  const outbox = await hub.as('police.officer').get('/v1/referrals?box=outbox');
  expect(outbox.json().items.map((r: { id: string }) => r.id)).toContain(body.id);
  const counts = await hub
    .as('coordinator.ostergotland')
    .get(`/v1/referrals/counts?box=inbox&unit=${U.coordinator}`);
  expect(counts.json().byStatus.sent).toBe(1);
  const opened = await coordinator.open(body.id);
  expect(opened.document).toEqual(referralDocument(MARKER));
  expect(opened.aad).toMatchObject({
    rid: body.id,
    from: U.policeTraffickingOst,
    to: [U.coordinator],
  });
  // The sender can read what it sent.
  expect((await police.open(body.id)).document).toEqual(referralDocument(MARKER));

  const ack = await hub
    .as('coordinator.ostergotland')
    .post(`/v1/referrals/${body.id}/acknowledge`, {});
  expect(ack.statusCode).toBe(200);
  expect(ack.json().status).toBe('received');

  // 3. The coordinator forwards it to Frideborg and to Novahuset, each with its own envelope.
  // Each leg carries the original's clear metadata and names the original it was forwarded from.
  const toFrideborg = await coordinator.referral(
    { recipientUnitId: U.frideborg },
    opened.document,
    {},
    body.id,
  );
  const toNovahuset = await coordinator.referral(
    { recipientUnitId: U.novahuset },
    opened.document,
    {},
    body.id,
  );
  const forwarded = await hub
    .as('coordinator.ostergotland')
    .post(`/v1/referrals/${body.id}/forward`, {
      forwards: [toFrideborg, toNovahuset].map((f) => ({
        id: f.id,
        recipientUnitId: f.recipientUnitId,
        copyUnitIds: [],
        envelope: f.envelope,
      })),
    });
  expect(forwarded.statusCode).toBe(201);
  expect(forwarded.json().original).toMatchObject({
    status: 'forwarded',
    forwardedToIds: [toFrideborg.id, toNovahuset.id],
  });
  expect(forwarded.json().forwards).toEqual([
    expect.objectContaining({
      id: toFrideborg.id,
      forwardedFromId: body.id,
      senderUnitId: U.coordinator,
      status: 'sent',
    }),
    expect.objectContaining({
      id: toNovahuset.id,
      forwardedFromId: body.id,
      recipientUnitId: U.novahuset,
    }),
  ]);

  // 4. Both decrypt their copy and verify that the coordinator signed it.
  expect((await frideborg.open(toFrideborg.id)).document).toEqual(referralDocument(MARKER));
  expect((await novahuset.open(toNovahuset.id)).document).toEqual(referralDocument(MARKER));
  // Frideborg cannot read Novahuset's leg, nor the police's original.
  expect(
    (await hub.as('frideborg.caseworker').get(`/v1/referrals/${toNovahuset.id}/envelope`))
      .statusCode,
  ).toBe(404);
  expect(
    (await hub.as('frideborg.caseworker').get(`/v1/referrals/${body.id}/envelope`)).statusCode,
  ).toBe(404);

  // 5. Novahuset accepts; the warm handover is planned and confirmed by both sides; closed.
  const id = toNovahuset.id;
  expect(
    (await hub.as('novahuset.caseworker').post(`/v1/referrals/${id}/accept`, {})).json().status,
  ).toBe('accepted');
  const planned = await hub.as('novahuset.caseworker').post(`/v1/referrals/${id}/handover`, {
    mode: 'in_person',
    plannedFor: new Date(Date.now() + 3_600_000).toISOString(),
  });
  expect(planned.statusCode).toBe(200);
  expect(planned.json().status).toBe('handover_planned');
  const bySender = await hub
    .as('coordinator.ostergotland')
    .post(`/v1/referrals/${id}/confirm-handover`, { side: 'sender' });
  expect(bySender.statusCode).toBe(200);
  expect(bySender.json().status).toBe('handover_planned');
  expect(bySender.json().handover.senderConfirmation).toMatchObject({
    unitId: U.coordinator,
    userId: 'coordinator.ostergotland',
  });
  const byRecipient = await hub
    .as('novahuset.caseworker')
    .post(`/v1/referrals/${id}/confirm-handover`, { side: 'recipient' });
  expect(byRecipient.json()).toMatchObject({ status: 'handover_confirmed' });
  expect(byRecipient.json().handover.recipientConfirmation).toMatchObject({ unitId: U.novahuset });
  const closed = await hub
    .as('novahuset.caseworker')
    .post(`/v1/referrals/${id}/close`, { outcome: 'support_started' });
  expect(closed.json()).toMatchObject({ status: 'closed', outcome: 'support_started' });

  const timeline = await hub.as('coordinator.ostergotland').get(`/v1/referrals/${id}/timeline`);
  expect(timeline.json().items.map((e: { event: string }) => e.event)).toEqual(
    expect.arrayContaining([
      'sent',
      'accepted',
      'handover_planned',
      'handover_confirmed',
      'closed',
    ]),
  );

  // 6. The hub never had the plaintext: not in the database, not in the event stream.
  const dump = execFileSync('pg_dump', ['--data-only', hub.db.url], {
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  expect(dump).toContain(body.id);
  expect(dump).not.toContain(MARKER);
  const streamed = (await hub.referrals.context.dataSource.query(
    `SELECT payload::text AS p FROM referrals.outbox`,
  )) as Array<{
    p: string;
  }>;
  expect(streamed.length).toBeGreaterThan(5);
  expect(streamed.some((row) => row.p.includes(MARKER))).toBe(false);
  const events = hub.app.platform.events as { kind: 'nats'; nc: NatsConnection };
  const jsm = await jetstreamManager(events.nc);
  const stream = `${hub.naming.streamPrefix}_REFERRALS`;
  const { state } = await jsm.streams.info(stream);
  expect(state.messages).toBeGreaterThan(5);
  for (let seq = state.first_seq; seq <= state.last_seq; seq += 1) {
    const message = await jsm.streams.getMessage(stream, { seq });
    expect(message!.string()).not.toContain(MARKER);
  }
  // …nor in its logs, which saw every request at debug level.
  expect(logs).toContain(body.id);
  expect(logs).not.toContain(MARKER);
  expect(logs).not.toMatch(/eyJ[A-Za-z0-9_-]{20,}\.eyJ/);

  // 7. Every envelope read is in the audit log, and the chain verifies.
  const audit = await hub
    .as('hub.admin')
    .get('/v1/audit/referrals?action=referral.envelope_read&limit=500');
  expect(audit.json().items.length).toBeGreaterThanOrEqual(4);
  expect((await hub.as('hub.admin').get('/v1/audit/referrals/verify')).json()).toMatchObject({
    valid: true,
  });
});
