import {
  countyName,
  countyOfMunicipality,
  MUNICIPALITIES,
  ProblemError,
  type Principal,
} from '@samverkan/shared';
import { encounterCounts } from '../domain/operation-report';
import { pipelineOf, type ReferralsContext } from '../services/context';
import { MAX_STATISTICS_ROWS } from '../services/statistics.repository';
import { DISCLOSURE_CONTROL, statisticsSecret } from '../services/statistics.service';
import {
  MAPPING_DIMENSIONS,
  municipalityRow,
  reportPeriod,
  requireMappingReader,
  responseTimes,
  type MappingReportQuery,
} from './domain/mapping-report';
import { createMappingReportRepository } from './mapping-report.repository';
import { RecordsProblems as R } from './records.errors';

export { MAPPING_DIMENSIONS, type MappingReportQuery } from './domain/mapping-report';

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
  const pipeline = pipelineOf(ctx);
  const repository = createMappingReportRepository(ctx.dataSource);

  return {
    async report(principal: Principal, query: MappingReportQuery, format: string) {
      const target = {
        action: 'statistics.mapping_report_read',
        objectType: 'statistics',
        objectId: 'mapping-report',
        detail: { county: query.county, from: query.from ?? null, to: query.to ?? null, format },
      };
      await pipeline.authorize(principal, target, () => requireMappingReader(principal));
      const name = countyName(query.county);
      if (!name) {
        throw new ProblemError(R.countyUnknown, `${query.county} is not a Swedish county code`, {
          errors: [{ field: 'querystring.county', message: 'is not a county code' }],
        });
      }
      const now = new Date();
      const { from, to } = reportPeriod(query, now);
      const municipalities = MUNICIPALITIES.filter(
        (m) => countyOfMunicipality(m.code) === query.county,
      );
      const codes = municipalities.map((m) => m.code);
      // The statistics' cells (whole months from the rollup) per municipality and per
      // municipality and value of each dimension: the same sets of referrals as the statistics
      // endpoint's cells, hence the same published values — all groupings in one statement.
      const [totals, ...perDimension] = await repository.cellsBySets({
        sets: [['municipality'], ...MAPPING_DIMENSIONS.map((d) => ['municipality' as const, d])],
        from,
        to,
        municipalities: codes,
        secret,
        limit: MAX_STATISTICS_ROWS,
      });
      const byDimension = new Map(MAPPING_DIMENSIONS.map((d, i) => [d, perDimension[i]!]));
      const { operations, requests, tallies } = await repository.operationsInCounty(
        codes,
        from,
        to,
      );
      const report = {
        county: { code: query.county, name },
        from,
        to,
        generatedAt: now.toISOString(),
        disclosureControl: DISCLOSURE_CONTROL,
        municipalities: municipalities.map((m) => municipalityRow(m, totals!, byDimension)),
        operations: operations.map((o) => {
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
        }),
        operationTotals: {
          operations: operations.length,
          fieldRequests: requests.length,
          responseTimes: responseTimes(requests),
          encounters: encounterCounts(secret, tallies),
        },
      };
      await pipelineOf(ctx).recordRead(principal, {
        ...target,
        detail: { ...target.detail, from, to, operations: operations.length },
      });
      return report;
    },
  };
}

export type MappingReport = Awaited<
  ReturnType<ReturnType<typeof createMappingReportService>['report']>
>;
