import type { FastifyInstance } from 'fastify';
import type { operations } from '../../generated/openapi';

type Query = NonNullable<operations['referralStatistics']['parameters']['query']>;

/** Aggregate referral statistics with small cells suppressed (openapi/referrals.yaml). */
export async function statisticsRoutes(app: FastifyInstance): Promise<void> {
  const { contract, statistics } = app.referrals;

  app.route({
    ...contract.route('GET', '/v1/statistics/referrals'),
    handler: (request) => statistics.referrals(request.principal, request.query as Query),
  });
}
