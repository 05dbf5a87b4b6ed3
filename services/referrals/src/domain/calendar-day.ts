import { CommonProblems, ProblemError } from '@samverkan/shared';

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

/**
 * A period's bound from the query string: a calendar day YYYY-MM-DD that exists (2025-02-30 does
 * not), null when not given, or a 400 naming the field.
 */
export function calendarDay(value: string | undefined, field: 'from' | 'to'): string | null {
  if (value === undefined) {
    return null;
  }
  const m = DAY.exec(value);
  const date = m ? new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))) : null;
  if (!m || !date || date.toISOString().slice(0, 10) !== value) {
    throw new ProblemError(CommonProblems.validation, `${field} must be a day YYYY-MM-DD`, {
      errors: [{ field: `querystring.${field}`, message: 'is not a calendar day' }],
    });
  }
  return value;
}
