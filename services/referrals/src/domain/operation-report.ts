import { CELL_KEY_THRESHOLD, type PerturbedCount } from './cell-key';
import { FIELD_REQUEST_STATUSES, type FieldRequestStatus, type TallyInput } from './field-requests';
import { peopleLabel, protectedCount, type TallyContribution } from './tally-cell-key';

/**
 * An operation's report (docs/architecture.md#operation-weeks) for the county board: tallies summed, field requests by
 * outcome, response times, per-unit participation. Counts of people (the tallies) go through the
 * same disclosure control as the referral statistics, the cell key method (tally-cell-key.ts):
 * each is within ±2 of the truth, `<5` under 5, and the same people always get the same
 * perturbation, so this report and the county mapping report cannot be differenced. Counts and
 * times of the agencies' own work (requests, shifts, response minutes) are about staff, not about
 * the people met, and are shown as they are.
 */

export interface ReportInput {
  operation: {
    id: string;
    name: string;
    status: string;
    startsAt: Date;
    endsAt: Date;
    organiserUnitId: string;
    coordinatorUnitId: string | null;
    municipalityCodes: string[];
  };
  participants: Array<{ unitId: string; status: string }>;
  shifts: Array<{ unitId: string; userId: string }>;
  fieldRequests: Array<{
    status: FieldRequestStatus;
    createdAt: Date;
    claimedAt: Date | null;
    onSiteAt: Date | null;
    escalatedAt: Date | null;
    claimedByUnitId: string | null;
  }>;
  tallies: Array<TallyInput & { fieldRequestId: string }>;
}

export interface Durations {
  count: number;
  medianMinutes: number | null;
  p90Minutes: number | null;
}

/** The p-th percentile (0–1) by linear interpolation between closest ranks (percentile_cont). */
export function percentile(values: readonly number[], p: number): number | null {
  if (values.length === 0) {
    return null;
  }
  const sorted = [...values].sort((a, b) => a - b);
  const rank = p * (sorted.length - 1);
  const lower = Math.floor(rank);
  const upper = Math.ceil(rank);
  const lo = sorted[lower]!;
  const hi = sorted[upper]!;
  return lo + (hi - lo) * (rank - lower);
}

const round1 = (v: number | null) => (v === null ? null : Math.round(v * 10) / 10);

export function durations(minutes: readonly number[]): Durations {
  return {
    count: minutes.length,
    medianMinutes: round1(percentile(minutes, 0.5)),
    p90Minutes: round1(percentile(minutes, 0.9)),
  };
}

const minutesBetween = (from: Date, to: Date) => (to.getTime() - from.getTime()) / 60_000;

type Tally = ReportInput['tallies'][number];
type TallyCount =
  | 'supportOffered'
  | 'supportAccepted'
  | 'protectedHousingArranged'
  | 'buyersMet'
  | 'buyersOfferedClinic';

/** The contributions of every tally to one of its single counts. */
export function countContributions(
  tallies: readonly Tally[],
  key: TallyCount,
): TallyContribution[] {
  return tallies.map((t) => ({ fieldRequestId: t.fieldRequestId, label: key, count: t[key] }));
}

/** The contributions of every tally's people met, optionally only those of one group value. */
export function peopleContributions(
  tallies: readonly Tally[],
  where?: { dimension: 'gender' | 'ageBand' | 'citizenshipGroup'; value: string },
): TallyContribution[] {
  return tallies.flatMap((t) =>
    t.peopleMet
      .filter((cell) => !where || cell[where.dimension] === where.value)
      .map((cell) => ({
        fieldRequestId: t.fieldRequestId,
        label: peopleLabel(cell),
        count: cell.count,
      })),
  );
}

/** People met by one dimension, each value a protected cell. */
export function peopleBreakdown(
  secret: string,
  tallies: readonly Tally[],
  dimension: 'gender' | 'ageBand' | 'citizenshipGroup',
): Array<{ key: string; count: PerturbedCount }> {
  const values = [...new Set(tallies.flatMap((t) => t.peopleMet.map((c) => c[dimension])))].sort();
  return values.map((value) => ({
    key: value,
    count: protectedCount(secret, peopleContributions(tallies, { dimension, value })),
  }));
}

/** The tallies' counts of people, each through the cell key method. */
export function encounterCounts(secret: string, tallies: readonly Tally[]) {
  const referralIds = [...new Set(tallies.flatMap((t) => t.referralIds))];
  const count = (key: TallyCount) => protectedCount(secret, countContributions(tallies, key));
  return {
    talliesRecorded: tallies.length,
    peopleMet: protectedCount(secret, peopleContributions(tallies)),
    supportOffered: count('supportOffered'),
    supportAccepted: count('supportAccepted'),
    protectedHousingArranged: count('protectedHousingArranged'),
    buyersMet: count('buyersMet'),
    buyersOfferedClinic: count('buyersOfferedClinic'),
    referralsCreated: protectedCount(secret, [], referralIds),
    byGender: peopleBreakdown(secret, tallies, 'gender'),
    byAgeBand: peopleBreakdown(secret, tallies, 'ageBand'),
    byCitizenshipGroup: peopleBreakdown(secret, tallies, 'citizenshipGroup'),
  };
}

/** `secret`: the deployment's statistics secret (statistics.service.ts `statisticsSecret`). */
export function operationReport(input: ReportInput, now: Date, secret: string) {
  const { operation: op, fieldRequests: requests, tallies } = input;
  const byStatus = Object.fromEntries(
    FIELD_REQUEST_STATUSES.map((s) => [s, requests.filter((r) => r.status === s).length]),
  ) as Record<FieldRequestStatus, number>;

  const units = [
    { unitId: op.organiserUnitId, role: 'organiser' as const, status: 'organiser' },
    ...(op.coordinatorUnitId && op.coordinatorUnitId !== op.organiserUnitId
      ? [{ unitId: op.coordinatorUnitId, role: 'coordinator' as const, status: 'coordinator' }]
      : []),
    ...input.participants.map((p) => ({
      unitId: p.unitId,
      role: 'participant' as const,
      status: p.status,
    })),
  ];

  return {
    operationId: op.id,
    name: op.name,
    status: op.status,
    startsAt: op.startsAt.toISOString(),
    endsAt: op.endsAt.toISOString(),
    municipalityCodes: op.municipalityCodes,
    generatedAt: now.toISOString(),
    smallCellThreshold: CELL_KEY_THRESHOLD,
    disclosureControl: 'cell_key' as const,
    fieldRequests: {
      total: requests.length,
      byStatus,
      escalated: requests.filter((r) => r.escalatedAt !== null).length,
      escalatedUnclaimed: requests.filter((r) => r.escalatedAt !== null && r.claimedAt === null)
        .length,
    },
    responseTimes: {
      requestToClaim: durations(
        requests.filter((r) => r.claimedAt).map((r) => minutesBetween(r.createdAt, r.claimedAt!)),
      ),
      claimToOnSite: durations(
        requests
          .filter((r) => r.claimedAt && r.onSiteAt)
          .map((r) => minutesBetween(r.claimedAt!, r.onSiteAt!)),
      ),
    },
    encounters: encounterCounts(secret, tallies),
    participation: units.map((u) => ({
      unitId: u.unitId,
      role: u.role,
      status: u.status,
      shifts: input.shifts.filter((s) => s.unitId === u.unitId).length,
      staffOnShifts: new Set(input.shifts.filter((s) => s.unitId === u.unitId).map((s) => s.userId))
        .size,
      fieldRequestsClaimed: requests.filter((r) => r.claimedByUnitId === u.unitId).length,
      fieldRequestsCompleted: requests.filter(
        (r) => r.claimedByUnitId === u.unitId && r.status === 'completed',
      ).length,
    })),
  };
}

export type OperationReport = ReturnType<typeof operationReport>;

/** A cell as CSV: quoted when needed, and never read as a formula by a spreadsheet. */
export function csvCell(value: unknown): string {
  let text = value === null || value === undefined ? '' : String(value);
  if (/^[=+\-@\t\r]/.test(text)) {
    text = `'${text}`;
  }
  return /[",\r\n']/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** The report as `section,key,value` rows (RFC 4180, CRLF), for a spreadsheet. */
export function operationReportCsv(report: OperationReport): string {
  const rows: Array<[string, string, unknown]> = [
    ['operation', 'id', report.operationId],
    ['operation', 'name', report.name],
    ['operation', 'status', report.status],
    ['operation', 'startsAt', report.startsAt],
    ['operation', 'endsAt', report.endsAt],
    ['operation', 'municipalityCodes', report.municipalityCodes.join(' ')],
    ['operation', 'generatedAt', report.generatedAt],
    ['field_requests', 'total', report.fieldRequests.total],
    ...Object.entries(report.fieldRequests.byStatus).map(
      ([k, v]) => ['field_requests', k, v] as [string, string, unknown],
    ),
    ['field_requests', 'escalated', report.fieldRequests.escalated],
    ['field_requests', 'escalatedUnclaimed', report.fieldRequests.escalatedUnclaimed],
  ];
  for (const [name, d] of Object.entries(report.responseTimes)) {
    rows.push(['response_times', `${name}.count`, d.count]);
    rows.push(['response_times', `${name}.medianMinutes`, d.medianMinutes]);
    rows.push(['response_times', `${name}.p90Minutes`, d.p90Minutes]);
  }
  const e = report.encounters;
  for (const key of [
    'talliesRecorded',
    'peopleMet',
    'supportOffered',
    'supportAccepted',
    'protectedHousingArranged',
    'buyersMet',
    'buyersOfferedClinic',
    'referralsCreated',
  ] as const) {
    rows.push(['encounters', key, e[key]]);
  }
  for (const [section, list] of [
    ['people_by_gender', e.byGender],
    ['people_by_age_band', e.byAgeBand],
    ['people_by_citizenship_group', e.byCitizenshipGroup],
  ] as const) {
    for (const r of list) {
      rows.push([section, r.key, r.count]);
    }
  }
  for (const u of report.participation) {
    rows.push([`unit:${u.unitId}`, 'role', u.role]);
    rows.push([`unit:${u.unitId}`, 'status', u.status]);
    rows.push([`unit:${u.unitId}`, 'shifts', u.shifts]);
    rows.push([`unit:${u.unitId}`, 'staffOnShifts', u.staffOnShifts]);
    rows.push([`unit:${u.unitId}`, 'fieldRequestsClaimed', u.fieldRequestsClaimed]);
    rows.push([`unit:${u.unitId}`, 'fieldRequestsCompleted', u.fieldRequestsCompleted]);
  }
  return ['section,key,value', ...rows.map((r) => r.map(csvCell).join(','))].join('\r\n') + '\r\n';
}
