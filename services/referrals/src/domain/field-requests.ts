import { escalationTargets, ProblemError } from '@samverkan/shared';
import { ReferralProblems as P } from './errors';

/**
 * Field requests during an operation (docs/architecture.md#operation-weeks) as plain rules: their state machine, the claim
 * deadline, the needed-by time, escalation targets and the encounter tally's arithmetic.
 */

export const FIELD_REQUEST_STATUSES = [
  'open',
  'claimed',
  'en_route',
  'on_site',
  'completed',
  'cancelled',
] as const;
export type FieldRequestStatus = (typeof FIELD_REQUEST_STATUSES)[number];

/** Actions after the claim, by the claimer (`cancel` by the requester). */
export type FieldRequestAction = 'en_route' | 'on_site' | 'complete' | 'cancel';

const FROM: Readonly<Record<FieldRequestAction, readonly FieldRequestStatus[]>> = {
  en_route: ['claimed'],
  on_site: ['en_route'],
  complete: ['on_site'],
  cancel: ['open', 'claimed', 'en_route', 'on_site'],
};
const TO: Readonly<Record<FieldRequestAction, FieldRequestStatus>> = {
  en_route: 'en_route',
  on_site: 'on_site',
  complete: 'completed',
  cancel: 'cancelled',
};

/** `claimed → en_route → on_site → completed`; `cancelled` from anything not yet completed. */
export function fieldRequestTransition(
  status: FieldRequestStatus,
  action: FieldRequestAction,
): FieldRequestStatus {
  if (!FROM[action].includes(status)) {
    throw new ProblemError(
      P.fieldRequestTransitionNotAllowed,
      `A field request in status ${status} cannot become ${TO[action]}`,
      { extensions: { currentStatus: status } },
    );
  }
  return TO[action];
}

/** Why a claim lost: someone else has it (409 of its own), or it is no longer open at all. */
export function claimRefusal(status: FieldRequestStatus): ProblemError {
  if (status === 'cancelled' || status === 'completed') {
    return new ProblemError(
      P.fieldRequestTransitionNotAllowed,
      `A field request in status ${status} cannot be claimed`,
      { extensions: { currentStatus: status } },
    );
  }
  return new ProblemError(P.fieldRequestAlreadyClaimed, undefined, {
    extensions: { currentStatus: status },
  });
}

/** At most this far ahead: a field request is about a raid happening now. */
export const MAX_NEEDED_BY_MS = 24 * 60 * 60 * 1000;

export function checkNeededBy(neededBy: Date, now: Date): void {
  if (!(neededBy > now) || neededBy.getTime() - now.getTime() > MAX_NEEDED_BY_MS) {
    throw new ProblemError(
      P.neededByInvalid,
      neededBy > now ? 'neededBy is more than 24 hours ahead' : 'neededBy is in the past',
      {
        errors: [
          {
            field: 'body.neededBy',
            message: neededBy > now ? 'is more than 24 hours ahead' : 'is in the past',
          },
        ],
      },
    );
  }
}

/**
 * When an unclaimed request escalates: at its needed-by time, or earlier when a claim window is
 * configured (REFERRALS_FIELD_REQUEST_CLAIM_WINDOW) and runs out first.
 */
export function claimDeadline(neededBy: Date, createdAt: Date, claimWindowMs?: number): Date {
  if (claimWindowMs === undefined) {
    return neededBy;
  }
  return new Date(Math.min(neededBy.getTime(), createdAt.getTime() + claimWindowMs));
}

/**
 * Who hears of an unclaimed request: the 24/7 on-call unit (Socialjour) of every participating
 * unit it was addressed to, and the operation's coordinator unit. A participating unit without
 * an on-call unit is alerted itself.
 */
export function fieldRequestEscalationTargets(input: {
  participants: Array<{ unitId: string; onCallUnitId: string | null }>;
  coordinatorUnitId: string | null;
}): string[] {
  // The platform's one escalation rule (shared/src/domain/escalation.ts), all levels at once.
  return escalationTargets({
    objectType: 'field_request',
    category: null,
    units: input.participants.map((p) => ({ id: p.unitId, onCallUnitId: p.onCallUnitId })),
    coordinatorUnitIds: input.coordinatorUnitId ? [input.coordinatorUnitId] : [],
  }).map((t) => t.unitId);
}

// ----- encounter tallies ------------------------------------------------------------------------

export const GENDERS = ['female', 'male', 'other', 'unknown'] as const;
export const AGE_BANDS = ['child', 'adult', 'unknown'] as const;
export const CITIZENSHIP_GROUPS = ['swedish', 'eu', 'non_eu', 'unknown'] as const;

export interface TallyInput {
  peopleMet: Array<{ gender: string; ageBand: string; citizenshipGroup: string; count: number }>;
  supportOffered: number;
  supportAccepted: number;
  protectedHousingArranged: number;
  buyersMet: number;
  buyersOfferedClinic: number;
  referralIds: string[];
}

export function peopleMetTotal(tally: Pick<TallyInput, 'peopleMet'>): number {
  return tally.peopleMet.reduce((sum, cell) => sum + cell.count, 0);
}

/**
 * Numbers only, and they must add up: accepted ≤ offered ≤ met, housing arranged ≤ accepted,
 * buyers offered the clinic ≤ buyers met, each group of people named once. Every violation is
 * listed (422 `tally-invalid`).
 */
export function checkTally(tally: TallyInput): void {
  const errors: Array<{ field: string; message: string }> = [];
  const seen = new Set<string>();
  tally.peopleMet.forEach((cell, i) => {
    const key = `${cell.gender}/${cell.ageBand}/${cell.citizenshipGroup}`;
    if (seen.has(key)) {
      errors.push({ field: `body.peopleMet.${i}`, message: `repeats the group ${key}` });
    }
    seen.add(key);
    if (!Number.isInteger(cell.count) || cell.count < 1) {
      errors.push({
        field: `body.peopleMet.${i}.count`,
        message: 'must be a whole number of at least 1',
      });
    }
  });
  const numbers = [
    'supportOffered',
    'supportAccepted',
    'protectedHousingArranged',
    'buyersMet',
    'buyersOfferedClinic',
  ] as const;
  for (const name of numbers) {
    if (!Number.isInteger(tally[name]) || tally[name] < 0) {
      errors.push({ field: `body.${name}`, message: 'must be a whole number of at least 0' });
    }
  }
  const met = peopleMetTotal(tally);
  if (tally.supportOffered > met) {
    errors.push({ field: 'body.supportOffered', message: `is more than the ${met} people met` });
  }
  if (tally.supportAccepted > tally.supportOffered) {
    errors.push({ field: 'body.supportAccepted', message: 'is more than support offered' });
  }
  if (tally.protectedHousingArranged > tally.supportAccepted) {
    errors.push({
      field: 'body.protectedHousingArranged',
      message: 'is more than support accepted',
    });
  }
  if (tally.buyersOfferedClinic > tally.buyersMet) {
    errors.push({ field: 'body.buyersOfferedClinic', message: 'is more than buyers met' });
  }
  if (new Set(tally.referralIds).size !== tally.referralIds.length) {
    errors.push({ field: 'body.referralIds', message: 'names a referral twice' });
  }
  if (errors.length > 0) {
    throw new ProblemError(
      P.tallyInvalid,
      errors.map((e) => `${e.field} ${e.message}`).join('; '),
      { errors },
    );
  }
}

/**
 * Whether a tally may link a referral: the claiming unit is one of the referral's parties
 * (sender, recipient or copy), and the referral is not linked to another field request already.
 */
export function tallyMayLink(
  referral: {
    senderUnitId: string;
    recipientUnitId: string;
    copyUnitIds: string[];
    fieldRequestId: string | null;
  },
  claimingUnitId: string,
  fieldRequestId: string,
): boolean {
  const party =
    referral.senderUnitId === claimingUnitId ||
    referral.recipientUnitId === claimingUnitId ||
    referral.copyUnitIds.includes(claimingUnitId);
  return party && (referral.fieldRequestId === null || referral.fieldRequestId === fieldRequestId);
}
