import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { components } from '../generated/openapi';

type S = components['schemas'];
type IdParams = { id: string };

/**
 * Devices and key boxes (openapi/directory.yaml, tag Devices). Routes that act through a device
 * verify its DPoP proof here; where the proof is optional (the organisation admin acts without a
 * device) a proof that is sent must still be valid.
 */
export async function deviceRoutes(app: FastifyInstance): Promise<void> {
  const { contract, devices } = app.directory;
  const proof = (request: FastifyRequest) => devices.proofOf(request);
  const optionalProof = (request: FastifyRequest) =>
    request.headers.dpop === undefined ? Promise.resolve(undefined) : proof(request);

  app.route({
    ...contract.route('POST', '/v1/devices'),
    handler: async (request, reply) =>
      reply
        .code(201)
        .send(
          await devices.enrol(
            request.principal,
            await proof(request),
            request.body as S['DeviceEnrol'],
          ),
        ),
  });

  app.route({
    ...contract.route('GET', '/v1/devices'),
    handler: (request) => devices.listMine(request.principal),
  });

  app.route({
    ...contract.route('POST', '/v1/devices/{id}/approve'),
    handler: async (request) =>
      devices.approve(
        request.principal,
        await optionalProof(request),
        (request.params as IdParams).id,
        request.body as S['DeviceApprove'],
      ),
  });

  app.route({
    ...contract.route('POST', '/v1/devices/{id}/revoke'),
    handler: (request) =>
      devices.revoke(
        request.principal,
        (request.params as IdParams).id,
        request.body as S['DeviceRevoke'],
      ),
  });

  app.route({
    ...contract.route('GET', '/v1/key-boxes'),
    handler: async (request) => devices.keyBoxes(request.principal, await proof(request)),
  });

  app.route({
    ...contract.route('GET', '/v1/units/{id}/devices'),
    handler: async (request) =>
      devices.unitDevices(
        request.principal,
        await optionalProof(request),
        (request.params as IdParams).id,
      ),
  });

  app.route({
    ...contract.route('POST', '/v1/units/{id}/key-boxes'),
    handler: async (request) =>
      devices.storeBoxes(
        request.principal,
        await optionalProof(request),
        (request.params as IdParams).id,
        request.body as S['KeyBoxUpload'],
      ),
  });

  app.route({
    ...contract.route('POST', '/v1/units/{id}/recovery-key'),
    handler: async (request, reply) =>
      reply
        .code(201)
        .send(
          await devices.setRecoveryKey(
            request.principal,
            await optionalProof(request),
            (request.params as IdParams).id,
            request.body as S['RecoveryKeySet'],
          ),
        ),
  });

  app.route({
    ...contract.route('GET', '/v1/units/{id}/recovery-key'),
    handler: (request) => devices.recoveryBox(request.principal, (request.params as IdParams).id),
  });
}
