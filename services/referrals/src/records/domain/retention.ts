import type { PendingEvent } from '@samverkan/shared';
import { eventData, type ReferralRouting } from '../../referrals/model';

/** Purge events (openapi/referrals.events.yaml). */
export const RetentionEvents = {
  referralPurged: 'samverkan.referrals.referral.content_purged',
  fieldRequestPurged: 'samverkan.referrals.field_request.content_purged',
} as const;

/** Final states: nothing more happens to the referral in the hub after one of them. */
export const FINAL_REFERRAL_STATUSES = ['closed', 'declined', 'withdrawn', 'forwarded'] as const;

const DAY_MS = 86_400_000;

/** What is due is what reached its end before `now` less `days`. */
export const cutoffOf = (now: Date, days: number): Date => new Date(now.getTime() - days * DAY_MS);

/** A referral whose content is due (the clear metadata its purge event carries). */
export interface DueReferral extends ReferralRouting {
  envelopeSize: number;
  finalSince: Date;
}

/** A field request whose operation ended long enough ago. */
export interface DueFieldRequest {
  id: string;
  operationId: string;
  requesterUnitId: string;
  participantUnitIds: string[];
  urgency: string;
  status: string;
  envelopeSize: number;
  neededBy: Date;
  organiserUnitId: string;
  coordinatorUnitId: string | null;
  endedAt: Date;
}

/** What a purge of one item writes besides its own rows: its event and its audit detail. */
export interface PurgeRecord {
  events: PendingEvent[];
  detail: Record<string, unknown>;
}

/** A referral's content purge: the event for the notifications service, the audit detail. */
export function referralPurgeRecord(
  r: DueReferral,
  now: Date,
  retentionDays: number,
  cleared: { messages: number; legacyClearText: number },
): PurgeRecord {
  return {
    events: [
      {
        type: RetentionEvents.referralPurged,
        data: eventData(r, { purgedAt: now.toISOString() }),
      },
    ],
    detail: {
      finalSince: r.finalSince.toISOString(),
      retentionDays,
      envelopeBytes: r.envelopeSize,
      messages: cleared.messages,
      ...(cleared.legacyClearText > 0 ? { legacyClearTextCleared: cleared.legacyClearText } : {}),
    },
  };
}

/** A field request's content purge. */
export function fieldRequestPurgeRecord(
  f: DueFieldRequest,
  now: Date,
  retentionDays: number,
): PurgeRecord {
  return {
    events: [
      {
        type: RetentionEvents.fieldRequestPurged,
        data: {
          fieldRequestId: f.id,
          operationId: f.operationId,
          organiserUnitId: f.organiserUnitId,
          requesterUnitId: f.requesterUnitId,
          participantUnitIds: f.participantUnitIds,
          coordinatorUnitId: f.coordinatorUnitId ?? null,
          urgency: f.urgency,
          neededBy: f.neededBy.toISOString(),
          status: f.status,
          purgedAt: now.toISOString(),
        },
      },
    ],
    detail: {
      operationEndedAt: f.endedAt.toISOString(),
      retentionDays,
      envelopeBytes: f.envelopeSize,
    },
  };
}

/** The second stage: a purged referral's timeline; no event, the timeline never left the hub. */
export function timelinePurgeRecord(retentionDays: number, steps: number): PurgeRecord {
  return { events: [], detail: { retentionDays, steps } };
}
