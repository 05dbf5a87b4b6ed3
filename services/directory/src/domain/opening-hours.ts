import type { WeeklyOpening } from '../entities/unit.entity';

const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;

export interface OpeningHoursLike {
  open247: boolean;
  timeZone: string;
  weeklyHours: WeeklyOpening[];
}

/** Local weekday and HH:MM of `at` in the given IANA time zone. */
export function localTime(
  at: Date,
  timeZone: string,
): { day: (typeof WEEKDAYS)[number]; time: string } {
  const parts = new Intl.DateTimeFormat('en-GB', {
    timeZone,
    weekday: 'short',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(at);
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  return {
    day: get('weekday').toLowerCase().slice(0, 3) as (typeof WEEKDAYS)[number],
    time: `${get('hour')}:${get('minute')}`,
  };
}

function previousDay(day: (typeof WEEKDAYS)[number]): (typeof WEEKDAYS)[number] {
  return WEEKDAYS[(WEEKDAYS.indexOf(day) + 6) % 7]!;
}

/**
 * Whether a unit is open at `at`. A period whose closing time is not after its opening time runs
 * past midnight into the next day (`22:00`–`06:00`; `00:00`–`00:00` is the whole day).
 */
export function isOpenAt(hours: OpeningHoursLike, at: Date): boolean {
  if (hours.open247) {
    return true;
  }
  const { day, time } = localTime(at, hours.timeZone);
  const yesterday = previousDay(day);
  return hours.weeklyHours.some((h) => {
    if (h.closes > h.opens) {
      return h.day === day && time >= h.opens && time < h.closes;
    }
    return (h.day === day && time >= h.opens) || (h.day === yesterday && time < h.closes);
  });
}

/**
 * The same rule in SQL for search, evaluated in each unit's own time zone at the instant `$at`
 * (parameter placeholder given by the caller).
 */
export function openAtSql(alias: string, atParam: string): string {
  const lt = `(${atParam}::timestamptz AT TIME ZONE ${alias}.time_zone)`;
  const day = `lower(to_char(${lt}, 'Dy'))`;
  const prev = `lower(to_char(${lt} - interval '1 day', 'Dy'))`;
  const time = `to_char(${lt}, 'HH24:MI')`;
  return `(${alias}.open_247 OR EXISTS (
    SELECT 1 FROM jsonb_array_elements(${alias}.weekly_hours) h
     WHERE (h->>'closes' > h->>'opens' AND h->>'day' = ${day} AND ${time} >= h->>'opens' AND ${time} < h->>'closes')
        OR (h->>'closes' <= h->>'opens' AND ((h->>'day' = ${day} AND ${time} >= h->>'opens')
                                          OR (h->>'day' = ${prev} AND ${time} < h->>'closes')))))`;
}
