/**
 * In Swedish "enhet" is the organisation's unit (Frideborg, Socialjouren); this browser, as a
 * device, is "den här webbläsaren". A page telling someone their browser lacks keys must not
 * say "den här enheten", which reads as their unit.
 */
import { describe, expect, it } from '@jest/globals';
import { sv } from './sv';
import { svAdmin } from './sv-admin';

describe('the words for this browser and the unit', () => {
  it('no Swedish text calls this browser "den här enheten"', () => {
    const confusing = Object.entries(sv).filter(([, text]) =>
      /den här enheten|en godkänd enhet/i.test(text),
    );
    expect(confusing).toEqual([]);
    expect(sv['crypto.noKeysTitle']).toBe('Den här webbläsaren har inte enhetens nycklar ännu');
  });

  it('a browser or phone being approved, revoked or listed is "webbläsare", never "enhet"', () => {
    // "Enheten är godkänd och har fått enhetens nycklar" read as the unit approving itself.
    const deviceAsUnit =
      /godkänn enheter|kollegors enheter|enheten är (godkänd|återkallad)|en enhet har återkallats|återkallade enheten|godkända enheter|den enhet som är registrerad|inga enheter väntar|webbläsaren som enhet|återkallad enhet\b/i;
    const confusing = Object.entries({ ...sv, ...svAdmin }).filter(([, text]) =>
      deviceAsUnit.test(text),
    );
    expect(confusing).toEqual([]);
    expect(sv['nav.devices']).toBe('Godkänn webbläsare');
  });
});
