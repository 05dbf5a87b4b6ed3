import {
  CommonProblems,
  defineProblems,
  hasRole,
  ProblemError,
  type Principal,
} from '@samverkan/shared';
import { ReferralProblems as P } from './errors';
import { ACTING_ROLES, type ReferralStatus } from './referral-lifecycle';

/**
 * The sealed message thread of a referral as plain rules (docs/architecture.md): who may post,
 * in which states, to whom it is addressed, who may no longer read it. No Fastify, no TypeORM.
 */

/** The message thread's own problems (openapi/referrals.yaml, postMessage). */
export const MessageProblems = defineProblems({
  referralNotOpen: {
    ...CommonProblems.conflict,
    slug: 'referral-not-open',
    title: 'The referral is withdrawn, declined or forwarded: its thread takes no new messages',
    code: 'REFERRALS_REFERRAL_NOT_OPEN',
  },
  messageExists: {
    ...CommonProblems.conflict,
    slug: 'message-exists',
    title: 'A message with this id exists',
    code: 'REFERRALS_MESSAGE_EXISTS',
  },
});

/**
 * Statuses in which nobody acts on the referral any more, so nobody writes on it: the contract
 * names these three. A closed referral stays open for follow-up (the person may come back).
 */
const NOT_OPEN: readonly ReferralStatus[] = ['withdrawn', 'declined', 'forwarded'];

/**
 * Statuses in which the recipient and copy units have lost access to the content, as for the
 * referral's own envelope (`referrals/queries.ts` `envelope()`): the thread holds the same kind
 * of content, so it follows the same rule.
 */
const REVOKED_FOR_RECIPIENTS: readonly ReferralStatus[] = ['declined', 'withdrawn'];

/** Refuses a post (409) when nobody acts on the referral any more. */
export function assertThreadOpen(status: string): void {
  if (NOT_OPEN.includes(status as ReferralStatus)) {
    throw new ProblemError(MessageProblems.referralNotOpen, `The referral is ${status}`, {
      extensions: { currentStatus: status },
    });
  }
}

/** Whether the caller's side (recipient, copy) has lost access to the thread in this status. */
export function threadRevokedFor(side: string, status: string): boolean {
  return (
    (side === 'recipient' || side === 'copy') &&
    REVOKED_FOR_RECIPIENTS.includes(status as ReferralStatus)
  );
}

/**
 * The units a message from `from` is addressed to: every other unit of the referral (sender,
 * recipient and copy units). This is the `to` of the envelope's AAD.
 */
export function messageAddressees(
  referral: { senderUnitId: string; recipientUnitId: string; copyUnitIds: string[] },
  from: string,
): string[] {
  const parties = new Set([
    referral.senderUnitId,
    referral.recipientUnitId,
    ...referral.copyUnitIds,
  ]);
  parties.delete(from);
  return [...parties];
}

/**
 * Who may post (pure; throws the refusal): as one of the caller's units on the referral, the
 * sending or the receiving unit (copy units only read), with a role that acts on referrals.
 */
export function assertMayPost(
  principal: Principal,
  referral: { senderUnitId: string; recipientUnitId: string },
  actingUnits: string[],
  senderUnitId: string,
): void {
  if (!actingUnits.includes(senderUnitId)) {
    throw new ProblemError(
      P.notMemberOfSender,
      'senderUnitId must be one of your units on the referral',
    );
  }
  if (senderUnitId !== referral.senderUnitId && senderUnitId !== referral.recipientUnitId) {
    throw new ProblemError(
      P.notAParty,
      'Only the sending or the receiving unit of the referral may post; copy units only read',
    );
  }
  if (!hasRole(principal, ...ACTING_ROLES)) {
    throw new ProblemError(P.roleNotPermitted);
  }
}
