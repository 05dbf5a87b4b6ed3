import {
  CommonProblems,
  countyName,
  countyOfMunicipality,
  hasRole,
  MUNICIPALITIES,
  ProblemError,
  type Principal,
} from '@samverkan/shared';
import {
  CELL_KEY_THRESHOLD,
  cellKeyOf,
  perturbCount,
  type PerturbedCount,
} from '../domain/cell-key';
import { durations, encounterCounts } from '../domain/operation-report';
import { EncounterTallyEntity, FieldRequestEntity, OperationEntity } from '../entities';
import { deny, type ReferralsContext } from '../services/context';
import {
  createStatisticsRepository,
  MAX_STATISTICS_ROWS,
  type StatisticsCell,
  type StatisticsDimension,
} from '../services/statistics.repository';
import { DISCLOSURE_CONTROL, statisticsSecret } from '../services/statistics.service';
import { RecordsProblems as R } from './records.errors';

const TIME_ZONE = 'Europe/Stockholm';
const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

export const MAPPING_DIMENSIONS = ['category', 'ageBand', 'gender', 'citizenshipGroup'] as const;
type Dimension = (typeof MAPPING_DIMENSIONS)[number];

export interface MappingReportQuery {
  county: string;
  from?: string;
  to?: string;
}

function day(value: string | undefined, field: 'from' | 'to'): string | null {
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

/** Today in Swedish time, YYYY-MM-DD. */
function swedishToday(now: Date): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: TIME_ZONE }).format(now);
}

const minutesBetween = (a: Date, b: Date) => (b.getTime() - a.getTime()) / 60_000;

/**
 * The county mapping report (docs/statistics.md): prevalence and demand per municipality of a
 * county over a period, as the county boards' mapping reports need them — referrals by category,
 * age band, gender and citizenship group per municipality, with response times; the operation
 * weeks in the county with their encounters, buyers met and offered a buyers' clinic, and
 * response times. Every count of referrals or people goes through the cell key method, with the
 * same record keys as `GET /v1/statistics/referrals` and the operation report, so no report can be
 * subtracted from another answer into a small cell.
 */
export function createMappingReportService(ctx: ReferralsContext) {
  const secret = statisticsSecret(ctx);
  const statistics = createStatisticsRepository(ctx.dataSource);

  return {
    async report(principal: Principal, query: MappingReportQuery, format: string) {
      const target = {
        action: 'statistics.mapping_report_read',
        objectType: 'statistics',
        objectId: 'mapping-report',
        detail: { county: query.county, from: query.from ?? null, to: query.to ?? null, format },
      };
      if (!hasRole(principal, 'analyst', 'coordinator')) {
        await deny(
          ctx,
          principal,
          target,
          'The county mapping report is for users with the analyst or coordinator role',
        );
      }
      const name = countyName(query.county);
      if (!name) {
        throw new ProblemError(R.countyUnknown, `${query.county} is not a Swedish county code`, {
          errors: [{ field: 'querystring.county', message: 'is not a county code' }],
        });
      }
      const now = new Date();
      const to = day(query.to, 'to') ?? swedishToday(now);
      const from = day(query.from, 'from') ?? `${to.slice(0, 4)}-01-01`;
      if (from > to) {
        throw new ProblemError(CommonProblems.validation, 'from must not be after to', {
          errors: [{ field: 'querystring.from', message: 'is after to' }],
        });
      }
      const municipalities = MUNICIPALITIES.filter(
        (m) => countyOfMunicipality(m.code) === query.county,
      );
      const codes = municipalities.map((m) => m.code);
      // The statistics' cells (services/statistics.repository.ts: whole months from the rollup),
      // per municipality and per municipality and value of each dimension: the same sets of
      // referrals as the statistics endpoint's cells, hence the same published values.
      const cellsBy = (groupBy: StatisticsDimension[]) =>
        statistics.cells({
          groupBy,
          from,
          to,
          municipalities: codes,
          secret,
          limit: MAX_STATISTICS_ROWS,
        });
      const totals = await cellsBy(['municipality']);
      const byDimension = new Map<Dimension, StatisticsCell[]>();
      for (const d of MAPPING_DIMENSIONS) {
        byDimension.set(d, await cellsBy(['municipality', d]));
      }

      const publish = (cell: StatisticsCell | undefined): PerturbedCount =>
        cell ? perturbCount(cell.n, cellKeyOf(cell.keysum)) : `<${CELL_KEY_THRESHOLD}`;
      const byMunicipality = municipalities.map((m) => {
        const total = totals.find((c) => c.key[0] === m.code);
        const referrals = publish(total);
        const median =
          total &&
          total.medianMinutes !== null &&
          typeof referrals === 'number' &&
          total.acknowledged >= CELL_KEY_THRESHOLD
            ? Math.max(0, Math.round(total.medianMinutes * 10) / 10)
            : null;
        const breakdown = (d: Dimension) =>
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
      });

      const bounds = `(($1::date)::timestamp AT TIME ZONE '${TIME_ZONE}')`;
      const upper = `((($2::date) + 1)::timestamp AT TIME ZONE '${TIME_ZONE}')`;

      // Operation weeks in the county that overlap the period.
      const operations = await ctx.dataSource
        .getRepository(OperationEntity)
        .createQueryBuilder('o')
        .where('o.municipality_codes && :codes', { codes })
        .andWhere(`o.starts_at < ${upper.replace('$2', ':to')}`, { to })
        .andWhere(`o.ends_at >= ${bounds.replace('$1', ':from')}`, { from })
        .andWhere("o.status <> 'cancelled'")
        .orderBy('o.starts_at', 'ASC')
        .addOrderBy('o.id', 'ASC')
        .getMany();
      const ids = operations.map((o) => o.id);
      const [requests, tallies] = ids.length
        ? await Promise.all([
            ctx.dataSource
              .getRepository(FieldRequestEntity)
              .createQueryBuilder('f')
              .where('f.operation_id IN (:...ids)', { ids })
              .getMany(),
            ctx.dataSource
              .getRepository(EncounterTallyEntity)
              .createQueryBuilder('t')
              .where('t.operation_id IN (:...ids)', { ids })
              .getMany(),
          ])
        : [[], []];
      const responseTimes = (list: FieldRequestEntity[]) => ({
        requestToClaim: durations(
          list.filter((r) => r.claimedAt).map((r) => minutesBetween(r.createdAt, r.claimedAt!)),
        ),
        claimToOnSite: durations(
          list
            .filter((r) => r.claimedAt && r.onSiteAt)
            .map((r) => minutesBetween(r.claimedAt!, r.onSiteAt!)),
        ),
      });
      const operationRows = operations.map((o) => {
        const mine = requests.filter((r) => r.operationId === o.id);
        return {
          operationId: o.id,
          name: o.name,
          status: o.status,
          startsAt: o.startsAt.toISOString(),
          endsAt: o.endsAt.toISOString(),
          municipalityCodes: o.municipalityCodes,
          fieldRequests: mine.length,
          responseTimes: responseTimes(mine),
          encounters: encounterCounts(
            secret,
            tallies.filter((t) => t.operationId === o.id),
          ),
        };
      });

      const report = {
        county: { code: query.county, name },
        from,
        to,
        generatedAt: now.toISOString(),
        disclosureControl: DISCLOSURE_CONTROL,
        municipalities: byMunicipality,
        operations: operationRows,
        operationTotals: {
          operations: operations.length,
          fieldRequests: requests.length,
          responseTimes: responseTimes(requests),
          encounters: encounterCounts(secret, tallies),
        },
      };
      await ctx.audit.append({
        ...target,
        actor: principal,
        outcome: 'allowed',
        detail: { ...target.detail, from, to, operations: operations.length },
      });
      return report;
    },
  };
}

export type MappingReport = Awaited<
  ReturnType<ReturnType<typeof createMappingReportService>['report']>
>;
