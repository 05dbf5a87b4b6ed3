import { describe, expect, it } from '@jest/globals';
import { sv } from '../i18n/sv';
import { en } from '../i18n/en';
import { referralDateLabel } from './referral-date';

const r = { senderUnitId: 'police', recipientUnitId: 'coordinator', copyUnitIds: ['social'] };

describe("a referral's date, labelled for who looks at it", () => {
  it('the sender sees when it was sent, not "Inkom"', () => {
    const key = referralDateLabel(r, ['police']);
    expect(sv[key]).toBe('Skickades');
    expect(en[key]).toBe('Sent');
  });

  it('the recipient and a copy unit see when it came in', () => {
    expect(sv[referralDateLabel(r, ['coordinator'])]).toBe('Inkom');
    expect(sv[referralDateLabel(r, ['social'])]).toBe('Inkom');
    expect(sv[referralDateLabel(r, ['police', 'coordinator'])]).toBe('Inkom');
  });
});
