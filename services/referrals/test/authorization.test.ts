/**
 * Who may do what (docs/architecture.md#identity-and-access): every referral route × every kind of caller. A referral is
 * visible only to members of its sender, recipient and copy units; everyone else — another unit
 * of the same organisation, another organisation, a coordinator it was not sent to, analysts,
 * auditors, administrators — gets 404 and never a byte of the envelope. Parties act only as the
 * lifecycle allows: 403 for the wrong side, 409 for the wrong state.
 */
import { randomUUID } from 'node:crypto';
import {
  DEMO_ORGANISATIONS as O,
  DEMO_UNITS as U,
  type DemoUserName,
  type GeneralJweEnvelope,
} from '@samverkan/shared';
import type { LightMyRequestResponse } from 'fastify';
import { agencyClient, referralDocument } from './helpers/agency-client';
import { buildHub, type TestHub } from './helpers/build';
import { envelopeSecrets, sealRaw } from './helpers/envelopes';
import { prepareReferral, statusOf, type Party, type PreparedState } from './helpers/lifecycle';
import { expectProblem, mintToken, referralRows, withToken } from './helpers/requests';

let hub: TestHub;
/** police → Frideborg, with the youth clinic as copy unit; stays `sent` throughout. */
let base: { id: string; envelope: GeneralJweEnvelope };
/** Every response given to someone who is not a party to `base`. */
const outsiderResponses: LightMyRequestResponse[] = [];

const SENDER: Party = { user: 'police.officer', unitId: U.policeTraffickingOst };
const FRIDEBORG: Party = { user: 'frideborg.caseworker', unitId: U.frideborg };
const COORDINATOR: Party = { user: 'coordinator.ostergotland', unitId: U.coordinator };
const COPY_USER: DemoUserName = 'region.caseworker';

const PARTIES: DemoUserName[] = ['police.officer', 'frideborg.caseworker', COPY_USER];
const OUTSIDERS: Array<[string, DemoUserName]> = [
  ['another unit of the recipient organisation', 'socialjour.caseworker'],
  ['another organisation', 'umea.caseworker'],
  ['another police region', 'police-nord.officer'],
  ['a coordinator it was not sent to', 'coordinator.ostergotland'],
  ['an analyst', 'lansstyrelsen.analyst'],
  ['an auditor', 'norrkoping.auditor'],
  ["the recipient organisation's admin", 'norrkoping.admin'],
  ['a hub admin', 'hub.admin'],
];

const READS = ['', '/envelope', '/timeline'] as const;
const ACTIONS = [
  'acknowledge',
  'accept',
  'decline',
  'withdraw',
  'handover',
  'confirm-handover',
  'close',
  'forward',
] as const;
type Action = (typeof ACTIONS)[number];

const inAnHour = () => new Date(Date.now() + 3_600_000).toISOString();

/** A body the contract accepts for each action, so that refusals come from the service. */
async function bodyFor(
  action: Action,
  from: string = U.frideborg,
  referralId?: string,
): Promise<unknown> {
  switch (action) {
    case 'decline':
      return { reason: 'no_capacity' };
    case 'handover':
      return { mode: 'phone', plannedFor: inAnHour() };
    case 'confirm-handover':
      return { side: 'recipient' };
    case 'close':
      return { outcome: 'person_declined' };
    case 'forward': {
      const id = randomUUID();
      const to = from === U.frideborg ? U.elsa : U.frideborg;
      return {
        forwards: [
          {
            id,
            recipientUnitId: to,
            copyUnitIds: [],
            envelope: await sealRaw(hub, {
              rid: id,
              from,
              to: [to],
              meta: { forwardedFromId: referralId ?? null },
            }),
          },
        ],
      };
    }
    default:
      return {};
  }
}

function expectNoEnvelope(res: LightMyRequestResponse): void {
  for (const secret of envelopeSecrets(base.envelope)) {
    expect(res.body).not.toContain(secret);
  }
  expect(res.body).not.toContain('"ciphertext"');
}

beforeAll(async () => {
  hub = await buildHub();
  base = await prepareReferral(hub, {
    sender: SENDER,
    recipient: FRIDEBORG,
    copyUnitIds: [U.youthClinic],
  });
});
afterAll(async () => {
  await hub?.close();
});

describe('reading a referral', () => {
  it.each(PARTIES.flatMap((user) => READS.map((path) => [user, path] as const)))(
    '%s reads GET /v1/referrals/{id}%s',
    async (user, path) => {
      const res = await hub.as(user).get(`/v1/referrals/${base.id}${path}`);
      expect(res.statusCode).toBe(200);
      const body = res.json();
      if (path === '') {
        expect(body).toMatchObject({ id: base.id, status: 'sent', copyUnitIds: [U.youthClinic] });
        expect(body).not.toHaveProperty('envelope');
      } else if (path === '/envelope') {
        expect(body).toEqual({ referralId: base.id, envelope: base.envelope });
      } else {
        expect(body.items[0]).toMatchObject({ event: 'sent', actorUnitId: U.policeTraffickingOst });
      }
    },
  );

  it('lets each party open the envelope it is addressed by', async () => {
    for (const [user, unitId] of [
      ['police.officer', U.policeTraffickingOst],
      ['frideborg.caseworker', U.frideborg],
      [COPY_USER, U.youthClinic],
    ] as const) {
      const opened = await agencyClient(hub, user, unitId).open(base.id);
      expect(opened.document).toEqual(referralDocument('prepared'));
    }
  });

  it.each(OUTSIDERS.flatMap(([who, user]) => READS.map((path) => [who, user, path] as const)))(
    '%s (%s) gets 404 for GET /v1/referrals/{id}%s',
    async (_who, user, path) => {
      const res = await hub.as(user).get(`/v1/referrals/${base.id}${path}`);
      outsiderResponses.push(res);
      expectProblem(res, 404, 'referral-not-found');
      expectNoEnvelope(res);
    },
  );

  it('answers an unknown id exactly as a hidden one', async () => {
    const hidden = await hub.as('umea.caseworker').get(`/v1/referrals/${base.id}`);
    const unknown = await hub.as('umea.caseworker').get(`/v1/referrals/${randomUUID()}`);
    const strip = (res: LightMyRequestResponse) => {
      const { instance: _instance, ...rest } = res.json() as Record<string, unknown>;
      return rest;
    };
    expect(unknown.statusCode).toBe(hidden.statusCode);
    expect(strip(unknown)).toEqual(strip(hidden));
  });

  it.each(READS)('refuses GET /v1/referrals/{id}%s without a token (401)', async (path) => {
    const res = await hub.as(null).get(`/v1/referrals/${base.id}${path}`);
    outsiderResponses.push(res);
    expectProblem(res, 401);
    expectNoEnvelope(res);
  });
});

describe('acting on a referral', () => {
  it.each(
    OUTSIDERS.flatMap(([who, user]) => ACTIONS.map((action) => [who, user, action] as const)),
  )('%s (%s) gets 404 for POST …/%s', async (_who, user, action) => {
    const res = await hub
      .as(user)
      .post(`/v1/referrals/${base.id}/${action}`, await bodyFor(action));
    outsiderResponses.push(res);
    expectProblem(res, 404, 'referral-not-found');
    expectNoEnvelope(res);
  });

  it.each(ACTIONS)('refuses POST …/%s without a token (401)', async (action) => {
    const res = await hub
      .as(null)
      .post(`/v1/referrals/${base.id}/${action}`, await bodyFor(action));
    outsiderResponses.push(res);
    expectProblem(res, 401);
  });

  it('left the referral untouched by all of that', async () => {
    expect(await statusOf(hub, base.id)).toBe('sent');
    const res = await hub.as('police.officer').get(`/v1/referrals/${base.id}`);
    expect(res.json()).toMatchObject({ status: 'sent', version: 1 });
  });

  const TNA = 'referral-transition-not-allowed';
  const NMR = 'not-a-member-of-recipient';
  const NMS = 'not-a-member-of-sender';
  const [S, R, C] = ['police.officer', 'frideborg.caseworker', COPY_USER] as const;
  type Case = {
    action: Action;
    state: PreparedState;
    caller: DemoUserName;
    status: number;
    /** the problem slug, or the status the referral has after a 2xx */
    outcome: string;
    body?: unknown;
  };
  // [action, starting state, caller (Sender, Recipient, Copy), status, slug or new status, body]
  const table: Array<[Action, PreparedState, DemoUserName, number, string, unknown?]> = [
    ['acknowledge', 'sent', S, 403, NMR],
    ['acknowledge', 'sent', C, 403, NMR],
    ['acknowledge', 'sent', R, 200, 'received'],
    ['acknowledge', 'received', R, 409, TNA],
    ['acknowledge', 'accepted', R, 409, TNA],
    ['accept', 'received', S, 403, NMR],
    ['accept', 'received', C, 403, NMR],
    ['accept', 'received', R, 200, 'accepted'],
    ['accept', 'withdrawn', R, 409, TNA],
    ['accept', 'declined', R, 409, TNA],
    ['decline', 'received', S, 403, NMR],
    ['decline', 'received', C, 403, NMR],
    ['decline', 'sent', R, 200, 'declined'],
    ['decline', 'accepted', R, 409, TNA],
    ['withdraw', 'sent', R, 403, NMS],
    ['withdraw', 'sent', C, 403, NMS],
    ['withdraw', 'received', S, 200, 'withdrawn'],
    ['withdraw', 'accepted', S, 409, TNA],
    ['withdraw', 'declined', S, 409, TNA],
    ['handover', 'accepted', C, 403, 'not-a-party-to-referral'],
    ['handover', 'accepted', S, 200, 'handover_planned'],
    ['handover', 'accepted', R, 200, 'handover_planned'],
    ['handover', 'received', R, 409, TNA],
    ['handover', 'closed', S, 409, TNA],
    ['confirm-handover', 'handover_planned', C, 403, NMR, { side: 'recipient' }],
    ['confirm-handover', 'handover_planned', S, 200, 'handover_planned', { side: 'sender' }],
    ['confirm-handover', 'handover_planned', R, 200, 'handover_planned', { side: 'recipient' }],
    // each side confirms only for itself: naming the other side is refused, not re-interpreted
    ['confirm-handover', 'handover_planned', S, 403, NMR, { side: 'recipient' }],
    ['confirm-handover', 'handover_planned', R, 403, NMS, { side: 'sender' }],
    ['confirm-handover', 'accepted', S, 409, 'handover-not-planned', { side: 'sender' }],
    [
      'confirm-handover',
      'handover_confirmed',
      S,
      409,
      'handover-already-confirmed',
      { side: 'sender' },
    ],
    ['confirm-handover', 'sent', S, 409, TNA, { side: 'sender' }],
    ['close', 'handover_confirmed', S, 403, NMR, { outcome: 'support_started' }],
    ['close', 'handover_confirmed', C, 403, NMR, { outcome: 'support_started' }],
    ['close', 'handover_confirmed', R, 200, 'closed', { outcome: 'support_started' }],
    ['close', 'accepted', R, 200, 'closed', { outcome: 'unreachable' }],
    ['close', 'sent', R, 409, TNA, { outcome: 'unreachable' }],
    ['close', 'closed', R, 409, TNA, { outcome: 'unreachable' }],
  ];
  const cases: Case[] = table.map(([action, state, caller, status, outcome, body]) => ({
    action,
    state,
    caller,
    status,
    outcome,
    body,
  }));

  it.each(cases)(
    '$action on a $state referral by $caller → $status $outcome',
    async ({ action, state, caller, status, outcome, body }) => {
      const referral = await prepareReferral(hub, {
        sender: SENDER,
        recipient: FRIDEBORG,
        copyUnitIds: [U.youthClinic],
        state,
      });
      const res = await hub
        .as(caller)
        .post(`/v1/referrals/${referral.id}/${action}`, body ?? (await bodyFor(action)));
      if (status < 300) {
        expect({ status: res.statusCode, body: res.json() }).toMatchObject({
          status,
          body: { id: referral.id, status: outcome },
        });
      } else {
        expectProblem(res, status, outcome);
        if (outcome === TNA) {
          expect(res.json().currentStatus).toBe(state);
        }
        expect(await statusOf(hub, referral.id)).toBe(state);
      }
    },
  );

  it.each([
    ['the sender', 'police.officer', 'received', 403, 'not-a-member-of-recipient'],
    ['the coordinator it was sent to', 'coordinator.ostergotland', 'received', 201, 'forwarded'],
    ['the coordinator, once accepted', 'coordinator.ostergotland', 'accepted', 409, TNA],
    ['the coordinator, once withdrawn', 'coordinator.ostergotland', 'withdrawn', 409, TNA],
  ] as const)('forward by %s → %i %s', async (_who, caller, state, status, outcome) => {
    const referral = await prepareReferral(hub, {
      sender: SENDER,
      recipient: COORDINATOR,
      state,
    });
    const res = await hub
      .as(caller)
      .post(
        `/v1/referrals/${referral.id}/forward`,
        await bodyFor('forward', U.coordinator, referral.id),
      );
    if (status < 300) {
      expect(res.statusCode).toBe(status);
      expect(res.json().original).toMatchObject({ id: referral.id, status: outcome });
    } else {
      expectProblem(res, status, outcome);
      expect(await statusOf(hub, referral.id)).toBe(state);
    }
  });
});

describe('lists and counts', () => {
  const list = (unit: string, box = 'inbox') => `/v1/referrals?box=${box}&unit=${unit}&limit=100`;
  const counts = (unit: string, box = 'inbox') => `/v1/referrals/counts?box=${box}&unit=${unit}`;

  it.each([
    ['frideborg.caseworker', U.frideborg, 'inbox'],
    [COPY_USER, U.youthClinic, 'inbox'],
    ['police.officer', U.policeTraffickingOst, 'outbox'],
  ] as const)('%s lists and counts its own %s (%s)', async (user, unit, box) => {
    const page = await hub.as(user).get(list(unit, box));
    expect(page.statusCode).toBe(200);
    const items = page.json().items as Array<Record<string, unknown>>;
    expect(items.map((r) => r.id)).toContain(base.id);
    for (const item of items) {
      expect(item).not.toHaveProperty('envelope');
    }
    const n = await hub.as(user).get(counts(unit, box));
    expect(n.statusCode).toBe(200);
    expect(n.json()).toMatchObject({ unitId: unit, box });
    expect(n.json().byStatus.sent).toBeGreaterThanOrEqual(1);
  });

  it('pages an inbox newest first through the referrals and the copies to the unit, each once, and counts them', async () => {
    // The youth clinic: a copy unit of `base`, the recipient of one more, a copy of two more.
    await prepareReferral(hub, {
      sender: SENDER,
      recipient: { user: COPY_USER, unitId: U.youthClinic },
    });
    for (let i = 0; i < 2; i++) {
      await prepareReferral(hub, {
        sender: SENDER,
        recipient: FRIDEBORG,
        copyUnitIds: [U.youthClinic],
      });
    }
    const all = (await hub.as(COPY_USER).get(list(U.youthClinic))).json().items as Array<{
      id: string;
      createdAt: string;
    }>;
    expect(all.length).toBeGreaterThanOrEqual(4);
    expect(new Set(all.map((r) => r.id)).size).toBe(all.length);
    const newestFirst = [...all].sort((a, b) =>
      a.createdAt === b.createdAt ? (a.id < b.id ? 1 : -1) : a.createdAt < b.createdAt ? 1 : -1,
    );
    expect(all.map((r) => r.id)).toEqual(newestFirst.map((r) => r.id));
    const paged: string[] = [];
    let cursor: string | null = null;
    do {
      const url = `/v1/referrals?box=inbox&unit=${U.youthClinic}&limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const page = (await hub.as(COPY_USER).get(url)).json() as {
        items: Array<{ id: string }>;
        nextCursor: string | null;
      };
      paged.push(...page.items.map((r) => r.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(paged).toEqual(all.map((r) => r.id));
    const n = (await hub.as(COPY_USER).get(counts(U.youthClinic))).json() as {
      byStatus: Record<string, number>;
    };
    expect(Object.values(n.byStatus).reduce((a, b) => a + b, 0)).toBe(all.length);
  });

  it.each(
    (
      [
        'police.officer',
        COPY_USER,
        'socialjour.caseworker',
        'umea.caseworker',
        'coordinator.ostergotland',
        'lansstyrelsen.analyst',
        'norrkoping.auditor',
        'norrkoping.admin',
        'hub.admin',
      ] as DemoUserName[]
    ).flatMap((user) => (['list', 'counts'] as const).map((what) => [user, what] as const)),
  )("%s cannot read Frideborg's inbox (%s → 403)", async (user, what) => {
    const res = await hub.as(user).get(what === 'list' ? list(U.frideborg) : counts(U.frideborg));
    outsiderResponses.push(res);
    expectProblem(res, 403, 'forbidden');
    expectNoEnvelope(res);
    // What to fix, not "You may not do this" alone.
    expect(res.json().detail).toBe(
      `You do not act for unit ${U.frideborg}: the token must claim the unit, and the directory list you as its member with a case-handling role (caseworker, officer, coordinator)`,
    );
  });

  it('tells an analyst listing referrals that no unit is acted for, and why (403)', async () => {
    const res = await hub.as('lansstyrelsen.analyst').get('/v1/referrals?box=inbox');
    expectProblem(res, 403, 'forbidden');
    expect(res.json().detail).toMatch(
      /^You act for no unit, so you have no referrals to list: .*case-handling role \(caseworker, officer, coordinator\)$/,
    );
  });

  it.each(['list', 'counts'] as const)('refuses the %s without a token (401)', async (what) => {
    const res = await hub.as(null).get(what === 'list' ? list(U.frideborg) : counts(U.frideborg));
    expectProblem(res, 401);
  });
});

describe('sending', () => {
  it('lets a member of the sender unit send (201)', async () => {
    const body = await agencyClient(hub, 'police.officer', U.policeTraffickingOst).referral(
      { recipientUnitId: U.frideborg },
      referralDocument('send'),
    );
    const res = await hub.as('police.officer').post('/v1/referrals', body);
    expect(res.statusCode).toBe(201);
    expect(await referralRows(hub, body.id)).toBe(1);
  });

  it.each([
    'frideborg.caseworker',
    'socialjour.caseworker',
    'umea.caseworker',
    'coordinator.ostergotland',
    'lansstyrelsen.analyst',
    'norrkoping.auditor',
    'hub.admin',
  ] as DemoUserName[])('refuses %s sending as the police unit (403)', async (user) => {
    const body = await agencyClient(hub, 'police.officer', U.policeTraffickingOst).referral(
      { recipientUnitId: U.frideborg },
      referralDocument('impostor'),
    );
    const res = await hub.as(user).post('/v1/referrals', body);
    expectProblem(res, 403, 'not-a-member-of-sender');
    expect(await referralRows(hub, body.id)).toBe(0);
  });

  it('refuses a send without a token (401)', async () => {
    const body = await agencyClient(hub, 'police.officer', U.policeTraffickingOst).referral(
      { recipientUnitId: U.frideborg },
      referralDocument('anonymous'),
    );
    expectProblem(await hub.as(null).post('/v1/referrals', body), 401);
    expect(await referralRows(hub, body.id)).toBe(0);
  });
});

describe('the audit trail', () => {
  const paths = ['/v1/audit/referrals', '/v1/audit/referrals/verify'];

  it.each(
    (['norrkoping.auditor', 'hub.admin'] as DemoUserName[]).flatMap((u) =>
      paths.map((p) => [u, p] as const),
    ),
  )('%s reads %s', async (user, path) => {
    const res = await hub.as(user).get(path);
    expect(res.statusCode).toBe(200);
    expectNoEnvelope(res);
  });

  it.each(
    (
      [
        'police.officer',
        'frideborg.caseworker',
        'coordinator.ostergotland',
        'lansstyrelsen.analyst',
        'norrkoping.admin',
      ] as DemoUserName[]
    ).flatMap((u) => paths.map((p) => [u, p] as const)),
  )('%s may not read %s (403)', async (user, path) => {
    expectProblem(await hub.as(user).get(path), 403, 'forbidden');
  });

  it.each(paths)('refuses %s without a token (401)', async (path) => {
    expectProblem(await hub.as(null).get(path), 401);
  });
});

describe('claimed units are checked against the directory', () => {
  /** A token from an issuer trusted for Novahuset that claims a police unit. */
  let rogue: ReturnType<typeof withToken>;
  beforeAll(async () => {
    rogue = withToken(
      hub,
      await mintToken(hub, {
        sub: 'rogue.officer',
        org: O.novahuset,
        units: [U.policeTraffickingOst],
        roles: ['officer', 'caseworker'],
      }),
    );
  });

  it('cannot send as the police unit', async () => {
    const body = await agencyClient(hub, 'police.officer', U.policeTraffickingOst).referral(
      { recipientUnitId: U.frideborg },
      referralDocument('rogue'),
    );
    const res = await rogue.post('/v1/referrals', body);
    expectProblem(res, 403, 'not-a-member-of-sender');
    expect(await referralRows(hub, body.id)).toBe(0);
  });

  it.each(READS)("cannot read the police unit's referral (GET …%s → 404)", async (path) => {
    const res = await rogue.get(`/v1/referrals/${base.id}${path}`);
    outsiderResponses.push(res);
    expectProblem(res, 404, 'referral-not-found');
    expectNoEnvelope(res);
  });

  it("cannot act for the police unit (withdraw → 404), nor list or count the police unit's boxes", async () => {
    const withdraw = await rogue.post(`/v1/referrals/${base.id}/withdraw`, {});
    outsiderResponses.push(withdraw);
    expectProblem(withdraw, 404, 'referral-not-found');
    expect(await statusOf(hub, base.id)).toBe('sent');
    for (const url of [
      `/v1/referrals?box=outbox&unit=${U.policeTraffickingOst}`,
      `/v1/referrals/counts?box=outbox&unit=${U.policeTraffickingOst}`,
    ]) {
      const res = await rogue.get(url);
      outsiderResponses.push(res);
      expectProblem(res, 403, 'forbidden');
    }
  });
});

describe('roles that do not handle cases', () => {
  // An issuer may list units for anyone in the organisation; an analyst sees only aggregates and
  // an auditor reads audit logs, never referrals or envelopes (docs/architecture.md#identity-and-access), whatever units they have.
  it.each([
    ['an auditor', ['auditor']],
    ['an analyst', ['analyst']],
    ['an organisation admin', ['org_admin']],
  ] as const)('%s listed in the recipient unit sees no referral', async (_who, roles) => {
    const member = withToken(
      hub,
      await mintToken(hub, {
        sub: `frideborg.${roles[0]}`,
        org: O.norrkoping,
        units: [U.frideborg],
        roles: [...roles],
      }),
    );
    for (const path of READS) {
      const res = await member.get(`/v1/referrals/${base.id}${path}`);
      outsiderResponses.push(res);
      expectProblem(res, 404, 'referral-not-found');
      expectNoEnvelope(res);
    }
    for (const url of [
      `/v1/referrals?box=inbox&unit=${U.frideborg}`,
      // Without `unit`: the caller acts for no unit, so there is no inbox to default to.
      '/v1/referrals?box=inbox',
      `/v1/referrals/counts?box=inbox&unit=${U.frideborg}`,
    ]) {
      const res = await member.get(url);
      outsiderResponses.push(res);
      expectProblem(res, 403, 'forbidden');
    }
  });
});

it('never gave a non-party any part of the envelope', () => {
  expect(outsiderResponses.length).toBeGreaterThan(100);
  for (const res of outsiderResponses) {
    expect(res.statusCode).toBeGreaterThanOrEqual(400);
    expectNoEnvelope(res);
  }
});
