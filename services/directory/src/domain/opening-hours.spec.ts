import type { WeeklyOpening } from '../entities/unit.entity';
import { isOpenAt, localTime, type OpeningHoursLike } from './opening-hours';

const STOCKHOLM = 'Europe/Stockholm';
const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri'] as const;

function hours(
  weeklyHours: WeeklyOpening[],
  timeZone = STOCKHOLM,
  open247 = false,
): OpeningHoursLike {
  return { open247, timeZone, weeklyHours };
}

const office = hours(WEEKDAYS.map((day) => ({ day, opens: '08:00', closes: '17:00' })));
const at = (iso: string) => new Date(iso);

describe('localTime', () => {
  it('gives the weekday and HH:MM in the zone, with midnight as 00:00', () => {
    // Wednesday 15 January 2025, 00:00 in Stockholm (UTC+1)
    expect(localTime(at('2025-01-14T23:00:00Z'), STOCKHOLM)).toEqual({ day: 'wed', time: '00:00' });
    expect(localTime(at('2025-01-14T22:59:00Z'), STOCKHOLM)).toEqual({ day: 'tue', time: '23:59' });
    // summer: UTC+2
    expect(localTime(at('2025-07-16T06:30:00Z'), STOCKHOLM)).toEqual({ day: 'wed', time: '08:30' });
    expect(localTime(at('2025-07-16T06:30:00Z'), 'UTC')).toEqual({ day: 'wed', time: '06:30' });
  });
});

describe('isOpenAt', () => {
  it('is always open when open247, whatever the weekly hours say', () => {
    const always = hours([], STOCKHOLM, true);
    for (const iso of [
      '2025-01-15T03:00:00Z',
      '2025-03-30T01:30:00Z',
      '2025-07-19T23:59:00Z',
      '2025-10-26T01:30:00Z',
    ]) {
      expect(isOpenAt(always, at(iso))).toBe(true);
    }
  });

  it('is never open with no periods', () => {
    expect(isOpenAt(hours([]), at('2025-01-15T10:00:00Z'))).toBe(false);
  });

  it('follows office hours in local winter time (UTC+1), opening inclusive and closing exclusive', () => {
    // Wednesday 15 January 2025
    expect(isOpenAt(office, at('2025-01-15T06:59:00Z'))).toBe(false); // 07:59
    expect(isOpenAt(office, at('2025-01-15T07:00:00Z'))).toBe(true); // 08:00
    expect(isOpenAt(office, at('2025-01-15T15:59:00Z'))).toBe(true); // 16:59
    expect(isOpenAt(office, at('2025-01-15T16:00:00Z'))).toBe(false); // 17:00
    // Saturday 18 January, 10:00
    expect(isOpenAt(office, at('2025-01-18T09:00:00Z'))).toBe(false);
  });

  it('follows office hours in local summer time (UTC+2)', () => {
    // Wednesday 16 July 2025
    expect(isOpenAt(office, at('2025-07-16T05:59:00Z'))).toBe(false); // 07:59
    expect(isOpenAt(office, at('2025-07-16T06:00:00Z'))).toBe(true); // 08:00
    expect(isOpenAt(office, at('2025-07-16T14:59:00Z'))).toBe(true); // 16:59
    expect(isOpenAt(office, at('2025-07-16T15:00:00Z'))).toBe(false); // 17:00
  });

  it('keeps local opening times across the switch to summer time (30 March 2025)', () => {
    // Friday 28 March (UTC+1): 06:30Z is 07:30 local, closed
    expect(isOpenAt(office, at('2025-03-28T06:30:00Z'))).toBe(false);
    // Monday 31 March (UTC+2): the same 06:30Z is 08:30 local, open
    expect(isOpenAt(office, at('2025-03-31T06:30:00Z'))).toBe(true);
    // and 15:30Z is 16:30 on Friday but 17:30 on Monday
    expect(isOpenAt(office, at('2025-03-28T15:30:00Z'))).toBe(true);
    expect(isOpenAt(office, at('2025-03-31T15:30:00Z'))).toBe(false);
  });

  it('keeps local opening times across the switch back to winter time (26 October 2025)', () => {
    // Friday 24 October (UTC+2): 06:30Z is 08:30 local, open
    expect(isOpenAt(office, at('2025-10-24T06:30:00Z'))).toBe(true);
    // Monday 27 October (UTC+1): 06:30Z is 07:30 local, closed
    expect(isOpenAt(office, at('2025-10-27T06:30:00Z'))).toBe(false);
  });

  it('runs an overnight period (22:00–06:00) into the next morning', () => {
    const nights = hours([{ day: 'fri', opens: '22:00', closes: '06:00' }]);
    // Friday 17 January 2025 (UTC+1)
    expect(isOpenAt(nights, at('2025-01-17T20:59:00Z'))).toBe(false); // Fri 21:59
    expect(isOpenAt(nights, at('2025-01-17T21:00:00Z'))).toBe(true); // Fri 22:00
    expect(isOpenAt(nights, at('2025-01-17T23:30:00Z'))).toBe(true); // Sat 00:30
    expect(isOpenAt(nights, at('2025-01-18T04:59:00Z'))).toBe(true); // Sat 05:59
    expect(isOpenAt(nights, at('2025-01-18T05:00:00Z'))).toBe(false); // Sat 06:00
    expect(isOpenAt(nights, at('2025-01-18T22:00:00Z'))).toBe(false); // Sat 23:00: no Saturday night
    expect(isOpenAt(nights, at('2025-01-16T22:00:00Z'))).toBe(false); // Thu 23:00
    expect(isOpenAt(nights, at('2025-01-17T04:00:00Z'))).toBe(false); // Fri 05:00: Thursday had no night
  });

  it('runs an overnight period through the night the clocks go forward', () => {
    const saturdayNight = hours([{ day: 'sat', opens: '22:00', closes: '06:00' }]);
    // Sunday 30 March 2025 03:30 local (after 02:00 → 03:00) is 01:30Z
    expect(isOpenAt(saturdayNight, at('2025-03-30T01:30:00Z'))).toBe(true);
    // Sunday 06:00 local (UTC+2) is 04:00Z
    expect(isOpenAt(saturdayNight, at('2025-03-30T03:59:00Z'))).toBe(true);
    expect(isOpenAt(saturdayNight, at('2025-03-30T04:00:00Z'))).toBe(false);
  });

  it('treats 00:00–00:00 as the whole day, and only that day', () => {
    const wednesday = hours([{ day: 'wed', opens: '00:00', closes: '00:00' }]);
    expect(isOpenAt(wednesday, at('2025-01-14T22:59:00Z'))).toBe(false); // Tue 23:59
    expect(isOpenAt(wednesday, at('2025-01-14T23:00:00Z'))).toBe(true); // Wed 00:00
    expect(isOpenAt(wednesday, at('2025-01-15T11:00:00Z'))).toBe(true); // Wed 12:00
    expect(isOpenAt(wednesday, at('2025-01-15T22:59:00Z'))).toBe(true); // Wed 23:59
    expect(isOpenAt(wednesday, at('2025-01-15T23:00:00Z'))).toBe(false); // Thu 00:00
  });

  it('combines several periods on one day', () => {
    const split = hours([
      { day: 'mon', opens: '08:00', closes: '12:00' },
      { day: 'mon', opens: '13:00', closes: '16:00' },
    ]);
    // Monday 13 January 2025 (UTC+1)
    expect(isOpenAt(split, at('2025-01-13T10:00:00Z'))).toBe(true); // 11:00
    expect(isOpenAt(split, at('2025-01-13T11:30:00Z'))).toBe(false); // 12:30
    expect(isOpenAt(split, at('2025-01-13T12:00:00Z'))).toBe(true); // 13:00
  });

  it('reads the clock in the unit’s own zone', () => {
    const helsinkiOffice = { ...office, timeZone: 'Europe/Helsinki' };
    // 06:30Z on Wednesday 15 January is 07:30 in Stockholm but 08:30 in Helsinki
    expect(isOpenAt(office, at('2025-01-15T06:30:00Z'))).toBe(false);
    expect(isOpenAt(helsinkiOffice, at('2025-01-15T06:30:00Z'))).toBe(true);
  });
});
