import { registerAuditRoutes } from '@samverkan/shared';
import type { FastifyInstance } from 'fastify';

/** Dead letters for hub administrators, and the service's audit trail. */
export async function operationsRoutes(app: FastifyInstance): Promise<void> {
  const { contract, deadLetters, context } = app.notifications;

  app.route({
    ...contract.route('GET', '/v1/dead-letters'),
    handler: (request) =>
      deadLetters.list(
        request.principal,
        request.query as { replayed?: boolean; cursor?: string; limit?: number },
      ),
  });

  app.route({
    ...contract.route('POST', '/v1/dead-letters/{id}/replay'),
    config: { requireIdempotencyKey: true },
    handler: (request) =>
      deadLetters.replay(request.principal, (request.params as { id: string }).id),
  });

  await registerAuditRoutes(app, { service: 'notifications', contract, audit: context.audit });
}
