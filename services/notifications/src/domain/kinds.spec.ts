import { CRITICAL_KINDS, effectiveChannels, NOTIFICATION_KINDS, preferenceRefusal } from './kinds';

describe('notification channels', () => {
  it('default to in-app and webhook', () => {
    expect(effectiveChannels('operation_invitation')).toEqual(['in_app', 'webhook']);
  });

  it('follow the user’s choice, in a stable order, dropping unknown channels', () => {
    expect(effectiveChannels('operation_invitation', ['webhook', 'sms'])).toEqual(['webhook']);
    expect(effectiveChannels('operation_invitation', [])).toEqual([]);
  });

  it('always keep in-app for critical kinds, whatever is stored', () => {
    for (const kind of CRITICAL_KINDS) {
      expect(effectiveChannels(kind, [])).toEqual(['in_app']);
      expect(preferenceRefusal(kind, ['webhook'])).toMatch(/cannot be turned off/);
      expect(preferenceRefusal(kind, ['in_app'])).toBeNull();
    }
    const ordinary = NOTIFICATION_KINDS.filter((k) => !CRITICAL_KINDS.has(k));
    for (const kind of ordinary) {
      expect(preferenceRefusal(kind, [])).toBeNull();
    }
  });
});
