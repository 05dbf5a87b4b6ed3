import fc from 'fast-check';
import { NOTIFICATION_KINDS, type NotificationKind, type ObjectType } from './kinds';
import { notificationText, severityOf, type NotificationFacts } from './notification-text';

const OBJECT: Record<NotificationKind, ObjectType> = {
  referral_received: 'referral',
  referral_copy_received: 'referral',
  referral_status_changed: 'referral',
  referral_message_posted: 'referral',
  referral_escalated: 'referral',
  field_request_created: 'field_request',
  field_request_taken: 'field_request',
  field_request_status_changed: 'field_request',
  field_request_escalated: 'field_request',
  operation_invitation: 'operation',
  operation_participation_changed: 'operation',
  operation_status_changed: 'operation',
  notification_escalated: 'referral',
  webhook_endpoint_disabled: 'webhook_endpoint',
};

/** Everything a notification's text may contain: fixed words, the closed-list labels, the link. */
const SAFE_TEXT = /^[A-Za-zåäöÅÄÖ ,.:;()/'-]*$/;

describe('notification text', () => {
  it('is built for every kind, with a link to its object', () => {
    const objectId = '6f1c2a4e-8b1d-4c57-9a3e-2d5f7b8c9e01';
    for (const kind of NOTIFICATION_KINDS) {
      const text = notificationText({ kind, objectType: OBJECT[kind], objectId, unitId: null });
      expect(text.title.length).toBeGreaterThan(0);
      expect(text.body.length).toBeGreaterThan(0);
      expect(text.link).toMatch(new RegExp(`^/v1/[a-z-]+/${objectId}$`));
      expect(text.title.length).toBeLessThanOrEqual(200);
      expect(text.body.length).toBeLessThanOrEqual(500);
    }
  });

  it('never lets anything but the allowed facts reach the title or body (every kind)', () => {
    // Any string at all — a name, an address, a personal identity number — in every fact that
    // is not an id: none of it may show up in the text, which holds only fixed words and the
    // labels of closed lists.
    const facts = fc.record({
      kind: fc.constantFrom(...NOTIFICATION_KINDS),
      objectId: fc.uuid(),
      unitId: fc.option(fc.uuid(), { nil: null }),
      category: fc.option(
        fc.oneof(
          fc.string(),
          fc.constantFrom('trafficking_sexual', 'buyer_support', 'Anna Andersson 19850101-1234'),
        ),
        { nil: undefined },
      ),
      urgency: fc.option(fc.oneof(fc.string(), fc.constantFrom('acute', 'urgent')), {
        nil: undefined,
      }),
      change: fc.option(fc.oneof(fc.string(), fc.constantFrom('claimed', 'declined')), {
        nil: undefined,
      }),
      level: fc.option(fc.integer(), { nil: undefined }),
      // A canary always holds a character the text may not: it can never appear by chance.
      canary: fc.string({ minLength: 2 }).filter((s) => /[^A-Za-zåäöÅÄÖ ,.:;()/'-]/.test(s)),
    });
    fc.assert(
      fc.property(facts, (f) => {
        const input: NotificationFacts = {
          kind: f.kind,
          objectType: OBJECT[f.kind],
          objectId: f.objectId,
          unitId: f.unitId,
          ...(f.category !== undefined ? { category: f.category } : {}),
          ...(f.urgency !== undefined ? { urgency: f.urgency } : {}),
          ...(f.change !== undefined ? { change: f.change } : {}),
          ...(f.level !== undefined ? { level: f.level } : {}),
        };
        const withCanaries = { ...input, category: f.canary, change: f.canary, urgency: f.canary };
        for (const facts of [input, withCanaries]) {
          const text = notificationText(facts);
          expect(text.title).toMatch(SAFE_TEXT);
          expect(text.body).toMatch(SAFE_TEXT);
          expect(`${text.title} ${text.body}`).not.toContain(f.canary);
          expect(`${text.title} ${text.body}`).not.toContain(f.objectId);
          if (f.unitId) {
            expect(`${text.title} ${text.body}`).not.toContain(f.unitId);
          }
        }
      }),
      { numRuns: 500 },
    );
  });

  it('refuses an object id that is not a UUID (it goes into the link)', () => {
    expect(() =>
      notificationText({
        kind: 'referral_received',
        objectType: 'referral',
        objectId: '../../etc/passwd',
        unitId: null,
      }),
    ).toThrow();
  });

  it('marks acute referrals and field requests critical, urgent referrals high', () => {
    expect(severityOf({ kind: 'referral_received', urgency: 'acute' })).toBe('critical');
    expect(severityOf({ kind: 'referral_received', urgency: 'urgent' })).toBe('high');
    expect(severityOf({ kind: 'referral_received', urgency: 'routine' })).toBe('normal');
    expect(severityOf({ kind: 'field_request_created', urgency: 'routine' })).toBe('critical');
    expect(severityOf({ kind: 'field_request_status_changed', change: 'cancelled' })).toBe('high');
  });
});
