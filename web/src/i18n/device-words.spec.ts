/**
 * In Swedish "enhet" is the organisation's unit (Frideborg, Socialjouren); this browser, as a
 * device, is "den här webbläsaren". A page telling someone their browser lacks keys must not
 * say "den här enheten", which reads as their unit.
 */
import { describe, expect, it } from '@jest/globals';
import { sv } from './sv';

describe('the words for this browser and the unit', () => {
  it('no Swedish text calls this browser "den här enheten"', () => {
    const confusing = Object.entries(sv).filter(([, text]) =>
      /den här enheten|en godkänd enhet/i.test(text),
    );
    expect(confusing).toEqual([]);
    expect(sv['crypto.noKeysTitle']).toBe('Den här webbläsaren har inte enhetens nycklar ännu');
  });
});
