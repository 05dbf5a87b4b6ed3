import type { OpenApiContract } from '@samverkan/shared';
import type { FastifyInstance, HTTPMethods } from 'fastify';
import type { components, operations } from '../generated/openapi';
import type { SecretBox } from './secret-box';
import type { WebhooksService } from './webhooks.service';

type S = components['schemas'];
type IdParams = { id: string };

/** Every write needs an Idempotency-Key. */
const write = { config: { requireIdempotencyKey: true } };

const SEALED = 'sealed:';

/**
 * A new secret leaves the handler sealed and is opened only on its way onto the wire (this
 * plugin's onSend runs after the idempotency plugin's, which stores the response for replays):
 * the stored response holds ciphertext, and a replay with the same Idempotency-Key still shows
 * the secret to the caller who asked for it.
 */
function sealedForTransit(box: SecretBox, result: { endpoint: { id: string }; secret: string }) {
  return {
    ...result,
    secret: `${SEALED}${box.seal(result.secret, `transit:${result.endpoint.id}`)}`,
  };
}

function openedForWire(box: SecretBox, payload: string): string {
  const body = JSON.parse(payload) as { endpoint?: { id?: string }; secret?: unknown };
  if (typeof body.secret !== 'string' || !body.secret.startsWith(SEALED) || !body.endpoint?.id) {
    return payload;
  }
  body.secret = box.open(body.secret.slice(SEALED.length), `transit:${body.endpoint.id}`);
  return JSON.stringify(body);
}

/** `/v1/webhooks…`: thin handlers, one service call each. */
export async function webhookRoutes(
  app: FastifyInstance,
  options: { contract: OpenApiContract; webhooks: WebhooksService; secretBox: SecretBox },
): Promise<void> {
  const { contract, webhooks, secretBox } = options;
  const route = (method: HTTPMethods, path: string) => contract.route(method, path);

  app.addHook('onSend', async (_request, reply, payload) =>
    typeof payload === 'string' && reply.statusCode < 300 && payload.includes(SEALED)
      ? openedForWire(secretBox, payload)
      : payload,
  );

  app.route({
    ...route('POST', '/v1/webhooks'),
    ...write,
    handler: async (request, reply) =>
      reply
        .code(201)
        .send(
          sealedForTransit(
            secretBox,
            await webhooks.create(request.principal, request.body as S['WebhookEndpointCreate']),
          ),
        ),
  });

  app.route({
    ...route('GET', '/v1/webhooks'),
    handler: (request) => {
      const q = request.query as NonNullable<
        operations['listWebhookEndpoints']['parameters']['query']
      >;
      return webhooks.list(request.principal, { ...q, limit: q.limit ?? 25 });
    },
  });

  app.route({
    ...route('GET', '/v1/webhooks/{id}'),
    handler: (request) => webhooks.get(request.principal, (request.params as IdParams).id),
  });

  app.route({
    ...route('PATCH', '/v1/webhooks/{id}'),
    ...write,
    handler: (request) =>
      webhooks.update(
        request.principal,
        (request.params as IdParams).id,
        request.body as S['WebhookEndpointUpdate'],
      ),
  });

  app.route({
    ...route('DELETE', '/v1/webhooks/{id}'),
    ...write,
    handler: async (request, reply) => {
      await webhooks.remove(request.principal, (request.params as IdParams).id);
      return reply.code(204).send();
    },
  });

  app.route({
    ...route('POST', '/v1/webhooks/{id}/rotate-secret'),
    ...write,
    handler: async (request) =>
      sealedForTransit(
        secretBox,
        await webhooks.rotateSecret(
          request.principal,
          (request.params as IdParams).id,
          (request.body ?? {}) as S['WebhookSecretRotation'],
        ),
      ),
  });

  app.route({
    ...route('POST', '/v1/webhooks/{id}/enable'),
    ...write,
    handler: (request) => webhooks.enable(request.principal, (request.params as IdParams).id),
  });

  app.route({
    ...route('POST', '/v1/webhooks/{id}/test'),
    ...write,
    handler: async (request, reply) =>
      reply
        .code(202)
        .send(await webhooks.sendTest(request.principal, (request.params as IdParams).id)),
  });

  app.route({
    ...route('GET', '/v1/webhooks/{id}/deliveries'),
    handler: (request) => {
      const q = request.query as NonNullable<
        operations['listWebhookDeliveries']['parameters']['query']
      >;
      return webhooks.listDeliveries(request.principal, (request.params as IdParams).id, {
        ...q,
        limit: q.limit ?? 25,
      });
    },
  });

  app.route({
    ...route('POST', '/v1/webhooks/{id}/deliveries/{deliveryId}/redeliver'),
    ...write,
    handler: async (request, reply) => {
      const p = request.params as IdParams & { deliveryId: string };
      return reply.code(202).send(await webhooks.redeliver(request.principal, p.id, p.deliveryId));
    },
  });
}
