import type { FastifyBaseLogger } from 'fastify';
import type { ReferralsContext } from '../services/context';
import { createLegalHoldsService } from './legal-holds.service';
import { createLogReviewsService } from './log-reviews.service';
import { createMappingReportService } from './mapping-report.service';
import { loadRetentionConfig, type RetentionConfig } from './retention-config';
import { RetentionPurger } from './retention-purger';

export { onCallShiftsConsumer } from './on-call-shifts';
export { recordsRoutes } from './records.routes';

/**
 * Records and oversight (docs/retention.md, docs/log-review.md, docs/statistics.md): retention
 * with legal holds and its scheduled purger, auditors' log reviews, and the county mapping
 * report. A feature folder with its own entities, migration, rules, services and routes.
 */
export function createRecords(
  ctx: ReferralsContext,
  log: FastifyBaseLogger,
  retention: RetentionConfig = loadRetentionConfig(),
) {
  return {
    retention,
    purger: new RetentionPurger(
      { dataSource: ctx.dataSource, events: ctx.events, audit: ctx.audit, retention },
      log,
    ),
    legalHolds: createLegalHoldsService(ctx, retention),
    logReviews: createLogReviewsService(ctx),
    mappingReport: createMappingReportService(ctx),
  };
}

export type Records = ReturnType<typeof createRecords>;
