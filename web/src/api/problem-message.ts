/**
 * A refusal from the hub in the reader's language. The hub's problem+json titles and details are
 * English (they are the API's, for developers); the ones a person meets in ordinary work — a
 * colleague acted on the referral first, the session ran out, too many tries, the hub is busy —
 * are told here by their stable `type`, in Swedish or English, saying what to do. Others keep
 * the hub's own text.
 */
import type { MessageKey } from '../i18n/sv';
import type { Translate } from '../i18n/translate';

const BASE = 'urn:samverkan:problem:';

const KNOWN: Record<string, MessageKey> = {
  'referral-transition-not-allowed': 'problem.changedMeanwhile',
  'referral-version-conflict': 'problem.changedMeanwhile',
  'handover-already-confirmed': 'problem.handoverAlreadyConfirmed',
  'handover-not-planned': 'problem.changedMeanwhile',
  'referral-not-found': 'problem.referralNotFound',
  'not-a-member-of-sender': 'problem.notYourUnit',
  'not-a-member-of-recipient': 'problem.notYourUnit',
  'not-a-party-to-referral': 'problem.notYourUnit',
  forbidden: 'problem.forbidden',
  unauthenticated: 'problem.signedOut',
  'expired-token': 'problem.signedOut',
  'rate-limited': 'problem.rateLimited',
  'service-unavailable': 'problem.unavailable',
  'internal-error': 'problem.internal',
};

export function problemMessage(
  t: Translate,
  problem: { type?: string; title?: string; detail?: string; status?: number } | undefined,
): string {
  const slug = problem?.type?.startsWith(BASE) ? problem.type.slice(BASE.length) : undefined;
  const key = slug ? KNOWN[slug] : undefined;
  if (key) {
    return t(key);
  }
  return problem?.detail ?? problem?.title ?? String(problem?.status ?? '');
}
