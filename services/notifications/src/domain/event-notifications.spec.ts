import {
  endpointDisabledPlan,
  eventPlan,
  fieldRequestPlan,
  INVITATION_ROLES,
  operationPlan,
  referralPlan,
  type ReferralData,
} from './event-notifications';

const referral: ReferralData = {
  referralId: 'r1',
  senderUnitId: 'police',
  recipientUnitId: 'frideborg',
  copyUnitIds: ['nova'],
  category: 'trafficking_sexual',
  urgency: 'acute',
  status: 'sent',
  municipalityCode: '0581',
};
const request = {
  fieldRequestId: 'f1',
  operationId: 'o1',
  organiserUnitId: 'police',
  requesterUnitId: 'patrol',
  participantUnitIds: ['jour', 'elsa'],
  coordinatorUnitId: 'coord',
  urgency: 'acute',
  status: 'open',
};

describe('who hears of a referral', () => {
  it('sent: the recipient unit (required), the copy units, and an acute one escalates', () => {
    const plan = referralPlan('sent', referral)!;
    expect(plan.requireUnits).toEqual(['frideborg', 'nova']);
    expect(plan.drafts.map((d) => [d.facts.kind, d.facts.unitId, d.audiences, d.required])).toEqual(
      [
        ['referral_received', 'frideborg', [{ members: ['frideborg'] }], true],
        ['referral_copy_received', null, [{ members: ['nova'] }], undefined],
      ],
    );
    expect(plan.escalate).toEqual({
      unitIds: ['frideborg'],
      category: 'trafficking_sexual',
      urgency: 'acute',
      municipalityCode: '0581',
    });
    expect(referralPlan('sent', { ...referral, urgency: 'routine' })!.escalate).toBeUndefined();
  });

  it('a message tells the other side only', () => {
    const plan = referralPlan('message_posted', { ...referral, authorUnitId: 'police' })!;
    expect(plan.drafts[0]!.audiences).toEqual([{ members: ['frideborg'] }]);
  });

  it('a step past sent tells the sender and stops the escalation; a withdrawal the recipients', () => {
    const accepted = referralPlan('accepted', referral)!;
    expect(accepted.cancelEscalations).toBe(true);
    expect(accepted.drafts[0]!.facts).toMatchObject({
      kind: 'referral_status_changed',
      change: 'accepted',
    });
    expect(accepted.drafts[0]!.audiences).toEqual([{ members: ['police'] }]);
    const withdrawn = referralPlan('withdrawn', referral)!;
    expect(withdrawn.cancelEscalations).toBe(true);
    expect(withdrawn.drafts[0]!.audiences).toEqual([{ members: ['frideborg', 'nova'] }]);
    expect(referralPlan('content_purged', referral)).toBeNull();
  });

  it("the producer's escalation reaches the staff on duty not yet escalated to", () => {
    const plan = referralPlan('escalated', { ...referral, escalatedToUnitIds: ['jour'] })!;
    expect(plan.drafts[0]!.audiences).toEqual([{ onDuty: ['jour'], notYetEscalated: true }]);
  });
});

describe('who hears of a field request', () => {
  it('created: the people on shift, else staff on duty; required; escalates', () => {
    const onShift = [{ unitId: 'jour', userId: 'a' }];
    const plan = fieldRequestPlan('created', { ...request, onShift })!;
    expect(plan.requireUnits).toEqual(['jour', 'elsa']);
    expect(plan.drafts[0]).toMatchObject({
      required: true,
      audiences: [{ onShift, orElseOnDuty: ['jour', 'elsa'] }],
    });
    expect(plan.escalate).toEqual({
      unitIds: ['jour', 'elsa'],
      urgency: 'acute',
      coordinatorUnitId: 'coord',
    });
  });

  it('claimed: everyone alerted but the claimant hears it is taken, the requester of the claim', () => {
    const plan = fieldRequestPlan('claimed', {
      ...request,
      claimedBy: 'a',
      claimedByUnitId: 'jour',
    })!;
    expect(plan.cancelEscalations).toBe(true);
    expect(plan.drafts.map((d) => [d.facts.kind, d.facts.unitId, d.audiences])).toEqual([
      [
        'field_request_taken',
        null,
        [{ notifiedOf: 'field_request_created', except: { unitId: 'jour', userId: 'a' } }],
      ],
      ['field_request_status_changed', 'patrol', [{ members: ['patrol'] }]],
    ]);
  });

  it('cancelled: the requester and everyone alerted; a tally tells nobody', () => {
    const plan = fieldRequestPlan('cancelled', request)!;
    expect(plan.drafts[0]!.audiences).toEqual([
      { members: ['patrol'] },
      { notifiedOf: 'field_request_created' },
    ]);
    expect(fieldRequestPlan('tally_recorded', request)).toBeNull();
  });
});

describe('who hears of an operation', () => {
  const operation = {
    operationId: 'o1',
    organiserUnitId: 'police',
    coordinatorUnitId: 'coord',
    invitedUnitIds: ['jour'],
    participantUnitIds: ['elsa'],
    unitId: 'jour',
    status: 'planned',
  };

  it('invitations go to administrators and coordinators of the invited units', () => {
    expect(operationPlan('participants_invited', operation)!.drafts[0]!.audiences).toEqual([
      { membersPreferringRoles: ['jour'], roles: INVITATION_ROLES },
    ]);
  });

  it('participation goes to the organiser; status to organiser, coordinator, participants', () => {
    expect(operationPlan('participation_declined', operation)!.drafts[0]!.facts).toMatchObject({
      change: 'declined',
      unitId: 'jour',
    });
    expect(operationPlan('completed', operation)!.drafts[0]!.audiences).toEqual([
      { members: ['police', 'coord', 'elsa'] },
    ]);
    expect(operationPlan('shift_added', operation)).toBeNull();
  });
});

it('events are told apart by their type', () => {
  expect(eventPlan('samverkan.referrals.referral.sent', referral)!.object).toEqual({
    objectType: 'referral',
    objectId: 'r1',
  });
  expect(eventPlan('samverkan.referrals.tally.recorded', {})).toBeNull();
  expect(
    endpointDisabledPlan({ endpointId: 'e1', unitId: 'u1', organisationId: 'org' }).drafts[0],
  ).toEqual({
    facts: {
      kind: 'webhook_endpoint_disabled',
      objectType: 'webhook_endpoint',
      objectId: 'e1',
      unitId: 'u1',
    },
    audiences: [{ organisationAdmins: 'org' }],
  });
});
