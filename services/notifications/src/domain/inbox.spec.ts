import { ProblemError } from '@samverkan/shared';
import { checkBulkTarget, decideInboxAction, type InboxState } from './inbox';

const now = new Date('2026-12-06T08:00:00Z');
const earlier = new Date('2026-12-06T07:00:00Z');
const fresh = (over: Partial<InboxState> = {}): InboxState => ({
  requiresAck: false,
  seenAt: null,
  readAt: null,
  acknowledgedAt: null,
  archivedAt: null,
  ...over,
});

describe('inbox actions', () => {
  it('reading marks seen and read now, and keeps earlier times', () => {
    expect(decideInboxAction(fresh(), 'read', now)).toEqual({
      state: fresh({ seenAt: now, readAt: now }),
      cancelEscalations: false,
    });
    const seen = decideInboxAction(fresh({ seenAt: earlier }), 'read', now);
    expect(seen.state).toMatchObject({ seenAt: earlier, readAt: now });
  });

  it('acknowledging a critical item stops its escalation; an ordinary one has none', () => {
    const critical = decideInboxAction(fresh({ requiresAck: true }), 'acknowledge', now);
    expect(critical.state).toMatchObject({ acknowledgedAt: now, readAt: now, seenAt: now });
    expect(critical.cancelEscalations).toBe(true);
    expect(decideInboxAction(fresh(), 'acknowledge', now).cancelEscalations).toBe(false);
    const again = decideInboxAction(
      fresh({ requiresAck: true, acknowledgedAt: earlier }),
      'acknowledge',
      now,
    );
    expect(again.state.acknowledgedAt).toBe(earlier);
  });

  it('a critical notification is acknowledged before it is archived', () => {
    let refusal: unknown;
    try {
      decideInboxAction(fresh({ requiresAck: true }), 'archive', now);
    } catch (err) {
      refusal = err;
    }
    expect(refusal).toBeInstanceOf(ProblemError);
    expect((refusal as ProblemError).statusCode).toBe(409);
    const archived = decideInboxAction(
      fresh({ requiresAck: true, acknowledgedAt: earlier }),
      'archive',
      now,
    );
    expect(archived.state).toMatchObject({ archivedAt: now, acknowledgedAt: earlier });
    expect(decideInboxAction(fresh(), 'archive', now).state.archivedAt).toBe(now);
  });

  it('a bulk mark names ids or all', () => {
    expect(() => checkBulkTarget({})).toThrow(ProblemError);
    expect(() => checkBulkTarget({ all: false })).toThrow(ProblemError);
    expect(() => checkBulkTarget({ ids: [] })).not.toThrow();
    expect(() => checkBulkTarget({ all: true })).not.toThrow();
  });
});
