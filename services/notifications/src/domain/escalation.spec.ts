import { escalatesToCoordinator, onCallTargets } from './escalation';

describe('escalation rules', () => {
  it('go on to the coordinator for trafficking categories and every field request', () => {
    expect(escalatesToCoordinator({ objectType: 'referral', category: 'trafficking_sexual' })).toBe(
      true,
    );
    expect(escalatesToCoordinator({ objectType: 'referral', category: 'buyer_support' })).toBe(
      false,
    );
    expect(escalatesToCoordinator({ objectType: 'field_request', category: null })).toBe(true);
  });

  it("alert each unit's on-call unit, or the unit itself when it has none", () => {
    const onCall: Record<string, string | null> = { a: 'jour', b: null, c: 'jour' };
    expect(onCallTargets(['a', 'b', 'c'], (id) => onCall[id])).toEqual(['jour', 'b']);
  });
});
