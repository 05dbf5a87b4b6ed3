/**
 * Times as people in Sweden read them: always in Europe/Stockholm, whatever the device's own
 * time zone, in the chosen language.
 */
import type { Locale, Translate } from './i18n';

export const TIME_ZONE = 'Europe/Stockholm';

const intlLocale: Record<Locale, string> = { sv: 'sv-SE', en: 'en-GB' };

export function formatDateTime(locale: Locale, iso: string | null | undefined): string {
  if (!iso) {
    return '';
  }
  return new Intl.DateTimeFormat(intlLocale[locale], {
    timeZone: TIME_ZONE,
    dateStyle: 'medium',
    timeStyle: 'short',
  }).format(new Date(iso));
}

export function formatDate(locale: Locale, iso: string): string {
  return new Intl.DateTimeFormat(intlLocale[locale], {
    timeZone: TIME_ZONE,
    dateStyle: 'medium',
  }).format(new Date(iso));
}

/** A duration in words: "12 min", "3 h 5 min", "2 d 4 h". */
export function formatDuration(t: Translate, ms: number): string {
  const minutes = Math.max(0, Math.round(Math.abs(ms) / 60_000));
  if (minutes < 60) {
    return t('duration.minutes', { n: minutes });
  }
  const hours = Math.floor(minutes / 60);
  if (hours < 48) {
    return t('duration.hours', { h: hours, m: minutes % 60 });
  }
  return t('duration.days', { d: Math.floor(hours / 24), h: hours % 24 });
}

/** "in 12 min" or "overdue by 3 min", against `now`. */
export function formatDeadline(t: Translate, iso: string, now: number): string {
  const left = new Date(iso).getTime() - now;
  return left >= 0
    ? t('deadline.in', { time: formatDuration(t, left) })
    : t('deadline.overdue', { time: formatDuration(t, left) });
}

/** Today's date (YYYY-MM-DD) in Stockholm. */
export function stockholmDate(date: Date): string {
  return new Intl.DateTimeFormat('sv-SE', { timeZone: TIME_ZONE }).format(date);
}
