import { CommonProblems, hasRole, ProblemError, type Principal } from '@samverkan/shared';
import { ReferralProblems as P } from '../../domain/errors';
import { sideOf } from '../../domain/referral-lifecycle';
import { RecordsProblems as R } from '../records.errors';
import { FINAL_REFERRAL_STATUSES } from './retention';

/** Why a legal hold is placed: codes, never free text about the case. */
export const LEGAL_HOLD_REASONS = [
  'court_proceedings',
  'police_investigation',
  'supervisory_inspection',
  'complaint',
  'data_subject_request',
  'other_legal_obligation',
] as const;

export interface LegalHoldInput {
  reason: (typeof LEGAL_HOLD_REASONS)[number];
  reference?: string | null;
}

export interface LegalHold {
  organisationId: string;
  reason: string;
  reference: string | null;
  placedBy: string;
  placedByIssuer: string | null;
  placedAt: Date;
}

/** What the legal-hold rules need of a referral, loaded in one statement. */
export interface HeldReferral {
  id: string;
  senderUnitId: string;
  recipientUnitId: string;
  copyUnitIds: string[];
  status: string;
  closedAt: Date | null;
  declinedAt: Date | null;
  updatedAt: Date;
  /** the organisations of the referral's parties (sender, recipient, copies) */
  partyOrgs: string[];
  /** every organisation's hold, oldest first */
  holds: LegalHold[];
  purge: { purgedAt: Date; timelinePurgedAt: Date | null } | null;
}

export interface RetentionDays {
  contentDays: number;
  timelineDays: number;
}

const DAY_MS = 86_400_000;

/**
 * Who may see and place a legal hold (docs/retention.md): a member acting for one of the
 * referral's units, or an `org_admin` or `auditor` of a party organisation. Anyone else — and
 * everyone when there is no such referral — gets the referral's 404.
 */
export function legalHoldStanding(
  principal: Principal,
  actingUnits: string[],
  referral: HeldReferral | null,
): { isOversight: boolean } {
  const isMember = referral ? sideOf({ units: actingUnits }, referral) !== 'none' : false;
  const isOversight =
    referral !== null &&
    hasRole(principal, 'org_admin', 'auditor') &&
    referral.partyOrgs.includes(principal.org);
  if (!referral || (!isMember && !isOversight)) {
    throw new ProblemError(P.referralNotFound);
  }
  return { isOversight };
}

/** A hold on purged content is too late: it cannot bring the content back. */
export function decidePlace(
  principal: Principal,
  referral: HeldReferral,
  input: LegalHoldInput,
  now: Date,
): LegalHold {
  if (referral.purge) {
    throw new ProblemError(R.alreadyPurged);
  }
  return {
    organisationId: principal.org,
    reason: input.reason,
    reference: input.reference ?? null,
    placedBy: principal.sub,
    placedByIssuer: principal.iss,
    placedAt: now,
  };
}

/**
 * Only an `org_admin` or `auditor` of the organisation that holds it lifts a hold: ending one is
 * an accountable decision, and no party lifts another party's hold. Returns the hold lifted.
 */
export function decideLift(
  principal: Pick<Principal, 'org'>,
  referral: HeldReferral,
  standing: { isOversight: boolean },
): LegalHold {
  if (!standing.isOversight) {
    throw new ProblemError(
      CommonProblems.forbidden,
      'Only an org_admin or auditor of the organisation that placed a legal hold may lift it',
    );
  }
  const hold = referral.holds.find((h) => h.organisationId === principal.org);
  if (!hold) {
    throw new ProblemError(R.legalHoldNotFound);
  }
  return hold;
}

/** The referral's holds once `organisationId`'s is placed (or replaced) or lifted. */
export function holdsAfter(
  holds: LegalHold[],
  organisationId: string,
  placed: LegalHold | null,
): LegalHold[] {
  const others = holds.filter((h) => h.organisationId !== organisationId);
  return placed
    ? [...others, placed].sort((a, b) => a.placedAt.getTime() - b.placedAt.getTime())
    : others;
}

/** The legal hold resource (openapi/referrals.yaml `LegalHoldStatus`). */
export function legalHoldView(referral: HeldReferral, holds: LegalHold[], days: RetentionDays) {
  const final = (FINAL_REFERRAL_STATUSES as readonly string[]).includes(referral.status);
  const finalSince = final
    ? (referral.closedAt ?? referral.declinedAt ?? referral.updatedAt)
    : null;
  const due = (n: number) =>
    finalSince ? new Date(finalSince.getTime() + n * DAY_MS).toISOString() : null;
  const { purge } = referral;
  return {
    referralId: referral.id,
    held: holds.length > 0,
    holds: holds.map((h) => ({
      organisationId: h.organisationId,
      reason: h.reason as LegalHoldInput['reason'],
      reference: h.reference,
      placedBy: h.placedBy,
      placedByIssuer: h.placedByIssuer,
      placedAt: h.placedAt.toISOString(),
    })),
    retention: {
      finalSince: finalSince ? finalSince.toISOString() : null,
      contentRetentionDays: days.contentDays,
      timelineRetentionDays: days.timelineDays,
      contentPurgeDueAt: purge || holds.length > 0 ? null : due(days.contentDays),
      contentPurgedAt: purge ? purge.purgedAt.toISOString() : null,
      timelinePurgedAt: purge?.timelinePurgedAt ? purge.timelinePurgedAt.toISOString() : null,
    },
  };
}

export type LegalHoldView = ReturnType<typeof legalHoldView>;
