/**
 * What a referral's action did, said as it happened ("Remissen är kvitterad."), not as the
 * button's label after "Klart:"; each says what comes next where there is a next step.
 */
import type { MessageKey } from '../i18n/sv';

export type ReferralActionKind =
  'acknowledge' | 'accept' | 'decline' | 'withdraw' | 'handover' | 'confirm-handover' | 'close';

const DONE: Record<ReferralActionKind, MessageKey> = {
  acknowledge: 'done.acknowledge',
  accept: 'done.accept',
  decline: 'done.decline',
  withdraw: 'done.withdraw',
  handover: 'done.handover',
  'confirm-handover': 'done.confirmHandover',
  close: 'done.close',
};

export function doneMessage(kind: ReferralActionKind): MessageKey {
  return DONE[kind];
}
