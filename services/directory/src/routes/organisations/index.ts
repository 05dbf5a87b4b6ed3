import type { FastifyInstance } from 'fastify';
import type { components, operations } from '../../generated/openapi';

type S = components['schemas'];

export async function organisationRoutes(app: FastifyInstance): Promise<void> {
  const { contract, organisations, keys } = app.directory;

  app.route({
    ...contract.route('GET', '/v1/organisations'),
    handler: (request) => {
      const q = request.query as NonNullable<
        operations['listOrganisations']['parameters']['query']
      >;
      return organisations.list({ ...q, limit: q.limit ?? 25 });
    },
  });

  app.route({
    ...contract.route('POST', '/v1/organisations'),
    handler: async (request, reply) => {
      const body = request.body as S['OrganisationCreate'];
      return reply.code(201).send(await organisations.create(request.principal, body));
    },
  });

  app.route({
    ...contract.route('GET', '/v1/organisations/{id}'),
    handler: (request) => organisations.get((request.params as { id: string }).id),
  });

  app.route({
    ...contract.route('PATCH', '/v1/organisations/{id}'),
    handler: (request) =>
      organisations.update(
        request.principal,
        (request.params as { id: string }).id,
        request.body as S['OrganisationUpdate'],
      ),
  });

  app.route({
    ...contract.route('POST', '/v1/organisations/{id}/verify-number'),
    handler: (request) =>
      organisations.verifyNumber(request.principal, (request.params as { id: string }).id),
  });

  app.route({
    ...contract.route('GET', '/v1/organisations/{id}/root-keys'),
    handler: (request) => keys.listRootKeys((request.params as { id: string }).id),
  });

  app.route({
    ...contract.route('POST', '/v1/organisations/{id}/root-keys'),
    handler: async (request, reply) => {
      const body = request.body as S['RootKeyRegister'];
      const created = await keys.registerRootKey(
        request.principal,
        (request.params as { id: string }).id,
        body,
      );
      return reply.code(201).send(created);
    },
  });

  app.route({
    ...contract.route('POST', '/v1/organisations/{id}/root-keys/{kid}/revoke'),
    handler: (request) => {
      const { id, kid } = request.params as { id: string; kid: string };
      return keys.revokeRootKey(
        request.principal,
        id,
        kid,
        (request.body as S['KeyRevoke']).reason,
      );
    },
  });
}
