import type { Principal, Role } from '@samverkan/shared';

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

export function unitOf(referral: ReferralState, side: 'sender' | 'recipient'): string {
  return side === 'sender' ? referral.senderUnitId : referral.recipientUnitId;
}

export function confirmationOf(
  handover: Handover | null,
  side: 'sender' | 'recipient',
): HandoverConfirmation | null {
  if (handover === null) {
    return null;
  }
  return side === 'sender' ? handover.senderConfirmation : handover.recipientConfirmation;
}
