import { ProblemError, type Principal, type Role } from '@samverkan/shared';
import { ReferralProblems as P } from './errors';

/**
 * The referral lifecycle of docs/architecture.md#referral-lifecycle as data plus one pure `transition` function.
 *
 * ```
 * sent ──ack──▶ received ──▶ accepted ──▶ handover_planned ──▶ handover_confirmed ──▶ closed
 *   │  (accept/decline/forward  ├──▶ declined(reason)   ▲  │ (re-plan)                  ▲
 *   │   also straight from sent)└──▶ forwarded           └──┘                            │
 *   └──▶ withdrawn (sender, from sent or received)   accepted / handover_planned ──close─┘
 *                                                    (only when no handover happened)
 * ```
 *
 * Decisions beyond the diagram (each is tested):
 * - accept, decline and forward are allowed straight from `sent`: a recipient who answers has
 *   clearly received the referral. `acknowledgedAt` is then set to the same instant and an
 *   `acknowledged` event is emitted first, so the acknowledgement deadline stops in the one place
 *   that watches for it.
 * - close is also allowed from `accepted` and `handover_planned`, but only with an outcome saying
 *   that no handover took place (person_declined, unreachable, referred_elsewhere). Otherwise a
 *   person who never turned up would keep the referral open for ever. `support_started` and
 *   `other` need a confirmed handover.
 * - Checks run in the order who (403, and 422 not-a-coordinator), then state (409), then input
 *   (422): a caller who may never take an action is told so whatever the status.
 * - plan_handover again from handover_planned re-plans and resets both confirmations (a
 *   confirmation attests the plan it was given for); the event says whether any were reset.
 *   confirm_handover answers 409 handover-not-planned from accepted and 409
 *   handover-already-confirmed for a side that has confirmed (also once both have).
 * - Authority comes from unit membership, not only from `actor.side`: someone in both the sending
 *   and the receiving unit may act for either. `actor.side` says in which capacity a two-sided
 *   action (plan_handover, confirm_handover) is taken. The two confirmations of a handover must
 *   come from two different people, or the handover would not be "warm" on both sides.
 * - Acting needs a case-handling role (caseworker, officer, coordinator): an analyst or auditor who
 *   is listed in a unit does not handle cases (docs/architecture.md#identity-and-access). A hub administrator has no special
 *   power over referrals.
 * - Terminal states: closed, declined, forwarded, withdrawn. Nothing leaves them.
 * - Decline reasons and outcomes are codes. The decline note the contract asks for with reason
 *   `other` is free text, so it is never seen by the hub: the declining unit's client seals it as a
 *   message on the referral's thread (for the sender and copy units), and the state machine only
 *   learns that one exists (its message id, which the `declined` timeline entry names).
 */

export const REFERRAL_STATUSES = [
  'sent',
  'received',
  'accepted',
  'handover_planned',
  'handover_confirmed',
  'closed',
  'declined',
  'forwarded',
  'withdrawn',
] as const;
export type ReferralStatus = (typeof REFERRAL_STATUSES)[number];

export const REFERRAL_ACTIONS = [
  'acknowledge',
  'accept',
  'decline',
  'forward',
  'withdraw',
  'plan_handover',
  'confirm_handover',
  'close',
] as const;
export type ReferralAction = (typeof REFERRAL_ACTIONS)[number];

export const TERMINAL_STATUSES: readonly ReferralStatus[] = [
  'closed',
  'declined',
  'forwarded',
  'withdrawn',
];

export const DECLINE_REASONS = [
  'no_capacity',
  'outside_mandate',
  'person_declined',
  'unreachable',
  'duplicate',
  'other',
] as const;
export type DeclineReason = (typeof DECLINE_REASONS)[number];

export const REFERRAL_OUTCOMES = [
  'support_started',
  'person_declined',
  'unreachable',
  'referred_elsewhere',
  'other',
] as const;
export type ReferralOutcome = (typeof REFERRAL_OUTCOMES)[number];

/** Outcomes that may close a referral whose handover never happened. */
export const NO_HANDOVER_OUTCOMES: readonly ReferralOutcome[] = [
  'person_declined',
  'unreachable',
  'referred_elsewhere',
];

export const HANDOVER_MODES = ['in_person', 'phone', 'video'] as const;
export type HandoverMode = (typeof HANDOVER_MODES)[number];

/** Roles that handle cases. Others (analyst, auditor, org_admin, hub_admin) never act. */
export const ACTING_ROLES: readonly Role[] = ['caseworker', 'officer', 'coordinator'];

/** At most this many new referrals in one forward (openapi `ReferralForward.forwards`). */
export const MAX_FORWARDS = 10;

export type Side = 'sender' | 'recipient' | 'copy' | 'none';

export interface HandoverConfirmation {
  unitId: string;
  userId: string;
  /**
   * The confirming person's organisation: a person is (organisation, subject), never a subject
   * alone. Absent on confirmations stored before it was recorded.
   */
  organisationId?: string;
  at: Date;
}

export interface Handover {
  mode: HandoverMode;
  plannedFor: Date;
  senderConfirmation: HandoverConfirmation | null;
  recipientConfirmation: HandoverConfirmation | null;
}

export interface ReferralState {
  status: ReferralStatus;
  senderUnitId: string;
  recipientUnitId: string;
  copyUnitIds: readonly string[];
  acknowledgedAt: Date | null;
  acceptedAt: Date | null;
  declinedAt: Date | null;
  declineReason: DeclineReason | null;
  closedAt: Date | null;
  outcome: ReferralOutcome | null;
  /** null until a handover is planned */
  handover: Handover | null;
  /** optimistic-concurrency version; every transition adds one */
  version: number;
}

/**
 * What the caller sends with an action. Values arrive from request bodies, so they are checked
 * here at run time whatever the schema said.
 */
export interface TransitionInput {
  /** decline */
  reason?: string | null;
  /**
   * decline: the id of the sealed note (a message on the referral's thread, sealed by the
   * declining unit's client); required when reason is `other`. The text never reaches the hub.
   */
  noteMessageId?: string | null;
  /** close */
  outcome?: string | null;
  /** plan_handover */
  mode?: string | null;
  /** plan_handover; a Date or an RFC 3339 string */
  plannedFor?: Date | string | null;
  /** forward: the new, linked referrals, one per unit (ids chosen by the client) */
  forwards?: readonly ForwardTarget[] | null;
}

export interface ForwardTarget {
  /** the new referral's id */
  id: string;
  recipientUnitId: string;
}

export interface Actor {
  principal: Principal;
  side: Side;
}

export type ReferralEventName =
  | 'acknowledged'
  | 'accepted'
  | 'declined'
  | 'forwarded'
  | 'withdrawn'
  | 'handover_planned'
  | 'handover_confirmed_by_sender'
  | 'handover_confirmed_by_recipient'
  | 'handover_confirmed'
  | 'closed';

/** Becomes `samverkan.referrals.referral.<event>`; details carry no personal data. */
export interface LifecycleEvent {
  event: ReferralEventName;
  detail: Record<string, unknown>;
}

export interface TransitionResult {
  next: ReferralState;
  events: LifecycleEvent[];
}

type ActingSide = 'sender' | 'recipient' | 'either';

export interface ActionRule {
  /** statuses the action may start from */
  from: readonly ReferralStatus[];
  /** which side acts */
  by: ActingSide;
}

/**
 * The transition table. The target status is computed by `transition` (confirm_handover stays in
 * handover_planned until both sides have confirmed).
 */
export const ACTION_RULES: Readonly<Record<ReferralAction, ActionRule>> = {
  acknowledge: { from: ['sent'], by: 'recipient' },
  accept: { from: ['sent', 'received'], by: 'recipient' },
  decline: { from: ['sent', 'received'], by: 'recipient' },
  forward: { from: ['sent', 'received'], by: 'recipient' },
  withdraw: { from: ['sent', 'received'], by: 'sender' },
  plan_handover: { from: ['accepted', 'handover_planned'], by: 'either' },
  confirm_handover: { from: ['handover_planned'], by: 'either' },
  close: { from: ['handover_confirmed', 'accepted', 'handover_planned'], by: 'recipient' },
};

/**
 * The capacity in which a principal sees a referral. A member of several of its units gets the
 * first of sender, recipient, copy; authority to act is still checked against every membership.
 */
export function sideOf(
  principal: Pick<Principal, 'units'>,
  referral: Pick<ReferralState, 'senderUnitId' | 'recipientUnitId' | 'copyUnitIds'>,
): Side {
  if (principal.units.includes(referral.senderUnitId)) {
    return 'sender';
  }
  if (principal.units.includes(referral.recipientUnitId)) {
    return 'recipient';
  }
  if (referral.copyUnitIds.some((id) => principal.units.includes(id))) {
    return 'copy';
  }
  return 'none';
}

/**
 * Whether the referral (metadata, envelope) may be shown at all. Routes answer
 * `referral-not-found` for 'none', so that outsiders cannot learn that a referral exists.
 */
export function canRead(side: Side): boolean {
  return side !== 'none';
}

export function isTerminal(status: ReferralStatus): boolean {
  return TERMINAL_STATUSES.includes(status);
}

/** Refuses a write made against a stale copy (`If-Match` / `version` in the request). */
export function assertVersion(referral: Pick<ReferralState, 'version'>, expected: number): void {
  if (referral.version !== expected) {
    throw new ProblemError(
      P.versionConflict,
      `The referral is at version ${referral.version}, not ${expected}`,
      { extensions: { currentVersion: referral.version } },
    );
  }
}

/**
 * The actions this actor could take now, ignoring input (for links and buttons in clients).
 * `transition` remains the authority.
 */
export function availableActions(referral: ReferralState, actor: Actor): ReferralAction[] {
  return REFERRAL_ACTIONS.filter((action) => {
    try {
      authorise(referral, action, actor);
    } catch {
      return false;
    }
    if (!ACTION_RULES[action].from.includes(referral.status)) {
      return false;
    }
    if (action === 'confirm_handover') {
      const side = actingSide(action, actor);
      return side !== null && confirmationOf(referral.handover, side) === null;
    }
    return true;
  });
}

/** Applies `action` to `referral`, or throws a ProblemError. Pure: `now` is the only clock. */
export function transition(
  referral: ReferralState,
  action: ReferralAction,
  input: TransitionInput,
  actor: Actor,
  now: Date,
): TransitionResult {
  const side = authorise(referral, action, actor);
  const by = actor.principal.sub;
  const at = now.toISOString();
  const bump = (changes: Partial<ReferralState>): ReferralState => ({
    ...referral,
    ...changes,
    version: referral.version + 1,
  });

  switch (action) {
    case 'acknowledge': {
      requireFrom(referral, action);
      return {
        next: bump({ status: 'received', acknowledgedAt: now }),
        events: [acknowledgedEvent(referral, by, at, false)],
      };
    }

    case 'accept': {
      requireFrom(referral, action);
      return {
        next: bump({
          status: 'accepted',
          acknowledgedAt: referral.acknowledgedAt ?? now,
          acceptedAt: now,
        }),
        events: [
          ...impliedAcknowledgement(referral, by, at),
          { event: 'accepted', detail: { unitId: referral.recipientUnitId, by, at } },
        ],
      };
    }

    case 'decline': {
      requireFrom(referral, action);
      const reason = oneOf(DECLINE_REASONS, input.reason);
      if (reason === undefined) {
        throw new ProblemError(
          P.declineReasonRequired,
          `reason must be one of ${DECLINE_REASONS.join(', ')}`,
          {
            errors: [
              { field: 'body.reason', message: `must be one of: ${DECLINE_REASONS.join(', ')}` },
            ],
          },
        );
      }
      const noteMessageId = declineNote(reason, input.noteMessageId);
      return {
        next: bump({
          status: 'declined',
          acknowledgedAt: referral.acknowledgedAt ?? now,
          declinedAt: now,
          declineReason: reason,
        }),
        events: [
          ...impliedAcknowledgement(referral, by, at),
          {
            event: 'declined',
            detail: {
              unitId: referral.recipientUnitId,
              by,
              at,
              reason,
              ...(noteMessageId === undefined ? {} : { noteMessageId }),
            },
          },
        ],
      };
    }

    case 'forward': {
      requireFrom(referral, action);
      const forwards = forwardTargets(referral, input.forwards);
      return {
        next: bump({ status: 'forwarded', acknowledgedAt: referral.acknowledgedAt ?? now }),
        events: [
          ...impliedAcknowledgement(referral, by, at),
          {
            event: 'forwarded',
            detail: {
              unitId: referral.recipientUnitId,
              by,
              at,
              forwardedToIds: forwards.map((f) => f.id),
              toUnitIds: forwards.map((f) => f.recipientUnitId),
            },
          },
        ],
      };
    }

    case 'withdraw': {
      requireFrom(referral, action);
      return {
        next: bump({ status: 'withdrawn' }),
        events: [{ event: 'withdrawn', detail: { unitId: referral.senderUnitId, by, at } }],
      };
    }

    case 'plan_handover': {
      requireFrom(referral, action);
      const { mode, plannedFor } = handoverPlan(input);
      const previous = referral.handover;
      const confirmationsReset = Boolean(
        previous && (previous.senderConfirmation || previous.recipientConfirmation),
      );
      return {
        next: bump({
          status: 'handover_planned',
          handover: { mode, plannedFor, senderConfirmation: null, recipientConfirmation: null },
        }),
        events: [
          {
            event: 'handover_planned',
            detail: {
              unitId: unitOf(referral, side),
              side,
              by,
              at,
              mode,
              plannedFor: plannedFor.toISOString(),
              replanned: referral.status === 'handover_planned',
              confirmationsReset,
            },
          },
        ],
      };
    }

    case 'confirm_handover': {
      if (referral.status === 'accepted') {
        throw new ProblemError(P.handoverNotPlanned, 'Plan the handover before confirming it');
      }
      if (referral.status === 'handover_confirmed') {
        throw new ProblemError(P.handoverAlreadyConfirmed, 'Both sides have already confirmed');
      }
      requireFrom(referral, action);
      const handover = referral.handover;
      if (handover === null) {
        // A row in handover_planned without a plan breaks an invariant; refuse rather than guess.
        throw new ProblemError(P.handoverNotPlanned, 'The referral has no planned handover');
      }
      if (confirmationOf(handover, side) !== null) {
        throw new ProblemError(
          P.handoverAlreadyConfirmed,
          `The ${side} side has already confirmed the handover`,
        );
      }
      const other = confirmationOf(handover, side === 'sender' ? 'recipient' : 'sender');
      // The same person: same subject in the same organisation (an older confirmation without its
      // organisation is compared by subject, the stricter reading).
      const org = actor.principal.org;
      if (
        other !== null &&
        other.userId === by &&
        (other.organisationId === undefined || other.organisationId === org)
      ) {
        throw new ProblemError(
          P.handoverSamePerson,
          `You confirmed the ${side === 'sender' ? 'receiving' : 'sending'} side already; a colleague on the ${side} side must confirm`,
        );
      }
      const confirmation: HandoverConfirmation = {
        unitId: unitOf(referral, side),
        userId: by,
        organisationId: org,
        at: now,
      };
      const nextHandover: Handover =
        side === 'sender'
          ? { ...handover, senderConfirmation: confirmation }
          : { ...handover, recipientConfirmation: confirmation };
      const both =
        nextHandover.senderConfirmation !== null && nextHandover.recipientConfirmation !== null;
      const events: LifecycleEvent[] = [
        {
          event:
            side === 'sender' ? 'handover_confirmed_by_sender' : 'handover_confirmed_by_recipient',
          detail: { unitId: confirmation.unitId, side, by, at, mode: handover.mode },
        },
      ];
      if (both) {
        events.push({
          event: 'handover_confirmed',
          detail: {
            at,
            mode: handover.mode,
            senderConfirmedAt: nextHandover.senderConfirmation?.at.toISOString(),
            recipientConfirmedAt: nextHandover.recipientConfirmation?.at.toISOString(),
          },
        });
      }
      return {
        next: bump({
          status: both ? 'handover_confirmed' : 'handover_planned',
          handover: nextHandover,
        }),
        events,
      };
    }

    case 'close': {
      requireFrom(referral, action);
      const outcome = oneOf(REFERRAL_OUTCOMES, input.outcome);
      if (outcome === undefined) {
        throw new ProblemError(
          P.outcomeRequired,
          `outcome must be one of ${REFERRAL_OUTCOMES.join(', ')}`,
          {
            errors: [
              { field: 'body.outcome', message: `must be one of: ${REFERRAL_OUTCOMES.join(', ')}` },
            ],
          },
        );
      }
      if (referral.status !== 'handover_confirmed' && !NO_HANDOVER_OUTCOMES.includes(outcome)) {
        throw new ProblemError(
          P.transitionNotAllowed,
          `Cannot close a referral that is ${referral.status} with outcome ${outcome}: ` +
            `without a confirmed handover the outcome must be one of ${NO_HANDOVER_OUTCOMES.join(', ')}`,
          { extensions: { currentStatus: referral.status } },
        );
      }
      return {
        next: bump({ status: 'closed', closedAt: now, outcome }),
        events: [
          {
            event: 'closed',
            detail: {
              unitId: referral.recipientUnitId,
              by,
              at,
              outcome,
              handoverConfirmed: referral.status === 'handover_confirmed',
            },
          },
        ],
      };
    }
  }
}

// ----- who -------------------------------------------------------------------

/** The side the actor acts for, or null when the actor cannot act for the required side. */
function actingSide(action: ReferralAction, actor: Actor): 'sender' | 'recipient' | null {
  const by = ACTION_RULES[action].by;
  if (by !== 'either') {
    return by;
  }
  return actor.side === 'sender' || actor.side === 'recipient' ? actor.side : null;
}

/** Throws the 403/422 problem for an actor who may not take `action`; returns the acting side. */
function authorise(
  referral: ReferralState,
  action: ReferralAction,
  actor: Actor,
): 'sender' | 'recipient' {
  const side = actingSide(action, actor);
  if (side === null) {
    throw new ProblemError(
      P.notAParty,
      `Only the sending or the receiving unit may ${action.replace('_', ' ')} (you act as ${actor.side})`,
    );
  }
  if (!actor.principal.units.includes(unitOf(referral, side))) {
    throw new ProblemError(
      side === 'sender' ? P.notMemberOfSender : P.notMemberOfRecipient,
      `Only members of the ${side === 'sender' ? 'sending' : 'receiving'} unit may ${action.replace('_', ' ')}`,
    );
  }
  if (!actor.principal.roles.some((role) => ACTING_ROLES.includes(role))) {
    throw new ProblemError(
      P.roleNotPermitted,
      `Handling referrals needs one of the roles ${ACTING_ROLES.join(', ')}`,
    );
  }
  if (action === 'forward' && !actor.principal.roles.includes('coordinator')) {
    throw new ProblemError(P.notCoordinator, 'Forwarding needs the role coordinator');
  }
  return side;
}

// ----- when ------------------------------------------------------------------

function requireFrom(referral: ReferralState, action: ReferralAction): void {
  if (!ACTION_RULES[action].from.includes(referral.status)) {
    throw new ProblemError(
      P.transitionNotAllowed,
      `Cannot ${action.replace('_', ' ')} a referral that is ${referral.status}`,
      { extensions: { currentStatus: referral.status } },
    );
  }
}

// ----- what ------------------------------------------------------------------

function oneOf<T extends string>(allowed: readonly T[], value: unknown): T | undefined {
  return typeof value === 'string' && (allowed as readonly string[]).includes(value)
    ? (value as T)
    : undefined;
}

function handoverPlan(input: TransitionInput): { mode: HandoverMode; plannedFor: Date } {
  const mode = oneOf(HANDOVER_MODES, input.mode);
  if (mode === undefined) {
    throw new ProblemError(P.handoverInvalid, `mode must be one of ${HANDOVER_MODES.join(', ')}`, {
      errors: [{ field: 'body.mode', message: `must be one of: ${HANDOVER_MODES.join(', ')}` }],
    });
  }
  const raw = input.plannedFor;
  const plannedFor =
    raw instanceof Date ? raw : typeof raw === 'string' && raw !== '' ? new Date(raw) : undefined;
  if (plannedFor === undefined || Number.isNaN(plannedFor.getTime())) {
    throw new ProblemError(P.handoverInvalid, 'plannedFor must be a date-time', {
      errors: [{ field: 'body.plannedFor', message: 'must be a date-time' }],
    });
  }
  // A copy, so that the caller's Date object is not shared with the returned state.
  return { mode, plannedFor: new Date(plannedFor.getTime()) };
}

function declineNote(reason: DeclineReason, raw: unknown): string | undefined {
  const id = typeof raw === 'string' && raw !== '' ? raw : undefined;
  if (reason === 'other' && id === undefined) {
    throw new ProblemError(
      P.declineReasonRequired,
      'reason other needs a note for the sender, sealed for the parties',
      { errors: [{ field: 'body.note', message: 'is required when reason is other' }] },
    );
  }
  return id;
}

function forwardTargets(
  referral: ReferralState,
  forwards: readonly ForwardTarget[] | null | undefined,
): ForwardTarget[] {
  const refuse = (detail: string) => {
    throw new ProblemError(P.recipientNotAllowed, detail);
  };
  if (!Array.isArray(forwards) || forwards.length === 0) {
    return refuse('Forwarding needs at least one new referral in forwards');
  }
  if (forwards.length > MAX_FORWARDS) {
    return refuse(`A referral can be forwarded to at most ${MAX_FORWARDS} units at once`);
  }
  const units = new Set<string>();
  const ids = new Set<string>();
  for (const target of forwards as readonly unknown[]) {
    const { id, recipientUnitId } = (target ?? {}) as Partial<ForwardTarget>;
    if (
      typeof id !== 'string' ||
      id === '' ||
      typeof recipientUnitId !== 'string' ||
      recipientUnitId === ''
    ) {
      return refuse('Each forward needs an id and a recipientUnitId');
    }
    // The forwarding unit becomes the sender of the new referrals; it cannot address itself.
    if (recipientUnitId === referral.recipientUnitId) {
      return refuse(`Unit ${recipientUnitId} is the unit forwarding the referral`);
    }
    if (units.has(recipientUnitId)) {
      return refuse(`Unit ${recipientUnitId} appears more than once; one new referral per unit`);
    }
    if (ids.has(id)) {
      return refuse(`Referral id ${id} appears more than once`);
    }
    units.add(recipientUnitId);
    ids.add(id);
  }
  return forwards.map(({ id, recipientUnitId }) => ({ id, recipientUnitId }));
}

// ----- helpers ---------------------------------------------------------------

function unitOf(referral: ReferralState, side: 'sender' | 'recipient'): string {
  return side === 'sender' ? referral.senderUnitId : referral.recipientUnitId;
}

function confirmationOf(
  handover: Handover | null,
  side: 'sender' | 'recipient',
): HandoverConfirmation | null {
  if (handover === null) {
    return null;
  }
  return side === 'sender' ? handover.senderConfirmation : handover.recipientConfirmation;
}

function acknowledgedEvent(
  referral: ReferralState,
  by: string,
  at: string,
  implied: boolean,
): LifecycleEvent {
  return { event: 'acknowledged', detail: { unitId: referral.recipientUnitId, by, at, implied } };
}

function impliedAcknowledgement(referral: ReferralState, by: string, at: string): LifecycleEvent[] {
  return referral.status === 'sent' ? [acknowledgedEvent(referral, by, at, true)] : [];
}
