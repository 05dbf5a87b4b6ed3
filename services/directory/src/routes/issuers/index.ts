import type { FastifyInstance } from 'fastify';
import type { components } from '../../generated/openapi';

type S = components['schemas'];

export async function issuerRoutes(app: FastifyInstance): Promise<void> {
  const { contract, issuers } = app.directory;

  app.route({
    ...contract.route('GET', '/v1/issuers'),
    handler: (request) => issuers.list(request.principal),
  });

  app.route({
    ...contract.route('POST', '/v1/issuers'),
    handler: async (request, reply) =>
      reply
        .code(201)
        .send(await issuers.create(request.principal, request.body as S['IssuerCreate'])),
  });

  app.route({
    ...contract.route('GET', '/v1/issuers/{id}'),
    handler: (request) => issuers.get(request.principal, (request.params as { id: string }).id),
  });

  app.route({
    ...contract.route('PATCH', '/v1/issuers/{id}'),
    handler: (request) =>
      issuers.update(
        request.principal,
        (request.params as { id: string }).id,
        request.body as S['IssuerUpdate'],
      ),
  });

  app.route({
    ...contract.route('DELETE', '/v1/issuers/{id}'),
    handler: async (request, reply) => {
      await issuers.remove(request.principal, (request.params as { id: string }).id);
      return reply.code(204).send();
    },
  });
}
