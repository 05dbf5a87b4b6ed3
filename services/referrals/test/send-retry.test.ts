/**
 * Nothing accepted is lost, and nothing is sent twice, when the hub commits a referral but cannot
 * answer (a replica killed, Postgres restarting between commit and reply): the client's retry —
 * even once the Idempotency-Key record it left pending has been taken over — gets the referral it
 * created, not a conflict. Another referral under the same id is still refused.
 */
import { DEMO_UNITS as U, referralMetadata } from '@samverkan/shared';
import { agencyClient, referralDocument } from './helpers/agency-client';
import { buildHub, type TestHub } from './helpers/build';

let hub: TestHub;

beforeAll(async () => {
  hub = await buildHub();
}, 120_000);
afterAll(async () => hub?.close());

async function count(sql: string, params: unknown[]): Promise<number> {
  const rows = (await hub.referrals.context.dataSource.query(sql, params)) as Array<{ n: number }>;
  return Number(rows[0]!.n);
}

it('the same send again is answered with the referral it created, written once', async () => {
  const police = agencyClient(hub, 'police.officer', U.policeTraffickingOst);
  const body = await police.referral({ recipientUnitId: U.coordinator }, referralDocument('RETRY'));
  const first = await hub.as('police.officer').post('/v1/referrals', body);
  expect(first.statusCode).toBe(201);
  // A new Idempotency-Key: as after the pending record of a lost answer was taken over.
  const again = await hub.as('police.officer').post('/v1/referrals', body);
  expect(again.statusCode).toBe(201);
  expect(again.json()).toEqual(first.json());

  expect(
    await count(
      `SELECT count(*)::int AS n FROM referrals.outbox
        WHERE type = 'samverkan.referrals.referral.sent' AND payload->'data'->>'referralId' = $1`,
      [body.id],
    ),
  ).toBe(1);
  expect(
    await count(
      `SELECT count(*)::int AS n FROM referrals.referral_events WHERE referral_id = $1 AND event = 'sent'`,
      [body.id],
    ),
  ).toBe(1);
});

it('a different referral under an id already taken is refused with referral-exists', async () => {
  const police = agencyClient(hub, 'police.officer', U.policeTraffickingOst);
  const body = await police.referral({ recipientUnitId: U.coordinator }, referralDocument('ONE'));
  expect((await hub.as('police.officer').post('/v1/referrals', body)).statusCode).toBe(201);
  const other = {
    ...body,
    urgency: 'acute',
    envelope: await police.seal(
      referralMetadata({ ...body, urgency: 'acute' }),
      referralDocument('TWO'),
    ),
  };
  const refused = await hub.as('police.officer').post('/v1/referrals', other);
  expect(refused.statusCode).toBe(409);
  expect(refused.json().type).toBe('urn:samverkan:problem:referral-exists');
});

it('an id taken by a referral the caller cannot see is answered as GET answers it: 404, not referral-exists', async () => {
  const police = agencyClient(hub, 'police.officer', U.policeTraffickingOst);
  const victim = await police.referral({ recipientUnitId: U.coordinator }, referralDocument('V'));
  expect((await hub.as('police.officer').post('/v1/referrals', victim)).statusCode).toBe(201);

  // Another organisation's user learns the id and sends its own referral under it.
  const frideborg = agencyClient(hub, 'frideborg.caseworker', U.frideborg);
  const base = await frideborg.referral({ recipientUnitId: U.coordinator }, referralDocument('P'));
  const probe = {
    ...base,
    id: victim.id,
    envelope: await frideborg.seal(
      referralMetadata({ ...base, id: victim.id }),
      referralDocument('P'),
    ),
  };
  const read = await hub.as('frideborg.caseworker').get(`/v1/referrals/${victim.id}`);
  const sent = await hub.as('frideborg.caseworker').post('/v1/referrals', probe);
  expect(read.statusCode).toBe(404);
  expect(sent.statusCode).toBe(404);
  expect(sent.json().type).toBe(read.json().type);
  expect(sent.json().type).toBe('urn:samverkan:problem:referral-not-found');
  // The victim's referral is untouched, and its sender's own retry still gets it back.
  const again = await hub.as('police.officer').post('/v1/referrals', victim);
  expect(again.statusCode).toBe(201);
  expect(again.json().senderUnitId).toBe(U.policeTraffickingOst);
});
