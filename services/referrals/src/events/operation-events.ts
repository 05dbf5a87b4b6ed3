/** Operation and field-request event types (openapi/referrals.events.yaml). */
export const OperationEvents = {
  created: 'samverkan.referrals.operation.created',
  participantsInvited: 'samverkan.referrals.operation.participants_invited',
  participationAccepted: 'samverkan.referrals.operation.participation_accepted',
  participationDeclined: 'samverkan.referrals.operation.participation_declined',
  activated: 'samverkan.referrals.operation.activated',
  completed: 'samverkan.referrals.operation.completed',
  cancelled: 'samverkan.referrals.operation.cancelled',
  shiftAdded: 'samverkan.referrals.operation.shift_added',
  shiftRemoved: 'samverkan.referrals.operation.shift_removed',
} as const;

export const FieldRequestEvents = {
  created: 'samverkan.referrals.field_request.created',
  claimed: 'samverkan.referrals.field_request.claimed',
  en_route: 'samverkan.referrals.field_request.en_route',
  on_site: 'samverkan.referrals.field_request.on_site',
  completed: 'samverkan.referrals.field_request.completed',
  cancelled: 'samverkan.referrals.field_request.cancelled',
  escalated: 'samverkan.referrals.field_request.escalated',
  tallyRecorded: 'samverkan.referrals.field_request.tally_recorded',
} as const;
