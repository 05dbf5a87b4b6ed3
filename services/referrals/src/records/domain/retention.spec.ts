import {
  cutoffOf,
  fieldRequestPurgeRecord,
  referralPurgeRecord,
  RetentionEvents,
  timelinePurgeRecord,
} from './retention';

const now = new Date('2026-06-01T00:00:00Z');

describe('retention', () => {
  it('is due what ended before now less the retention days', () => {
    expect(cutoffOf(now, 180).toISOString()).toBe('2025-12-03T00:00:00.000Z');
  });

  it('publishes a referral’s purge with its clear metadata and audits what it removed', () => {
    const due = {
      id: 'r1',
      senderUnitId: 's',
      recipientUnitId: 'r',
      copyUnitIds: ['c'],
      category: 'other',
      urgency: 'urgent',
      status: 'closed',
      municipalityCode: '0581',
      envelopeSize: 1234,
      finalSince: new Date('2025-11-01T00:00:00Z'),
    };
    const record = referralPurgeRecord(due, now, 180, { messages: 3, legacyClearText: 0 });
    expect(record.events).toEqual([
      {
        type: RetentionEvents.referralPurged,
        data: {
          referralId: 'r1',
          senderUnitId: 's',
          recipientUnitId: 'r',
          copyUnitIds: ['c'],
          category: 'other',
          urgency: 'urgent',
          status: 'closed',
          municipalityCode: '0581',
          purgedAt: now.toISOString(),
        },
      },
    ]);
    // Counts only; never the content itself. Legacy clear text is named only when there was some.
    expect(record.detail).toEqual({
      finalSince: '2025-11-01T00:00:00.000Z',
      retentionDays: 180,
      envelopeBytes: 1234,
      messages: 3,
    });
    expect(
      referralPurgeRecord(due, now, 180, { messages: 0, legacyClearText: 2 }).detail,
    ).toMatchObject({ legacyClearTextCleared: 2 });
  });

  it('publishes a field request’s purge with its parties', () => {
    const record = fieldRequestPurgeRecord(
      {
        id: 'f1',
        operationId: 'o1',
        requesterUnitId: 'u1',
        participantUnitIds: ['u2'],
        urgency: 'acute',
        status: 'completed',
        envelopeSize: 99,
        neededBy: new Date('2025-10-01T10:00:00Z'),
        organiserUnitId: 'u0',
        coordinatorUnitId: null,
        endedAt: new Date('2025-10-02T00:00:00Z'),
      },
      now,
      90,
    );
    expect(record.events[0]).toMatchObject({
      type: RetentionEvents.fieldRequestPurged,
      data: { fieldRequestId: 'f1', organiserUnitId: 'u0', coordinatorUnitId: null },
    });
    expect(record.detail).toEqual({
      operationEndedAt: '2025-10-02T00:00:00.000Z',
      retentionDays: 90,
      envelopeBytes: 99,
    });
  });

  it('purges a timeline without an event (it never left the hub)', () => {
    expect(timelinePurgeRecord(1825, 7)).toEqual({
      events: [],
      detail: { retentionDays: 1825, steps: 7 },
    });
  });
});
