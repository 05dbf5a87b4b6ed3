import { CommonProblems, hasRole, ProblemError, type Principal } from '@samverkan/shared';
import {
  CELL_KEY_THRESHOLD,
  cellKeyOf,
  MAX_DEVIATION,
  perturbCount,
  PERTURBATION_TABLE,
} from '../domain/cell-key';
import { calendarDay } from '../domain/calendar-day';
import { deny, pipelineOf, type ReferralsContext } from './context';
import {
  createStatisticsRepository,
  MAX_STATISTICS_ROWS,
  type StatisticsDimension,
} from './statistics.repository';

export {
  MAX_STATISTICS_ROWS,
  recordKeySql,
  STATISTICS_DIMENSIONS,
  type StatisticsDimension,
} from './statistics.repository';

export interface StatisticsQuery {
  from?: string;
  to?: string;
  groupBy?: StatisticsDimension[];
  municipality?: string;
}

type Key = Partial<Record<StatisticsDimension, string>>;

/** How the counts are protected, as the answer states it. */
export const DISCLOSURE_CONTROL = {
  method: 'cell_key',
  threshold: CELL_KEY_THRESHOLD,
  maxDeviation: MAX_DEVIATION,
  perturbationTable: PERTURBATION_TABLE.map((row, i) => ({
    cellKeyFrom: i === 0 ? 0 : PERTURBATION_TABLE[i - 1]!.below,
    cellKeyBelow: row.below,
    deviation: row.deviation,
  })),
};

/** The deployment's secret for record keys: derived from the referrals service's audit key. */
export function statisticsSecret(ctx: ReferralsContext): string {
  return ctx.audit.checkpoints.key.deriveSecret('samverkan statistics record keys');
}

/**
 * Aggregate referral statistics (docs/architecture.md#statistics) for analysts and coordinators: counts by the chosen
 * dimensions with the median minutes from sending to acknowledgement, every count perturbed by the
 * cell key method (domain/cell-key.ts) before anything leaves the service, so that no two answers
 * can be subtracted into a small cell. Only metadata in clear is counted; the hub has nothing else.
 */
export function createStatisticsService(ctx: ReferralsContext) {
  const secret = statisticsSecret(ctx);
  const repository = createStatisticsRepository(ctx.dataSource);

  return {
    async referrals(principal: Principal, query: StatisticsQuery) {
      const groupBy = query.groupBy?.length ? [...new Set(query.groupBy)] : ['month' as const];
      const target = {
        action: 'statistics.referrals_read',
        objectType: 'statistics',
        objectId: 'referrals',
        detail: {
          groupBy,
          from: query.from ?? null,
          to: query.to ?? null,
          municipality: query.municipality ?? null,
        },
      };
      if (!hasRole(principal, 'analyst', 'coordinator')) {
        await deny(
          ctx,
          principal,
          target,
          'Referral statistics are for users with the analyst or coordinator role',
        );
      }
      const from = calendarDay(query.from, 'from');
      const to = calendarDay(query.to, 'to');
      if (from && to && from > to) {
        throw new ProblemError(CommonProblems.validation, 'from must not be after to', {
          errors: [{ field: 'querystring.from', message: 'is after to' }],
        });
      }

      const cells = await repository.cells({
        groupBy,
        from,
        to,
        municipalities: query.municipality ? [query.municipality] : null,
        secret,
        limit: MAX_STATISTICS_ROWS + 1,
      });
      if (cells.length > MAX_STATISTICS_ROWS) {
        throw new ProblemError(
          CommonProblems.validation,
          `More than ${MAX_STATISTICS_ROWS} rows: group by fewer dimensions or a shorter period`,
          { errors: [{ field: 'querystring.groupBy', message: 'gives too many rows' }] },
        );
      }

      const published = cells.map((cell) => {
        const count = perturbCount(cell.n, cellKeyOf(cell.keysum));
        const median =
          cell.medianMinutes === null
            ? null
            : Math.max(0, Math.round(cell.medianMinutes * 10) / 10);
        return {
          key: Object.fromEntries(groupBy.map((d, i) => [d, cell.key[i]!])) as Key,
          count,
          // A median only beside a published count and over enough acknowledged referrals.
          medianMinutesToAcknowledge:
            typeof count === 'number' && cell.acknowledged >= CELL_KEY_THRESHOLD ? median : null,
        };
      });

      await pipelineOf(ctx).recordRead(principal, {
        ...target,
        detail: { ...target.detail, rows: published.length },
      });
      return {
        groupBy,
        rows: published,
        suppressedBelow: CELL_KEY_THRESHOLD,
        disclosureControl: DISCLOSURE_CONTROL,
      };
    },
  };
}

export type StatisticsService = ReturnType<typeof createStatisticsService>;
