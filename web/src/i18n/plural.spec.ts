import { describe, expect, it } from '@jest/globals';
import { en as enMessages } from './en';
import { sv as svMessages } from './sv';
import { translator } from './translate';

describe('messages with counts take the plural form the number needs', () => {
  const sv = translator('sv', svMessages);
  const en = translator('en', enMessages);

  it('a field request for one adult says "1 vuxen", not "1 vuxna"', () => {
    const persons = { adults: 1, children: 0, unknown: 0 };
    expect(sv('fieldRequest.personsValue', persons)).toBe('1 vuxen, 0 barn, 0 okänd ålder');
    expect(sv('fieldRequest.personsValue', { ...persons, adults: 2 })).toBe(
      '2 vuxna, 0 barn, 0 okänd ålder',
    );
    expect(en('fieldRequest.personsValue', { adults: 1, children: 1, unknown: 0 })).toBe(
      '1 adult, 1 child, 0 age unknown',
    );
  });

  it('routing and sealing name "1 enhet" and "2 enheter", never "enhet(er)"', () => {
    expect(sv('forward.send', { count: 1 })).toBe('Slussa till 1 enhet');
    expect(sv('forward.send', { count: 2 })).toBe('Slussa till 2 enheter');
    expect(en('forward.send', { count: 1 })).toBe('Route to 1 unit');
    expect(sv('fieldRequest.sealedFor', { count: 1 })).toBe('Krypterad för 1 enhet');
    expect(sv('fieldRequest.new.sent', { count: 2 })).toBe(
      'Förfrågan är skickad, krypterad för 2 enheter i beredskap.',
    );
    expect(sv('inbox.acuteWaiting', { count: 1 })).toBe('1 akut remiss väntar på kvittens');
    expect(sv('inbox.acuteWaiting', { count: 3 })).toBe('3 akuta remisser väntar på kvittens');
  });

  it('a message with no count given keeps its placeholder, as plain ones do', () => {
    expect(sv('forward.send')).toBe('Slussa till {count|# enhet|# enheter}');
  });
});

describe('a forwarded referral, told to its sender in words', () => {
  it('agrees in number with the units it went to', () => {
    const sv = translator('sv', svMessages);
    expect(sv('linked.forwardedCount', { count: 1 })).toBe(
      'Mottagaren slussade remissen vidare till 1 enhet. Bara mottagaren och den enheten kan öppna den nya remissen.',
    );
    expect(sv('linked.forwardedCount', { count: 2 })).toBe(
      'Mottagaren slussade remissen vidare till 2 enheter. Bara mottagaren och de enheterna kan öppna de nya remisserna.',
    );
  });
});
