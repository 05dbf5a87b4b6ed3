import { CommonProblems, hasRole, ProblemError, type Principal } from '@samverkan/shared';
import {
  CELL_KEY_THRESHOLD,
  cellKeyOf,
  perturbCount,
  type PerturbedCount,
} from '../../domain/cell-key';
import { calendarDay } from '../../domain/calendar-day';
import { durations } from '../../domain/operation-report';
import type { StatisticsCell } from '../../services/statistics.repository';

const TIME_ZONE = 'Europe/Stockholm';

export const MAPPING_DIMENSIONS = ['category', 'ageBand', 'gender', 'citizenshipGroup'] as const;
export type MappingDimension = (typeof MAPPING_DIMENSIONS)[number];

export interface MappingReportQuery {
  county: string;
  from?: string;
  to?: string;
}

/** The county mapping report is for analysts and coordinators (403 otherwise). */
export function requireMappingReader(principal: Principal): void {
  if (!hasRole(principal, 'analyst', 'coordinator')) {
    throw new ProblemError(
      CommonProblems.forbidden,
      'The county mapping report is for users with the analyst or coordinator role',
    );
  }
}

/** Today in Swedish time, YYYY-MM-DD. */
function swedishToday(now: Date): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: TIME_ZONE }).format(now);
}

/** The report's Swedish days: `to` defaults to today, `from` to the first of `to`'s year. */
export function reportPeriod(query: MappingReportQuery, now: Date): { from: string; to: string } {
  const to = calendarDay(query.to, 'to') ?? swedishToday(now);
  const from = calendarDay(query.from, 'from') ?? `${to.slice(0, 4)}-01-01`;
  if (from > to) {
    throw new ProblemError(CommonProblems.validation, 'from must not be after to', {
      errors: [{ field: 'querystring.from', message: 'is after to' }],
    });
  }
  return { from, to };
}

/** A count as published: perturbed by the cell key method, or below the threshold. */
export const publish = (cell: StatisticsCell | undefined): PerturbedCount =>
  cell ? perturbCount(cell.n, cellKeyOf(cell.keysum)) : `<${CELL_KEY_THRESHOLD}`;

/** One municipality's row from the statistics' cells (totals, and one set per dimension). */
export function municipalityRow(
  m: { code: string; name: string },
  totals: StatisticsCell[],
  byDimension: ReadonlyMap<MappingDimension, StatisticsCell[]>,
) {
  const total = totals.find((c) => c.key[0] === m.code);
  const referrals = publish(total);
  const median =
    total &&
    total.medianMinutes !== null &&
    typeof referrals === 'number' &&
    total.acknowledged >= CELL_KEY_THRESHOLD
      ? Math.max(0, Math.round(total.medianMinutes * 10) / 10)
      : null;
  const breakdown = (d: MappingDimension) =>
    (byDimension.get(d) ?? [])
      .filter((c) => c.key[0] === m.code)
      .map((c) => ({ key: c.key[1]!, count: publish(c) }))
      .sort((x, y) => x.key.localeCompare(y.key));
  return {
    code: m.code,
    name: m.name,
    referrals,
    medianMinutesToAcknowledge: median,
    byCategory: breakdown('category'),
    byAgeBand: breakdown('ageBand'),
    byGender: breakdown('gender'),
    byCitizenshipGroup: breakdown('citizenshipGroup'),
  };
}

const minutesBetween = (a: Date, b: Date) => (b.getTime() - a.getTime()) / 60_000;

/** Field requests' response times: request → claim, claim → on site. */
export function responseTimes(
  list: ReadonlyArray<{ createdAt: Date; claimedAt: Date | null; onSiteAt: Date | null }>,
) {
  return {
    requestToClaim: durations(
      list.filter((r) => r.claimedAt).map((r) => minutesBetween(r.createdAt, r.claimedAt!)),
    ),
    claimToOnSite: durations(
      list
        .filter((r) => r.claimedAt && r.onSiteAt)
        .map((r) => minutesBetween(r.claimedAt!, r.onSiteAt!)),
    ),
  };
}
