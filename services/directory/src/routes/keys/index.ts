import { pinnedCheckpoint } from '@samverkan/shared';
import type { FastifyInstance } from 'fastify';
import type { components } from '../../generated/openapi';

type S = components['schemas'];

export async function keyRoutes(app: FastifyInstance): Promise<void> {
  const { contract, keys } = app.directory;

  app.route({
    ...contract.route('GET', '/v1/units/{id}/keys'),
    handler: (request) =>
      keys.listUnitKeys(
        (request.params as { id: string }).id,
        (request.query as { status?: S['UnitKey']['status'] }).status,
      ),
  });

  app.route({
    ...contract.route('POST', '/v1/units/{id}/keys'),
    handler: async (request, reply) => {
      const body = request.body as S['UnitKeyPublish'];
      return reply
        .code(201)
        .send(
          await keys.publishUnitKey(
            request.principal,
            (request.params as { id: string }).id,
            body.signed,
          ),
        );
    },
  });

  app.route({
    ...contract.route('POST', '/v1/units/{id}/keys/{kid}/retire'),
    handler: (request) => {
      const { id, kid } = request.params as { id: string; kid: string };
      return keys.retireUnitKey(request.principal, id, kid);
    },
  });

  app.route({
    ...contract.route('POST', '/v1/units/{id}/keys/{kid}/revoke'),
    handler: (request) => {
      const { id, kid } = request.params as { id: string; kid: string };
      return keys.revokeUnitKey(
        request.principal,
        id,
        kid,
        (request.body as S['KeyRevoke']).reason,
      );
    },
  });

  app.route({
    ...contract.route('GET', '/v1/keys'),
    handler: (request) => keys.activeKeys((request.query as { units: string }).units.split(',')),
  });

  app.route({
    ...contract.route('GET', '/v1/key-log'),
    handler: (request) => {
      const q = request.query as { after?: number; limit?: number };
      return keys.keyLog(q.after ?? 0, q.limit ?? 100);
    },
  });

  app.route({
    ...contract.route('GET', '/v1/key-log/verify'),
    handler: (request) => {
      return keys.verifyKeyLog(
        pinnedCheckpoint(request.query as { pinSeq?: number; pinHash?: string }),
      );
    },
  });

  app.route({
    ...contract.route('GET', '/v1/key-log/checkpoints'),
    handler: (request) => {
      const q = request.query as { before?: number; limit?: number };
      return keys.keyLogCheckpoints(q.before, q.limit ?? 100);
    },
  });

  app.route({
    ...contract.route('POST', '/v1/key-log/checkpoints'),
    handler: async (request, reply) => {
      const { checkpoint } = await keys.checkpointKeyLogFor(request.principal);
      return reply.code(201).send(checkpoint);
    },
  });
}
