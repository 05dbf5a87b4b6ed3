import type { FastifyInstance } from 'fastify';
import type { components } from '../../generated/openapi';

/** Per-user channels per kind (openapi/notifications.yaml, tag Preferences). */
export async function preferenceRoutes(app: FastifyInstance): Promise<void> {
  const { contract, preferences } = app.notifications;

  app.route({
    ...contract.route('GET', '/v1/notification-preferences'),
    handler: (request) => preferences.get(request.principal),
  });

  app.route({
    ...contract.route('PUT', '/v1/notification-preferences'),
    config: { requireIdempotencyKey: true },
    handler: (request) =>
      preferences.put(
        request.principal,
        request.body as components['schemas']['NotificationPreferencesUpdate'],
      ),
  });
}
