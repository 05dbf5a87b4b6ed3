/**
 * The first to claim a field request gets it: twenty social workers on shift claiming the same
 * request at once end with exactly one claim, nineteen 409s of their own problem type, one
 * `claimed` event, and the refusals in the audit log.
 */
import { randomUUID } from 'node:crypto';
import { DEMO_ORGANISATIONS as O, DEMO_UNITS as U } from '@samverkan/shared';
import { eventually } from '@samverkan/shared/src/testing';
import { buildHub, type TestHub } from './helpers/build';
import {
  activeOperation,
  fieldRequestBody,
  ok,
  outboxEvents,
  putOnShift,
} from './helpers/operations';
import { auditRows, mintToken, withToken } from './helpers/requests';

let hub: TestHub;
const CLAIMERS = Array.from(
  { length: 20 },
  (_v, i) => `frideborg.night-${String(i + 1).padStart(2, '0')}`,
);

beforeAll(async () => {
  hub = await buildHub();
});
afterAll(async () => {
  await hub?.close();
});

it('lets exactly one of 20 members on shift claim a request', async () => {
  // Twenty caseworkers join Frideborg in the directory; the read model learns of them by event.
  for (const userId of CLAIMERS) {
    ok(
      await hub.as('norrkoping.admin').post(`/v1/units/${U.frideborg}/members`, {
        userId,
        roles: ['caseworker'],
      }),
      201,
    );
  }
  await eventually(async () => {
    const [row] = (await hub.referrals.context.dataSource.query(
      `SELECT count(*)::int AS n FROM referrals.directory_members WHERE active AND user_id LIKE 'frideborg.night-%'`,
    )) as Array<{ n: number }>;
    return row!.n === CLAIMERS.length ? true : undefined;
  }, 20_000);

  const op = await activeOperation(hub);
  for (const userId of CLAIMERS) {
    await putOnShift(hub, op, U.frideborg, userId);
  }
  const request = ok(
    await hub
      .as('police.officer')
      .post(`/v1/operations/${op.id}/field-requests`, await fieldRequestBody(hub, op.id)),
    201,
  );

  const clients = await Promise.all(
    CLAIMERS.map(async (sub) =>
      withToken(
        hub,
        await mintToken(hub, {
          sub,
          org: O.norrkoping,
          units: [U.frideborg],
          roles: ['caseworker'],
        }),
      ),
    ),
  );
  const keys = CLAIMERS.map(() => randomUUID());
  const responses = await Promise.all(
    clients.map((c, i) =>
      c.post(`/v1/field-requests/${request.id}/claim`, {}, { 'idempotency-key': keys[i]! }),
    ),
  );

  const winners = responses.filter((r) => r.statusCode === 200);
  const losers = responses.filter((r) => r.statusCode !== 200);
  expect(winners).toHaveLength(1);
  expect(losers).toHaveLength(CLAIMERS.length - 1);
  for (const res of losers) {
    expect(res.statusCode).toBe(409);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json()).toMatchObject({
      type: 'urn:samverkan:problem:field-request-already-claimed',
      code: 'REFERRALS_FIELD_REQUEST_ALREADY_CLAIMED',
      currentStatus: 'claimed',
    });
  }
  const winner = winners[0]!.json().claimedBy as string;
  expect(CLAIMERS).toContain(winner);

  const stored = ok(await hub.as('police.officer').get(`/v1/field-requests/${request.id}`));
  expect(stored).toMatchObject({
    status: 'claimed',
    claimedBy: winner,
    claimedByUnitId: U.frideborg,
    version: 2,
  });
  const claimed = (await outboxEvents(hub, 'samverkan.referrals.field_request.claimed')).filter(
    (e) => e.data.fieldRequestId === request.id,
  );
  expect(claimed).toHaveLength(1);
  expect(claimed[0]!.data).toMatchObject({ claimedBy: winner, status: 'claimed' });

  // The winner's client retries (say, after a dropped connection): the same answer, no second claim.
  const w = responses.findIndex((r) => r.statusCode === 200);
  const retry = await clients[w]!.post(
    `/v1/field-requests/${request.id}/claim`,
    {},
    {
      'idempotency-key': keys[w]!,
    },
  );
  expect(retry.statusCode).toBe(200);
  expect(retry.json()).toEqual(winners[0]!.json());

  const audit = await auditRows(hub, { objectId: request.id, action: 'field_request.claim' });
  expect(audit.filter((a) => a.outcome === 'allowed').map((a) => a.actorSub)).toEqual([winner]);
  expect(audit.filter((a) => a.outcome === 'denied')).toHaveLength(CLAIMERS.length - 1);
});
