/**
 * Which date label a referral's date gets for the person looking at it: the sender's side sees
 * when it was sent ("Skickades"), a recipient or copy unit when it came in ("Inkom"). A person in
 * both the sending and a receiving unit sees it as received (the page's work is the recipient's).
 */
import type { Referral } from '../api/client';

export function referralDateLabel(
  r: Pick<Referral, 'senderUnitId' | 'recipientUnitId' | 'copyUnitIds'>,
  mine: readonly string[],
): 'inbox.sent' | 'inbox.received' {
  const receives = mine.some((u) => u === r.recipientUnitId || r.copyUnitIds.includes(u));
  return mine.includes(r.senderUnitId) && !receives ? 'inbox.sent' : 'inbox.received';
}
