import type { FastifyInstance } from 'fastify';
import type { components } from '../../generated/openapi';

type IdParams = { id: string };

/** The encrypted message thread of a referral (openapi/referrals.yaml, tag Messages). */
export async function messageRoutes(app: FastifyInstance): Promise<void> {
  const { contract, messages, context } = app.referrals;

  app.route({
    ...contract.route('GET', '/v1/referrals/{id}/messages'),
    handler: (request) => messages.list(request.principal, (request.params as IdParams).id),
  });

  app.route({
    ...contract.route('POST', '/v1/referrals/{id}/messages'),
    // Every write needs an Idempotency-Key (docs/architecture.md#referral-lifecycle).
    config: { requireIdempotencyKey: true },
    bodyLimit: context.envelopeMaxBytes + 64 * 1024,
    handler: async (request, reply) => {
      const body = request.body as components['schemas']['MessageCreate'];
      return reply
        .code(201)
        .send(
          await messages.post(request.principal, (request.params as IdParams).id, body as never),
        );
    },
  });
}
