import { canonicalJson } from '@samverkan/shared';
import type { ReferralEntity } from '../entities';
import type { HandoverState } from '../entities/referral.entity';
import type { Urgency } from '../domain/deadlines';
import type { ReferralState } from '../domain/referral-lifecycle';

/**
 * The referral aggregate's shapes: what a send carries, the list query, and the mapping between
 * the stored row and the pure state machine's state (domain/referral-lifecycle).
 */

export interface ReferralCreate {
  id: string;
  senderUnitId: string;
  recipientUnitId: string;
  copyUnitIds?: string[];
  category: string;
  urgency: Urgency;
  ageBand: string;
  gender: string;
  citizenshipGroup: string;
  municipalityCode: string;
  legalBasis: string;
  /** acute_protection: the sender's justification, sealed for the parties (never clear text) */
  justification?: SealedNote;
  envelope: Record<string, unknown>;
}

/**
 * Free text about a case that goes with a request (an acute_protection justification, a decline
 * note): a message on the referral's thread, sealed by the writing unit's client for the other
 * parties and itself (openapi `SealedNote`). The hub checks its routing like any message's and
 * stores it in the thread; it never sees the text.
 */
export interface SealedNote {
  id: string;
  envelope: Record<string, unknown>;
}

export interface ReferralListQuery {
  box: 'inbox' | 'outbox';
  /** One of the caller's units; without it, every unit the caller acts for. */
  unit?: string;
  status?: string[];
  urgency?: string;
  category?: string;
  from?: string;
  to?: string;
  limit: number;
  cursor?: string;
}
export function toState(r: ReferralEntity): ReferralState {
  const h = r.handover;
  return {
    status: r.status as ReferralState['status'],
    senderUnitId: r.senderUnitId,
    recipientUnitId: r.recipientUnitId,
    copyUnitIds: r.copyUnitIds,
    acknowledgedAt: r.acknowledgedAt,
    acceptedAt: r.acceptedAt,
    declinedAt: r.declinedAt,
    declineReason: r.declineReason as ReferralState['declineReason'],
    closedAt: r.closedAt,
    outcome: r.outcome as ReferralState['outcome'],
    handover:
      h.mode && h.plannedFor
        ? {
            mode: h.mode,
            plannedFor: new Date(h.plannedFor),
            senderConfirmation: h.senderConfirmation
              ? { ...h.senderConfirmation, at: new Date(h.senderConfirmation.at) }
              : null,
            recipientConfirmation: h.recipientConfirmation
              ? { ...h.recipientConfirmation, at: new Date(h.recipientConfirmation.at) }
              : null,
          }
        : null,
    version: r.version,
  };
}

export function applyState(r: ReferralEntity, s: ReferralState): void {
  r.status = s.status;
  r.acknowledgedAt = s.acknowledgedAt;
  r.acceptedAt = s.acceptedAt;
  r.declinedAt = s.declinedAt;
  r.declineReason = s.declineReason;
  r.closedAt = s.closedAt;
  r.outcome = s.outcome;
  r.version = s.version;
  const conf = (c: { unitId: string; userId: string; organisationId?: string; at: Date } | null) =>
    c
      ? {
          unitId: c.unitId,
          userId: c.userId,
          ...(c.organisationId === undefined ? {} : { organisationId: c.organisationId }),
          at: c.at.toISOString(),
        }
      : null;
  r.handover = s.handover
    ? {
        mode: s.handover.mode,
        plannedFor: s.handover.plannedFor.toISOString(),
        senderConfirmation: conf(s.handover.senderConfirmation),
        recipientConfirmation: conf(s.handover.recipientConfirmation),
      }
    : emptyHandover();
}

export function emptyHandover(): HandoverState {
  return { mode: null, plannedFor: null, senderConfirmation: null, recipientConfirmation: null };
}

/** A referral's routing facts (a stored referral, or one due for purge). */
export interface ReferralRouting {
  id: string;
  senderUnitId: string;
  recipientUnitId: string;
  copyUnitIds: string[];
  category: string;
  urgency: string;
  status: string;
  municipalityCode: string;
}

/** What every referral event carries: routing facts, never content. */
export function eventData(r: ReferralRouting, extra: Record<string, unknown> = {}) {
  return {
    referralId: r.id,
    senderUnitId: r.senderUnitId,
    recipientUnitId: r.recipientUnitId,
    copyUnitIds: r.copyUnitIds,
    category: r.category,
    urgency: r.urgency,
    status: r.status,
    municipalityCode: r.municipalityCode,
    ...extra,
  };
}
/** The timeline names units and times, not people: the acting user stays in the audit log. */
export function timelineDetail(detail: Record<string, unknown>): Record<string, unknown> {
  const { by: _by, at: _at, ...rest } = detail;
  return rest;
}

/** Lifecycle event name → key of ReferralEvents (the side confirmations are timeline-only). */
export function eventKey(event: string): string {
  return event.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase());
}

export function publicDetail(event: string, r: ReferralEntity): Record<string, unknown> {
  switch (event) {
    case 'declined':
      return { reason: r.declineReason };
    case 'closed':
      return { outcome: r.outcome };
    default:
      return {};
  }
}

/** Whether a stored referral is exactly what this send would create (same units, same envelope). */
/**
 * A referral as a send or a forward leg stores it: what the sender gave, status `sent`, nothing
 * answered yet. The one shape both writers (commands/send-referral.ts, a forward) start from.
 */
export function newReferralRecord(
  input: ReferralCreate,
  leg: {
    copyUnitIds: string[];
    justificationMessageId: string | null;
    envelopeSize: number;
    acknowledgeBy: Date;
    forwardedFromId: string | null;
  },
) {
  return {
    id: input.id,
    senderUnitId: input.senderUnitId,
    recipientUnitId: input.recipientUnitId,
    copyUnitIds: leg.copyUnitIds,
    category: input.category,
    urgency: input.urgency,
    ageBand: input.ageBand,
    gender: input.gender,
    citizenshipGroup: input.citizenshipGroup,
    municipalityCode: input.municipalityCode,
    legalBasis: input.legalBasis,
    justification: null,
    justificationMessageId: leg.justificationMessageId,
    declineNoteMessageId: null,
    status: 'sent' as const,
    envelope: input.envelope,
    envelopeSize: leg.envelopeSize,
    acknowledgeBy: leg.acknowledgeBy,
    acknowledgedAt: null,
    acceptedAt: null,
    declinedAt: null,
    declineReason: null,
    closedAt: null,
    outcome: null,
    forwardedFromId: leg.forwardedFromId,
    forwardedToIds: [] as string[],
    handover: emptyHandover(),
    escalationLevel: 0,
    version: 1,
  };
}

export function isSameSend(existing: ReferralEntity, input: ReferralCreate): boolean {
  const copies = (ids: string[]) => [...ids].sort().join(',');
  return (
    existing.forwardedFromId === null &&
    existing.senderUnitId === input.senderUnitId &&
    existing.recipientUnitId === input.recipientUnitId &&
    copies(existing.copyUnitIds) === copies(input.copyUnitIds ?? []) &&
    existing.category === input.category &&
    existing.urgency === input.urgency &&
    canonicalJson(existing.envelope) === canonicalJson(input.envelope)
  );
}
