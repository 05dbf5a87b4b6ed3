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
import {
  EncounterTallyEntity,
  FieldRequestEntity,
  OperationEntity,
  ReferralEntity,
} from '../entities';
import { deny, type ReferralsContext } from '../services/context';
import { DISCLOSURE_CONTROL, recordKeySql, statisticsSecret } from '../services/statistics.service';
import { RecordsProblems as R } from './records.errors';

const TIME_ZONE = 'Europe/Stockholm';
const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

export const MAPPING_DIMENSIONS = ['category', 'ageBand', 'gender', 'citizenshipGroup'] as const;
type Dimension = (typeof MAPPING_DIMENSIONS)[number];
const COLUMN: Record<Dimension, string> = {
  category: 'category',
  ageBand: 'age_band',
  gender: 'gender',
  citizenshipGroup: 'citizenship_group',
};

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
  const tableOf = (e: Parameters<typeof ctx.dataSource.getRepository>[0]) =>
    ctx.dataSource.getRepository(e).metadata.tablePath;

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
      const bounds = `(($1::date)::timestamp AT TIME ZONE '${TIME_ZONE}')`;
      const upper = `((($2::date) + 1)::timestamp AT TIME ZONE '${TIME_ZONE}')`;

      // One pass over the period's referrals: per municipality, and per municipality and value
      // of each dimension (GROUPING SETS), each cell with the sum of its record keys.
      const sets = MAPPING_DIMENSIONS.map((d) => `(r.municipality_code, r.${COLUMN[d]})`).join(
        ', ',
      );
      const rows = (await ctx.dataSource.query(
        `SELECT r.municipality_code::text AS municipality,
                ${MAPPING_DIMENSIONS.map((d) => `r.${COLUMN[d]} AS "${d}", GROUPING(r.${COLUMN[d]}) AS "g_${d}"`).join(', ')},
                count(*)::int AS n,
                sum(${recordKeySql('r', '$4')})::text AS keysum,
                count(r.acknowledged_at)::int AS acknowledged,
                percentile_cont(0.5) WITHIN GROUP (
                  ORDER BY (extract(epoch FROM r.acknowledged_at - r.created_at) / 60)::float8
                ) AS median
           FROM ${tableOf(ReferralEntity)} r
          WHERE r.created_at >= ${bounds} AND r.created_at < ${upper}
            AND r.municipality_code = ANY($3)
          GROUP BY GROUPING SETS ((r.municipality_code), ${sets})`,
        [from, to, codes, secret],
      )) as Array<Record<string, unknown>>;

      const publish = (row: Record<string, unknown> | undefined): PerturbedCount =>
        row
          ? perturbCount(Number(row.n), cellKeyOf(BigInt(String(row.keysum))))
          : `<${CELL_KEY_THRESHOLD}`;
      const isTotal = (row: Record<string, unknown>) =>
        MAPPING_DIMENSIONS.every((d) => Number(row[`g_${d}`]) === 1);
      const byMunicipality = municipalities.map((m) => {
        const mine = rows.filter((r) => r.municipality === m.code);
        const total = mine.find(isTotal);
        const referrals = publish(total);
        const median =
          total &&
          total.median !== null &&
          typeof referrals === 'number' &&
          Number(total.acknowledged) >= CELL_KEY_THRESHOLD
            ? Math.max(0, Math.round(Number(total.median) * 10) / 10)
            : null;
        const breakdown = (d: Dimension) =>
          mine
            .filter((r) => Number(r[`g_${d}`]) === 0)
            .map((r) => ({ key: String(r[d]), count: publish(r) }))
            .sort((a, b) => a.key.localeCompare(b.key));
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
