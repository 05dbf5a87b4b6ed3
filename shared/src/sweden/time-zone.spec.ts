import { isIanaTimeZone } from './time-zone';

describe('isIanaTimeZone', () => {
  it('accepts canonical zones', () => {
    for (const tz of [
      'Europe/Stockholm',
      'Europe/Helsinki',
      'America/New_York',
      'Asia/Tokyo',
      'America/Argentina/Buenos_Aires',
    ]) {
      expect(isIanaTimeZone(tz)).toBe(true);
    }
  });

  it('accepts UTC and other links', () => {
    expect(isIanaTimeZone('UTC')).toBe(true);
    expect(isIanaTimeZone('Etc/UTC')).toBe(true);
  });

  it('rejects unknown names, offsets and malformed input', () => {
    for (const tz of [
      'Europe/Stockholmm',
      'Mars/Olympus_Mons',
      'Stockholm',
      '+01:00',
      '',
      ' Europe/Stockholm',
      'Europe/Stockholm ',
      'europe/stockholm',
    ]) {
      expect(isIanaTimeZone(tz)).toBe(false);
    }
  });
});
