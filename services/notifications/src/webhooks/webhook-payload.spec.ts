import { thinPayload, unitsConcerned, webhookEventType } from './webhook-payload';

const u = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

describe('webhook payloads', () => {
  it('names event types without the producer prefix', () => {
    expect(webhookEventType('samverkan.referrals.referral.sent')).toBe('referral.sent');
    expect(webhookEventType('samverkan.notifications.notification.created')).toBe(
      'notification.created',
    );
    expect(webhookEventType('samverkan.directory.unit.created')).toBeUndefined();
  });

  it('finds every unit an event concerns', () => {
    expect(
      unitsConcerned({
        senderUnitId: u(1),
        recipientUnitId: u(2),
        copyUnitIds: [u(3), u(2)],
        coordinatorUnitId: null,
        escalatedToUnitIds: [u(4)],
        claimedBy: u(9),
      }),
    ).toEqual([u(1), u(2), u(3), u(4)]);
  });

  it('passes on ids and kinds, never user ids or free values', () => {
    const p = thinPayload(
      'field_request.claimed',
      '2026-11-23T08:00:00.000Z',
      {
        fieldRequestId: u(1),
        operationId: u(2),
        participantUnitIds: [u(3)],
        claimedBy: u(7),
        userId: u(8),
        onShift: [{ unitId: u(3), userId: u(8) }],
        urgency: 'acute',
        status: 'claimed',
        neededBy: '2026-11-23T09:00:00.000Z',
        municipalityCodes: ['0581'],
        note: 'free text',
        category: 'Nice Words With Spaces',
      },
      u(3),
    );
    expect(p).toEqual({
      type: 'field_request.claimed',
      timestamp: '2026-11-23T08:00:00.000Z',
      data: {
        fieldRequestId: u(1),
        operationId: u(2),
        participantUnitIds: [u(3)],
        urgency: 'acute',
        status: 'claimed',
        unitId: u(3),
      },
    });
    expect(JSON.stringify(p)).not.toContain(u(7));
    expect(JSON.stringify(p)).not.toContain(u(8));
  });
});
