import { describe, expect, it } from '@jest/globals';
import { en } from '../i18n/en';
import { sv } from '../i18n/sv';
import { doneMessage, type ReferralActionKind } from './referral-done';

const kinds: ReferralActionKind[] = [
  'acknowledge',
  'accept',
  'decline',
  'withdraw',
  'handover',
  'confirm-handover',
  'close',
];

describe("a referral's action, once done", () => {
  it('says what happened in a sentence of its own, not "Klart: <the button>"', () => {
    expect(sv[doneMessage('acknowledge')]).toMatch(/^Remissen är kvitterad\./);
    expect(sv[doneMessage('accept')]).toMatch(/^Ni har accepterat remissen\./);
    for (const kind of kinds) {
      const text = sv[doneMessage(kind)];
      expect(text).not.toMatch(/Klart|\{/);
      expect(text).toMatch(/^[A-ZÅÄÖ].*\.$/);
      expect(en[doneMessage(kind)]).toMatch(/^[A-Z].*\.$/);
    }
    expect(new Set(kinds.map(doneMessage)).size).toBe(kinds.length);
  });
});
