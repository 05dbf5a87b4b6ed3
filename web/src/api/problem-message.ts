/**
 * A refusal from the hub in the reader's language. The hub's problem+json titles and details are
 * English (they are the API's, for developers), so they are never shown: each refusal a person
 * can meet in ordinary work — a colleague acted first, not on shift, the review is incomplete,
 * the session ran out, the hub is busy — is told here by its stable `type`, in Swedish or
 * English, saying what to do; any other by its HTTP status, in the same words.
 */
import type { MessageKey } from '../i18n/sv';
import type { Translate } from '../i18n/translate';

const BASE = 'urn:samverkan:problem:';

const KNOWN: Record<string, MessageKey> = {
  // referrals
  'referral-transition-not-allowed': 'problem.changedMeanwhile',
  'referral-version-conflict': 'problem.changedMeanwhile',
  'handover-already-confirmed': 'problem.handoverAlreadyConfirmed',
  'handover-not-planned': 'problem.changedMeanwhile',
  'referral-not-found': 'problem.referralNotFound',
  'not-a-member-of-sender': 'problem.notYourUnit',
  'not-a-member-of-recipient': 'problem.notYourUnit',
  'not-a-party-to-referral': 'problem.notYourUnit',
  'role-not-permitted': 'problem.roleNotPermitted',
  'not-a-coordinator': 'problem.notCoordinator',
  'legal-basis-requires-consent': 'problem.consentRequired',
  'child-needs-social-services': 'problem.childNeedsSocialServices',
  'justification-required': 'problem.justificationRequired',
  'justification-not-sealed-for-auditors': 'problem.sealingRefused',
  'clear-text-refused': 'problem.sealingRefused',
  'decline-reason-required': 'problem.declineReasonRequired',
  'outcome-required': 'problem.outcomeRequired',
  'handover-invalid': 'problem.handoverInvalid',
  'handover-confirmed-by-same-person': 'problem.handoverSamePerson',
  'referral-units-invalid': 'problem.unitsInvalid',
  'envelope-malformed': 'problem.envelope',
  'envelope-aad-mismatch': 'problem.envelope',
  'envelope-key-missing': 'problem.envelope',
  'envelope-key-unexpected': 'problem.envelope',
  'envelope-iat-implausible': 'problem.envelope',
  'envelope-too-large': 'problem.envelope',
  'envelope-access-revoked': 'problem.accessRevoked',
  // operations and field requests
  'operation-not-found': 'problem.operationNotFound',
  'not-operation-organiser': 'problem.notOrganiser',
  'cannot-organise-operation': 'problem.cannotOrganise',
  'not-participant-admin': 'problem.notParticipantAdmin',
  'participation-already-answered': 'problem.participationAnswered',
  'operation-period-invalid': 'problem.operationPeriod',
  'operation-outside-period': 'problem.operationOutsidePeriod',
  'operation-units-invalid': 'problem.operationUnits',
  'shift-not-found': 'problem.shiftNotFound',
  'operation-not-active': 'problem.operationNotActive',
  'operation-transition-not-allowed': 'problem.conflict',
  'field-request-not-found': 'problem.fieldRequestNotFound',
  'not-organiser-officer': 'problem.notOrganiserOfficer',
  'not-on-shift': 'problem.notOnShift',
  'not-the-claimer': 'problem.notTheClaimer',
  'not-the-requester': 'problem.notTheRequester',
  'field-request-already-claimed': 'problem.alreadyClaimed',
  'field-request-transition-not-allowed': 'problem.conflict',
  'operation-has-no-social-services': 'problem.noSocialServices',
  'needed-by-invalid': 'problem.neededByInvalid',
  'tally-already-recorded': 'problem.tallyRecorded',
  'tally-invalid': 'problem.tallyInvalid',
  'tally-referral-invalid': 'problem.tallyReferralInvalid',
  'shift-outside-operation': 'problem.shiftOutside',
  'shift-member-unknown': 'problem.shiftMemberUnknown',
  'cannot-staff-unit': 'problem.cannotStaff',
  // records: log reviews, legal holds, reports
  'log-review-not-found': 'problem.reviewNotFound',
  'log-review-item-not-found': 'problem.reviewItemNotFound',
  'log-review-signed-off': 'problem.reviewSignedOff',
  'log-review-incomplete': 'problem.reviewIncomplete',
  'legal-hold-too-late': 'problem.holdTooLate',
  'legal-hold-not-found': 'problem.holdNotFound',
  'content-purged': 'problem.contentPurged',
  'county-unknown': 'problem.countyUnknown',
  // no answer at all (this web app's own, see api/client.ts)
  'hub-unreachable': 'problem.unreachable',
  // common to every service
  'validation-error': 'problem.invalid',
  'malformed-body': 'problem.invalid',
  unprocessable: 'problem.invalid',
  'not-found': 'problem.notFound',
  conflict: 'problem.conflict',
  'idempotency-key-in-progress': 'problem.inProgress',
  forbidden: 'problem.forbidden',
  unauthenticated: 'problem.signedOut',
  'invalid-token': 'problem.signedOut',
  'expired-token': 'problem.signedOut',
  'rate-limited': 'problem.rateLimited',
  'service-unavailable': 'problem.unavailable',
  'internal-error': 'problem.internal',
};

/** Whether a problem type (its slug) has words of its own here. */
export function hasOwnWords(slug: string): boolean {
  return slug in KNOWN;
}

/** A refusal the page has no words of its own for, by its HTTP status. */
function byStatus(t: Translate, status: number | undefined): string {
  if (status === 401) {
    return t('problem.signedOut');
  }
  if (status === 403) {
    return t('problem.forbidden');
  }
  if (status === 404) {
    return t('problem.notFound');
  }
  if (status === 409) {
    return t('problem.conflict');
  }
  if (status === 400 || status === 422) {
    return t('problem.invalid');
  }
  if (status === 429) {
    return t('problem.rateLimited');
  }
  if (status === 502 || status === 503 || status === 504) {
    return t('problem.unavailable');
  }
  if (status !== undefined && status >= 500) {
    return t('problem.internal');
  }
  return t('problem.other', { status: status ?? '?' });
}

export function problemMessage(t: Translate, refusal: unknown, status?: number): string {
  const problem =
    refusal && typeof refusal === 'object' ? (refusal as { type?: unknown; status?: unknown }) : {};
  const type = typeof problem.type === 'string' ? problem.type : undefined;
  const slug = type?.startsWith(BASE) ? type.slice(BASE.length) : undefined;
  const key = slug ? KNOWN[slug] : undefined;
  return key ? t(key) : byStatus(t, typeof problem.status === 'number' ? problem.status : status);
}

/**
 * What to tell a person about a failed step: a refusal from the hub (the web client's
 * `ProblemError`, the SDK's `SamverkanProblemError`, both carrying the problem) in the reader's
 * language; anything else (the browser's own checks, already in words) by its message.
 */
export function refusalText(t: Translate, err: unknown): string {
  const e = (err ?? {}) as {
    problem?: unknown;
    status?: unknown;
    message?: unknown;
    name?: unknown;
  };
  // fetch's own failure (offline), or the SDK's when the hub did not answer
  if (err instanceof TypeError || e.name === 'HubUnavailableError') {
    return t('problem.unreachable');
  }
  if (e.problem && typeof e.problem === 'object') {
    return problemMessage(t, e.problem, typeof e.status === 'number' ? e.status : undefined);
  }
  return typeof e.message === 'string' && e.message ? e.message : String(err);
}
