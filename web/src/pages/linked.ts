/**
 * What a referral's links to the referrals a forward made may show to the person looking at it.
 * The hub lets a unit open only the referrals it is a party to: the legs a coordinator forwards
 * are the coordinator's (their sender) and each leg's recipient's, and the original stays between
 * its sender and the coordinator. So only the forwarding unit (the original's recipient) loads
 * the legs, and only it (the leg's sender) gets a link back to the original. Anyone else is told
 * what happened in words: a request for a referral they cannot open would fail, and it would
 * stand in the audit log as a refused read, for their auditor to look into.
 */
import type { Referral } from '../api/client';

export interface LinkedView {
  /** 'list': load the legs and list them; 'count': say how many, without loading them */
  legs: 'list' | 'count' | 'none';
  /** 'link': link to the original; 'text': say it was forwarded, without a link */
  from: 'link' | 'text' | 'none';
}

export function linkedView(
  r: Pick<Referral, 'senderUnitId' | 'recipientUnitId' | 'forwardedToIds' | 'forwardedFromId'>,
  mine: readonly string[],
): LinkedView {
  const forwarded = r.forwardedToIds.length > 0;
  return {
    legs: !forwarded ? 'none' : mine.includes(r.recipientUnitId) ? 'list' : 'count',
    from: !r.forwardedFromId ? 'none' : mine.includes(r.senderUnitId) ? 'link' : 'text',
  };
}
