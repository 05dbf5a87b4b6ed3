import { ProblemError, type Principal, type Role } from '@samverkan/shared';
import {
  ACTION_RULES,
  DECLINE_REASONS,
  REFERRAL_ACTIONS,
  REFERRAL_OUTCOMES,
  REFERRAL_STATUSES,
  assertVersion,
  availableActions,
  canRead,
  sideOf,
  transition,
  type Actor,
  type ReferralAction,
  type ReferralState,
  type ReferralStatus,
  type Side,
  type TransitionInput,
} from './referral-lifecycle';

const SENDER = 'unit-sender';
const RECIPIENT = 'unit-recipient';
const COPY = 'unit-copy';

const T0 = new Date('2025-03-01T10:00:00.000Z');
const NOW = new Date('2025-03-01T12:00:00.000Z');
const LATER = new Date('2025-03-01T13:00:00.000Z');

function principal(sub: string, units: string[], roles: Role[] = ['caseworker']): Principal {
  return { sub, iss: 'https://idp.test', org: 'org', units, roles, hubAdmin: false };
}

const senderWorker = principal('sender.caseworker', [SENDER]);
const senderOfficer = principal('sender.officer', [SENDER], ['officer']);
const recipientWorker = principal('recipient.caseworker', [RECIPIENT]);
const recipientColleague = principal('recipient.colleague', [RECIPIENT]);
const coordinator = principal('coordinator', [RECIPIENT], ['coordinator']);
const copyWorker = principal('copy.caseworker', [COPY]);
const outsider = principal('outsider', ['unit-elsewhere']);

function state(status: ReferralStatus, changes: Partial<ReferralState> = {}): ReferralState {
  const acknowledged = status !== 'sent' && status !== 'withdrawn';
  const accepted = ['accepted', 'handover_planned', 'handover_confirmed', 'closed'].includes(
    status,
  );
  const planned = ['handover_planned', 'handover_confirmed', 'closed'].includes(status);
  const confirmed = ['handover_confirmed', 'closed'].includes(status);
  return {
    status,
    senderUnitId: SENDER,
    recipientUnitId: RECIPIENT,
    copyUnitIds: [COPY],
    acknowledgedAt: acknowledged ? T0 : null,
    acceptedAt: accepted ? T0 : null,
    declinedAt: status === 'declined' ? T0 : null,
    declineReason: status === 'declined' ? 'no_capacity' : null,
    closedAt: status === 'closed' ? T0 : null,
    outcome: status === 'closed' ? 'support_started' : null,
    handover: planned
      ? {
          mode: 'in_person',
          plannedFor: T0,
          senderConfirmation: confirmed
            ? { unitId: SENDER, userId: senderWorker.sub, at: T0 }
            : null,
          recipientConfirmation: confirmed
            ? { unitId: RECIPIENT, userId: recipientWorker.sub, at: T0 }
            : null,
        }
      : null,
    version: 7,
    ...changes,
  };
}

function actor(p: Principal, side: Side = sideOf(p, state('sent'))): Actor {
  return { principal: p, side };
}

function problemOf(fn: () => unknown): ProblemError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ProblemError) {
      return err;
    }
    throw err;
  }
  throw new Error('expected a ProblemError, but nothing was thrown');
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !(value instanceof Date)) {
    Object.values(value).forEach(deepFreeze);
    Object.freeze(value);
  }
  return value;
}

const FULL_INPUT: TransitionInput = {
  reason: 'no_capacity',
  outcome: 'unreachable',
  mode: 'phone',
  plannedFor: '2025-03-02T09:00:00Z',
  forwards: [{ id: 'referral-next', recipientUnitId: 'unit-next' }],
};

/** The side that can take each action in the table; forward needs a coordinator. */
const ACTOR_FOR: Record<ReferralAction, Actor> = {
  acknowledge: actor(coordinator),
  accept: actor(coordinator),
  decline: actor(coordinator),
  forward: actor(coordinator),
  withdraw: actor(senderWorker),
  plan_handover: actor(coordinator),
  confirm_handover: actor(senderWorker),
  close: actor(coordinator),
};

const TNA = 'referral-transition-not-allowed';
const ALL_REFUSED = {
  acknowledge: TNA,
  accept: TNA,
  decline: TNA,
  forward: TNA,
  withdraw: TNA,
  plan_handover: TNA,
  confirm_handover: TNA,
  close: TNA,
};

/**
 * Written out by hand from docs/architecture.md#referral-lifecycle (not derived from ACTION_RULES): a status is where the
 * action leads, anything else is the slug of the 409 problem.
 */
const TABLE: Record<ReferralStatus, Record<ReferralAction, string>> = {
  sent: {
    acknowledge: 'received',
    accept: 'accepted',
    decline: 'declined',
    forward: 'forwarded',
    withdraw: 'withdrawn',
    plan_handover: TNA,
    confirm_handover: TNA,
    close: TNA,
  },
  received: {
    acknowledge: TNA,
    accept: 'accepted',
    decline: 'declined',
    forward: 'forwarded',
    withdraw: 'withdrawn',
    plan_handover: TNA,
    confirm_handover: TNA,
    close: TNA,
  },
  accepted: {
    ...ALL_REFUSED,
    plan_handover: 'handover_planned',
    confirm_handover: 'handover-not-planned',
    close: 'closed',
  },
  handover_planned: {
    ...ALL_REFUSED,
    plan_handover: 'handover_planned',
    confirm_handover: 'handover_planned',
    close: 'closed',
  },
  handover_confirmed: {
    ...ALL_REFUSED,
    confirm_handover: 'handover-already-confirmed',
    close: 'closed',
  },
  closed: ALL_REFUSED,
  declined: ALL_REFUSED,
  forwarded: ALL_REFUSED,
  withdrawn: ALL_REFUSED,
};

const isStatus = (s: string): s is ReferralStatus =>
  (REFERRAL_STATUSES as readonly string[]).includes(s);

const CELLS = REFERRAL_STATUSES.flatMap((status) =>
  REFERRAL_ACTIONS.map((action) => ({ status, action, expected: TABLE[status][action] })),
);

describe('transition table', () => {
  it('covers every status × every action', () => {
    expect(CELLS).toHaveLength(REFERRAL_STATUSES.length * REFERRAL_ACTIONS.length);
    expect(CELLS).toHaveLength(72);
  });

  it.each(CELLS.filter((c) => isStatus(c.expected)))(
    '$status —$action→ $expected',
    ({ status, action, expected }) => {
      const referral = deepFreeze(state(status));
      const before = JSON.stringify(referral);
      const { next, events } = transition(referral, action, FULL_INPUT, ACTOR_FOR[action], NOW);
      expect(next.status).toBe(expected);
      expect(next.version).toBe(referral.version + 1);
      expect(events.length).toBeGreaterThan(0);
      for (const e of events) {
        expect(e.detail.at).toBe(NOW.toISOString());
      }
      expect(JSON.stringify(referral)).toBe(before);
    },
  );

  it.each(CELLS.filter((c) => !isStatus(c.expected)))(
    '$status —$action→ 409 $expected',
    ({ status, action, expected }) => {
      const problem = problemOf(() =>
        transition(state(status), action, FULL_INPUT, ACTOR_FOR[action], NOW),
      );
      expect(problem.statusCode).toBe(409);
      expect(problem.definition.slug).toBe(expected);
      if (expected === TNA) {
        expect(problem.detail).toContain(status);
        expect(problem.detail).toContain(action.replace('_', ' '));
        expect(problem.extensions).toEqual({ currentStatus: status });
      }
    },
  );

  it.each(REFERRAL_STATUSES)(
    'availableActions in %s lists exactly the allowed actions of sender and recipient',
    (status) => {
      const referral = state(status);
      const offered = new Set([
        ...availableActions(referral, actor(coordinator)),
        ...availableActions(referral, actor(senderWorker)),
      ]);
      const allowed = REFERRAL_ACTIONS.filter((a) => isStatus(TABLE[status][a]));
      expect([...offered].sort()).toEqual([...allowed].sort());
    },
  );

  it('offers nothing to copy units and outsiders, and forward only to coordinators', () => {
    for (const status of REFERRAL_STATUSES) {
      expect(availableActions(state(status), actor(copyWorker))).toEqual([]);
      expect(availableActions(state(status), actor(outsider))).toEqual([]);
    }
    expect(availableActions(state('received'), actor(recipientWorker))).toEqual([
      'accept',
      'decline',
    ]);
    expect(availableActions(state('received'), actor(coordinator))).toEqual([
      'accept',
      'decline',
      'forward',
    ]);
  });

  it('leaves terminal statuses by no action', () => {
    for (const rule of Object.values(ACTION_RULES)) {
      for (const terminal of ['closed', 'declined', 'forwarded', 'withdrawn'] as const) {
        expect(rule.from).not.toContain(terminal);
      }
    }
  });
});

describe('implied acknowledgement', () => {
  it.each(['accept', 'decline', 'forward'] as const)(
    '%s straight from sent records the acknowledgement at the same instant, event first',
    (action) => {
      const { next, events } = transition(
        state('sent'),
        action,
        FULL_INPUT,
        actor(coordinator),
        NOW,
      );
      expect(next.acknowledgedAt).toEqual(NOW);
      expect(events.map((e) => e.event)[0]).toBe('acknowledged');
      expect(events[0]!.detail).toMatchObject({
        implied: true,
        unitId: RECIPIENT,
        by: 'coordinator',
      });
      expect(events).toHaveLength(2);
    },
  );

  it('keeps the earlier acknowledgement when accepting from received', () => {
    const { next, events } = transition(
      state('received'),
      'accept',
      {},
      actor(recipientWorker),
      NOW,
    );
    expect(next.acknowledgedAt).toEqual(T0);
    expect(next.acceptedAt).toEqual(NOW);
    expect(events.map((e) => e.event)).toEqual(['accepted']);
  });

  it('acknowledge sets acknowledgedAt and says it was explicit', () => {
    const { next, events } = transition(
      state('sent'),
      'acknowledge',
      {},
      actor(recipientWorker),
      NOW,
    );
    expect(next).toMatchObject({ status: 'received', acknowledgedAt: NOW, version: 8 });
    expect(events).toEqual([
      {
        event: 'acknowledged',
        detail: {
          unitId: RECIPIENT,
          by: recipientWorker.sub,
          at: NOW.toISOString(),
          implied: false,
        },
      },
    ]);
  });
});

describe('sideOf and canRead', () => {
  const referral = state('sent');
  it.each([
    [senderWorker, 'sender'],
    [recipientWorker, 'recipient'],
    [copyWorker, 'copy'],
    [outsider, 'none'],
    [principal('both', [RECIPIENT, SENDER]), 'sender'],
    [principal('copy-and-recipient', [COPY, RECIPIENT]), 'recipient'],
    [principal('no-units', []), 'none'],
  ] as const)('%p is %s', (p, side) => {
    expect(sideOf(p, referral)).toBe(side);
  });

  it('lets sender, recipient and copy units read, and nobody else', () => {
    expect(canRead('sender')).toBe(true);
    expect(canRead('recipient')).toBe(true);
    expect(canRead('copy')).toBe(true);
    expect(canRead('none')).toBe(false);
  });
});

describe('who may act', () => {
  const RECIPIENT_ONLY = [
    ['acknowledge', 'sent'],
    ['accept', 'received'],
    ['decline', 'received'],
    ['forward', 'received'],
    ['close', 'handover_confirmed'],
  ] as const;

  describe.each(RECIPIENT_ONLY)('%s (recipient only)', (action, status) => {
    it.each([
      ['the sender', senderWorker],
      ['a copy unit', copyWorker],
      ['an outsider', outsider],
      [
        'a hub administrator without units',
        { ...principal('hub', [], ['hub_admin']), hubAdmin: true },
      ],
    ])('is refused to %s with 403 not-a-member-of-recipient', (_who, p) => {
      const problem = problemOf(() => transition(state(status), action, FULL_INPUT, actor(p), NOW));
      expect(problem.statusCode).toBe(403);
      expect(problem.definition.slug).toBe('not-a-member-of-recipient');
    });
  });

  it.each([
    ['the recipient', recipientWorker],
    ['a copy unit', copyWorker],
    ['an outsider', outsider],
  ])('withdraw is refused to %s with 403 not-a-member-of-sender', (_who, p) => {
    const problem = problemOf(() => transition(state('sent'), 'withdraw', {}, actor(p), NOW));
    expect(problem.statusCode).toBe(403);
    expect(problem.definition.slug).toBe('not-a-member-of-sender');
  });

  describe.each([
    ['plan_handover', 'accepted'],
    ['confirm_handover', 'handover_planned'],
  ] as const)('%s (either side)', (action, status) => {
    it.each([
      ['a copy unit', copyWorker],
      ['an outsider', outsider],
    ])('is refused to %s with 403 not-a-party-to-referral', (_who, p) => {
      const problem = problemOf(() => transition(state(status), action, FULL_INPUT, actor(p), NOW));
      expect(problem.statusCode).toBe(403);
      expect(problem.definition.slug).toBe('not-a-party-to-referral');
    });

    it('checks the claimed side against membership', () => {
      const asSender = problemOf(() =>
        transition(state(status), action, FULL_INPUT, actor(recipientWorker, 'sender'), NOW),
      );
      expect(asSender.definition.slug).toBe('not-a-member-of-sender');
      const asRecipient = problemOf(() =>
        transition(state(status), action, FULL_INPUT, actor(senderWorker, 'recipient'), NOW),
      );
      expect(asRecipient.definition.slug).toBe('not-a-member-of-recipient');
    });

    it.each([
      ['sender', senderOfficer],
      ['recipient', recipientWorker],
    ] as const)('is allowed to the %s side', (side, p) => {
      const { next } = transition(state(status), action, FULL_INPUT, actor(p, side), NOW);
      expect(next.version).toBe(8);
    });
  });

  it('lets only a coordinator of the recipient unit forward (422 not-a-coordinator)', () => {
    const problem = problemOf(() =>
      transition(state('received'), 'forward', FULL_INPUT, actor(recipientWorker), NOW),
    );
    expect(problem.statusCode).toBe(422);
    expect(problem.definition.slug).toBe('not-a-coordinator');
    // a coordinator elsewhere is still not a member of the recipient unit
    const elsewhere = principal('coord.elsewhere', ['unit-other'], ['coordinator']);
    expect(
      problemOf(() => transition(state('received'), 'forward', FULL_INPUT, actor(elsewhere), NOW))
        .definition.slug,
    ).toBe('not-a-member-of-recipient');
  });

  it.each([['analyst'], ['auditor'], ['org_admin']] as const)(
    'refuses a member of the unit whose only role is %s (403 role-not-permitted)',
    (role) => {
      const p = principal(`recipient.${role}`, [RECIPIENT], [role]);
      const problem = problemOf(() => transition(state('sent'), 'accept', {}, actor(p), NOW));
      expect(problem.statusCode).toBe(403);
      expect(problem.definition.slug).toBe('role-not-permitted');
    },
  );

  it('checks who before state: the sender trying to accept a closed referral gets 403', () => {
    const problem = problemOf(() =>
      transition(state('closed'), 'accept', {}, actor(senderWorker), NOW),
    );
    expect(problem.statusCode).toBe(403);
  });

  it('lets someone in both units act for the recipient although sideOf says sender', () => {
    const both = principal('both', [SENDER, RECIPIENT]);
    expect(sideOf(both, state('sent'))).toBe('sender');
    expect(transition(state('sent'), 'accept', {}, actor(both), NOW).next.status).toBe('accepted');
  });
});

describe('decline and close', () => {
  it.each(DECLINE_REASONS.filter((r) => r !== 'other'))('declines with reason %s', (reason) => {
    const { next, events } = transition(
      state('received'),
      'decline',
      { reason },
      actor(recipientWorker),
      NOW,
    );
    expect(next).toMatchObject({ status: 'declined', declinedAt: NOW, declineReason: reason });
    expect(events.at(-1)).toEqual({
      event: 'declined',
      detail: { unitId: RECIPIENT, by: recipientWorker.sub, at: NOW.toISOString(), reason },
    });
  });

  it.each([[undefined], [null], [''], ['busy'], ['NO_CAPACITY']])(
    'refuses to decline with reason %p (422 decline-reason-required)',
    (reason) => {
      const problem = problemOf(() =>
        transition(state('received'), 'decline', { reason }, actor(recipientWorker), NOW),
      );
      expect(problem.statusCode).toBe(422);
      expect(problem.definition.slug).toBe('decline-reason-required');
      expect(problem.errors?.[0]?.field).toBe('body.reason');
    },
  );

  it('needs a sealed note for reason other, and names it (never its text) in the event', () => {
    for (const noteMessageId of [undefined, null, '']) {
      const problem = problemOf(() =>
        transition(
          state('received'),
          'decline',
          { reason: 'other', noteMessageId },
          actor(recipientWorker),
          NOW,
        ),
      );
      expect(problem.definition.slug).toBe('decline-reason-required');
      expect(problem.errors?.[0]?.field).toBe('body.note');
    }
    const noteMessageId = '6b0f3f7e-2a4c-4a57-9a53-0c2f3b1f9d10';
    const { events } = transition(
      state('received'),
      'decline',
      { reason: 'other', noteMessageId },
      actor(recipientWorker),
      NOW,
    );
    expect(events[0]!.detail).toMatchObject({ reason: 'other', noteMessageId });
  });

  it('checks state before input: declining a closed referral without reason is 409', () => {
    expect(
      problemOf(() => transition(state('closed'), 'decline', {}, actor(recipientWorker), NOW))
        .statusCode,
    ).toBe(409);
  });

  it.each(REFERRAL_OUTCOMES)('closes a confirmed handover with outcome %s', (outcome) => {
    const { next, events } = transition(
      state('handover_confirmed'),
      'close',
      { outcome },
      actor(recipientWorker),
      NOW,
    );
    expect(next).toMatchObject({ status: 'closed', closedAt: NOW, outcome });
    expect(events[0]!.detail).toMatchObject({ outcome, handoverConfirmed: true });
  });

  it.each([[undefined], [''], ['done']])(
    'refuses to close with outcome %p (422 outcome-required)',
    (outcome) => {
      const problem = problemOf(() =>
        transition(state('handover_confirmed'), 'close', { outcome }, actor(recipientWorker), NOW),
      );
      expect(problem.statusCode).toBe(422);
      expect(problem.definition.slug).toBe('outcome-required');
    },
  );

  describe.each(['accepted', 'handover_planned'] as const)('closing from %s', (status) => {
    it.each(['person_declined', 'unreachable', 'referred_elsewhere'] as const)(
      'is allowed with outcome %s (no handover happened)',
      (outcome) => {
        const { next, events } = transition(
          state(status),
          'close',
          { outcome },
          actor(recipientWorker),
          NOW,
        );
        expect(next.status).toBe('closed');
        expect(events[0]!.detail).toMatchObject({ handoverConfirmed: false });
      },
    );

    it.each(['support_started', 'other'] as const)(
      'is refused with outcome %s (409: needs a confirmed handover)',
      (outcome) => {
        const problem = problemOf(() =>
          transition(state(status), 'close', { outcome }, actor(recipientWorker), NOW),
        );
        expect(problem.statusCode).toBe(409);
        expect(problem.definition.slug).toBe(TNA);
        expect(problem.detail).toContain(outcome);
      },
    );

    it('is refused to the sender', () => {
      expect(
        problemOf(() =>
          transition(state(status), 'close', { outcome: 'unreachable' }, actor(senderWorker), NOW),
        ).definition.slug,
      ).toBe('not-a-member-of-recipient');
    });
  });
});

describe('forward', () => {
  const to = (recipientUnitId: string, id = `referral-to-${recipientUnitId}`) => ({
    id,
    recipientUnitId,
  });

  it('names the new referrals and their units in the event', () => {
    const { next, events } = transition(
      state('received'),
      'forward',
      { forwards: [to('unit-a', 'ref-a'), to('unit-b', 'ref-b')] },
      actor(coordinator),
      NOW,
    );
    expect(next.status).toBe('forwarded');
    expect(events).toEqual([
      {
        event: 'forwarded',
        detail: {
          unitId: RECIPIENT,
          by: 'coordinator',
          at: NOW.toISOString(),
          forwardedToIds: ['ref-a', 'ref-b'],
          toUnitIds: ['unit-a', 'unit-b'],
        },
      },
    ]);
  });

  it('may forward back to the sending unit (e.g. "this belongs with your own team")', () => {
    expect(
      transition(state('received'), 'forward', { forwards: [to(SENDER)] }, actor(coordinator), NOW)
        .next.status,
    ).toBe('forwarded');
  });

  it.each([
    ['nothing', undefined],
    ['an empty list', []],
    ['the forwarding unit itself', [to(RECIPIENT)]],
    ['a unit twice', [to('unit-a', 'ref-1'), to('unit-a', 'ref-2')]],
    ['a referral id twice', [to('unit-a', 'ref-1'), to('unit-b', 'ref-1')]],
    ['an empty unit id', [to('', 'ref-1')]],
    ['an empty referral id', [to('unit-a', '')]],
    [
      'a target that is not an object',
      [null as unknown as { id: string; recipientUnitId: string }],
    ],
    ['more than 10 units', Array.from({ length: 11 }, (_, i) => to(`unit-${i}`))],
  ])('refuses %s (422 referral-units-invalid)', (_what, forwards) => {
    const problem = problemOf(() =>
      transition(state('received'), 'forward', { forwards }, actor(coordinator), NOW),
    );
    expect(problem.statusCode).toBe(422);
    expect(problem.definition.slug).toBe('referral-units-invalid');
  });

  it('accepts 10 units', () => {
    const forwards = Array.from({ length: 10 }, (_, i) => to(`unit-${i}`));
    expect(
      transition(state('received'), 'forward', { forwards }, actor(coordinator), NOW).next.status,
    ).toBe('forwarded');
  });
});

describe('warm handover', () => {
  const plan = (referral: ReferralState, p: Principal = recipientWorker, side?: Side) =>
    transition(
      referral,
      'plan_handover',
      { mode: 'video', plannedFor: '2025-03-02T09:00:00Z' },
      actor(p, side),
      NOW,
    );
  const confirm = (referral: ReferralState, p: Principal, side?: Side, at = LATER) =>
    transition(referral, 'confirm_handover', {}, actor(p, side), at);

  it('needs both sides: sender confirms, recipient confirms → handover_confirmed', () => {
    const planned = plan(state('accepted')).next;
    expect(planned.status).toBe('handover_planned');
    expect(planned.handover).toEqual({
      mode: 'video',
      plannedFor: new Date('2025-03-02T09:00:00Z'),
      senderConfirmation: null,
      recipientConfirmation: null,
    });

    const half = confirm(planned, senderWorker, undefined, NOW);
    expect(half.next.status).toBe('handover_planned');
    expect(half.next.handover?.senderConfirmation).toEqual({
      unitId: SENDER,
      userId: senderWorker.sub,
      organisationId: senderWorker.org,
      at: NOW,
    });
    expect(half.events.map((e) => e.event)).toEqual(['handover_confirmed_by_sender']);
    expect(half.events[0]!.detail).toMatchObject({ side: 'sender', unitId: SENDER });

    const done = confirm(half.next, recipientWorker);
    expect(done.next.status).toBe('handover_confirmed');
    expect(done.next.handover?.recipientConfirmation).toEqual({
      unitId: RECIPIENT,
      userId: recipientWorker.sub,
      organisationId: recipientWorker.org,
      at: LATER,
    });
    expect(done.next.handover?.senderConfirmation?.at).toEqual(NOW);
    expect(done.events.map((e) => e.event)).toEqual([
      'handover_confirmed_by_recipient',
      'handover_confirmed',
    ]);
    expect(done.events[1]!.detail).toEqual({
      at: LATER.toISOString(),
      mode: 'video',
      senderConfirmedAt: NOW.toISOString(),
      recipientConfirmedAt: LATER.toISOString(),
    });
    expect(done.next.version).toBe(planned.version + 2);
  });

  it('works in either order', () => {
    const planned = plan(state('accepted'), senderWorker).next;
    const half = confirm(planned, recipientWorker);
    expect(half.next.status).toBe('handover_planned');
    expect(half.events.map((e) => e.event)).toEqual(['handover_confirmed_by_recipient']);
    const done = confirm(half.next, senderWorker);
    expect(done.next.status).toBe('handover_confirmed');
    expect(done.events.map((e) => e.event)).toEqual([
      'handover_confirmed_by_sender',
      'handover_confirmed',
    ]);
  });

  it('refuses a side confirming twice, even by a colleague (409 handover-already-confirmed)', () => {
    const half = confirm(plan(state('accepted')).next, senderWorker).next;
    for (const p of [senderWorker, senderOfficer]) {
      const problem = problemOf(() => confirm(half, p));
      expect(problem.statusCode).toBe(409);
      expect(problem.definition.slug).toBe('handover-already-confirmed');
    }
  });

  it('refuses confirming after both sides confirmed (409 handover-already-confirmed)', () => {
    for (const p of [senderWorker, recipientWorker]) {
      expect(problemOf(() => confirm(state('handover_confirmed'), p)).definition.slug).toBe(
        'handover-already-confirmed',
      );
    }
  });

  it('refuses confirming before planning (409 handover-not-planned)', () => {
    for (const p of [senderWorker, recipientWorker]) {
      const problem = problemOf(() => confirm(state('accepted'), p));
      expect(problem.statusCode).toBe(409);
      expect(problem.definition.slug).toBe('handover-not-planned');
    }
  });

  it('refuses a handover_planned row without a plan rather than guessing', () => {
    expect(
      problemOf(() => confirm(state('handover_planned', { handover: null }), senderWorker))
        .definition.slug,
    ).toBe('handover-not-planned');
  });

  it('refuses one person confirming both sides (422 handover-confirmed-by-same-person)', () => {
    const both = principal('both', [SENDER, RECIPIENT]);
    const half = confirm(plan(state('accepted')).next, both, 'sender').next;
    const problem = problemOf(() => confirm(half, both, 'recipient'));
    expect(problem.statusCode).toBe(422);
    expect(problem.definition.slug).toBe('handover-confirmed-by-same-person');
    expect(confirm(half, recipientWorker).next.status).toBe('handover_confirmed');
  });

  it('tells two people with the same subject in two organisations apart', () => {
    // Another identity provider's "sender.caseworker" at the recipient's organisation.
    const namesake: Principal = { ...principal('sender.caseworker', [RECIPIENT]), org: 'org-2' };
    const half = confirm(plan(state('accepted')).next, senderWorker).next;
    expect(half.handover?.senderConfirmation).toMatchObject({
      userId: 'sender.caseworker',
      organisationId: 'org',
    });
    expect(confirm(half, namesake).next.status).toBe('handover_confirmed');
  });

  it('re-planning resets the confirmations and says so', () => {
    const half = confirm(plan(state('accepted')).next, senderWorker).next;
    const { next, events } = transition(
      half,
      'plan_handover',
      { mode: 'in_person', plannedFor: new Date('2025-03-03T08:00:00Z') },
      actor(senderWorker),
      LATER,
    );
    expect(next.status).toBe('handover_planned');
    expect(next.handover).toEqual({
      mode: 'in_person',
      plannedFor: new Date('2025-03-03T08:00:00Z'),
      senderConfirmation: null,
      recipientConfirmation: null,
    });
    expect(events[0]!.detail).toMatchObject({
      side: 'sender',
      unitId: SENDER,
      replanned: true,
      confirmationsReset: true,
      plannedFor: '2025-03-03T08:00:00.000Z',
    });
  });

  it('does not share the Date object given as plannedFor', () => {
    const when = new Date('2025-03-03T08:00:00Z');
    const { next } = transition(
      state('accepted'),
      'plan_handover',
      { mode: 'phone', plannedFor: when },
      actor(recipientWorker),
      NOW,
    );
    when.setUTCFullYear(2030);
    expect(next.handover?.plannedFor.toISOString()).toBe('2025-03-03T08:00:00.000Z');
  });

  it.each([
    ['no mode', { plannedFor: '2025-03-02T09:00:00Z' }, 'body.mode'],
    [
      'an unknown mode',
      { mode: 'carrier_pigeon', plannedFor: '2025-03-02T09:00:00Z' },
      'body.mode',
    ],
    ['no time', { mode: 'phone' }, 'body.plannedFor'],
    ['a time that is not a date', { mode: 'phone', plannedFor: 'tomorrow' }, 'body.plannedFor'],
    ['an invalid Date', { mode: 'phone', plannedFor: new Date('x') }, 'body.plannedFor'],
  ])('refuses a plan with %s (422 handover-invalid)', (_what, input, field) => {
    const problem = problemOf(() =>
      transition(state('accepted'), 'plan_handover', input, actor(recipientWorker), NOW),
    );
    expect(problem.statusCode).toBe(422);
    expect(problem.definition.slug).toBe('handover-invalid');
    expect(problem.errors?.[0]?.field).toBe(field);
  });

  it('is planned by a recipient colleague too, and the event names the acting side', () => {
    const { events } = plan(state('accepted'), recipientColleague);
    expect(events[0]).toMatchObject({
      event: 'handover_planned',
      detail: {
        side: 'recipient',
        unitId: RECIPIENT,
        by: recipientColleague.sub,
        replanned: false,
        confirmationsReset: false,
      },
    });
  });
});

describe('withdraw', () => {
  it.each(['sent', 'received'] as const)('lets the sender withdraw from %s', (status) => {
    const { next, events } = transition(state(status), 'withdraw', {}, actor(senderWorker), NOW);
    expect(next.status).toBe('withdrawn');
    expect(events).toEqual([
      {
        event: 'withdrawn',
        detail: { unitId: SENDER, by: senderWorker.sub, at: NOW.toISOString() },
      },
    ]);
  });
});

describe('assertVersion', () => {
  it('accepts the current version', () => {
    expect(() => assertVersion(state('sent'), 7)).not.toThrow();
  });

  it('refuses a stale version with 409 referral-version-conflict', () => {
    const problem = problemOf(() => assertVersion(state('sent'), 6));
    expect(problem.statusCode).toBe(409);
    expect(problem.definition.slug).toBe('referral-version-conflict');
    expect(problem.extensions).toEqual({ currentVersion: 7 });
  });
});
