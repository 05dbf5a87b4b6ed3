import type { FastifyInstance } from 'fastify';
import type { components, operations } from '../../generated/openapi';

type S = components['schemas'];
type IdParams = { id: string };

export async function unitRoutes(app: FastifyInstance): Promise<void> {
  const { contract, units, rosters } = app.directory;

  app.route({
    ...contract.route('GET', '/v1/units'),
    handler: (request) => {
      const q = request.query as NonNullable<operations['searchUnits']['parameters']['query']>;
      return units.search({ ...q, limit: q.limit ?? 25 });
    },
  });

  app.route({
    ...contract.route('POST', '/v1/units'),
    handler: async (request, reply) =>
      reply.code(201).send(await units.create(request.principal, request.body as S['UnitCreate'])),
  });

  app.route({
    ...contract.route('GET', '/v1/units/{id}'),
    handler: (request) => units.get((request.params as IdParams).id),
  });

  app.route({
    ...contract.route('PATCH', '/v1/units/{id}'),
    handler: (request) =>
      units.update(
        request.principal,
        (request.params as IdParams).id,
        request.body as S['UnitUpdate'],
      ),
  });

  app.route({
    ...contract.route('GET', '/v1/units/{id}/members'),
    handler: (request) => rosters.listMembers(request.principal, (request.params as IdParams).id),
  });

  app.route({
    ...contract.route('POST', '/v1/units/{id}/members'),
    handler: async (request, reply) => {
      const { created, member } = await rosters.addMember(
        request.principal,
        (request.params as IdParams).id,
        request.body as S['MemberAdd'],
      );
      return reply.code(created ? 201 : 200).send(member);
    },
  });

  app.route({
    ...contract.route('DELETE', '/v1/units/{id}/members/{userId}'),
    handler: async (request, reply) => {
      const { id, userId } = request.params as { id: string; userId: string };
      await rosters.removeMember(request.principal, id, userId);
      return reply.code(204).send();
    },
  });

  app.route({
    ...contract.route('GET', '/v1/units/{id}/shifts'),
    handler: (request) =>
      rosters.listShifts(
        request.principal,
        (request.params as IdParams).id,
        request.query as { from?: string; to?: string },
      ),
  });

  app.route({
    ...contract.route('POST', '/v1/units/{id}/shifts'),
    handler: async (request, reply) =>
      reply
        .code(201)
        .send(
          await rosters.createShift(
            request.principal,
            (request.params as IdParams).id,
            request.body as S['ShiftCreate'],
          ),
        ),
  });

  app.route({
    ...contract.route('DELETE', '/v1/units/{id}/shifts/{shiftId}'),
    handler: async (request, reply) => {
      const { id, shiftId } = request.params as { id: string; shiftId: string };
      await rosters.deleteShift(request.principal, id, shiftId);
      return reply.code(204).send();
    },
  });

  app.route({
    ...contract.route('GET', '/v1/units/{id}/on-duty'),
    handler: (request) =>
      rosters.onDuty(
        request.principal,
        (request.params as IdParams).id,
        (request.query as { at?: string }).at,
      ),
  });
}
