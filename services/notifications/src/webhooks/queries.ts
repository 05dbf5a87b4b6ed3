import type { Principal } from '@samverkan/shared';
import type { WebhookAccess } from './access';
import type { DeliveryStatus } from './delivery-state';
import type { WebhooksRepository } from './repository';
import { decodeCursor, deliveryView, encodeCursor, endpointView } from './views';
import type { WebhookAttemptEntity, WebhookDeliveryEntity } from './webhook.entities';

/** How many attempts of each delivery the log shows. */
const ATTEMPTS_SHOWN = 50;

/** The webhook reads: an organisation's endpoints, one endpoint, its delivery log. */
export function createWebhookQueries(repo: WebhooksRepository, access: WebhookAccess) {
  async function withAttempts(rows: WebhookDeliveryEntity[]) {
    const attempts = await repo.attemptsOf(rows.map((r) => r.id));
    const byDelivery = new Map<string, WebhookAttemptEntity[]>();
    for (const a of attempts) {
      const list = byDelivery.get(a.deliveryId) ?? [];
      if (list.length < ATTEMPTS_SHOWN) {
        list.push(a);
      }
      byDelivery.set(a.deliveryId, list);
    }
    return rows.map((r) => deliveryView(r, byDelivery.get(r.id)));
  }

  /** A page of `limit` rows out of `limit + 1` read, with the cursor of the next. */
  function paged<T extends { createdAt: Date; id: string }>(rows: T[], limit: number) {
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return {
      page,
      nextCursor: rows.length > limit && last ? encodeCursor(last.createdAt, last.id) : null,
    };
  }

  return {
    withAttempts,

    async list(
      principal: Principal,
      query: { unit?: string; status?: 'enabled' | 'disabled'; cursor?: string; limit: number },
    ) {
      await access.orgAdmin(principal, 'webhook.list');
      const rows = await repo.endpointsPage(
        principal.org,
        query,
        decodeCursor(query.cursor),
        query.limit + 1,
      );
      const { page, nextCursor } = paged(rows, query.limit);
      return { items: page.map((e) => endpointView(e)), nextCursor };
    },

    async get(principal: Principal, id: string) {
      return endpointView(await access.administered(principal, id, 'webhook.read'));
    },

    async listDeliveries(
      principal: Principal,
      id: string,
      query: { status?: DeliveryStatus; cursor?: string; limit: number },
    ) {
      await access.administered(principal, id, 'webhook.deliveries');
      const rows = await repo.deliveriesPage(
        id,
        query.status,
        decodeCursor(query.cursor),
        query.limit + 1,
      );
      const { page, nextCursor } = paged(rows, query.limit);
      return { items: await withAttempts(page), nextCursor };
    },
  };
}
