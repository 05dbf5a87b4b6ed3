/** Event types the referrals service publishes (openapi/referrals.events.yaml). */
export const ReferralEvents = {
  sent: 'samverkan.referrals.referral.sent',
  acknowledged: 'samverkan.referrals.referral.acknowledged',
  accepted: 'samverkan.referrals.referral.accepted',
  declined: 'samverkan.referrals.referral.declined',
  forwarded: 'samverkan.referrals.referral.forwarded',
  withdrawn: 'samverkan.referrals.referral.withdrawn',
  handoverPlanned: 'samverkan.referrals.referral.handover_planned',
  handoverConfirmed: 'samverkan.referrals.referral.handover_confirmed',
  closed: 'samverkan.referrals.referral.closed',
  escalated: 'samverkan.referrals.referral.escalated',
  messagePosted: 'samverkan.referrals.referral.message_posted',
} as const;
