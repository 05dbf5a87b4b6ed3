import { randomUUID } from 'node:crypto';
import { ProblemError, type AuditTarget, type Principal } from '@samverkan/shared';
import { endpointTarget, type WebhookAccess } from './access';
import {
  checkEventTypes,
  enabledChanges,
  endpointChanges,
  newEndpoint,
  redelivery,
  rotatedSecret,
  testDelivery,
  type EndpointCreate,
  type EndpointUpdate,
} from './endpoint-rules';
import { WebhookProblems as P } from './errors';
import type { WebhooksRepository } from './repository';
import { generateSecret } from './signing';
import { checkDestination, DestinationRefusedError } from './ssrf-guard';
import { deliveryView, endpointView } from './views';
import type { WebhookDeliveryEntity } from './webhook.entities';
import type { WebhooksContext } from './webhooks.service';

/**
 * The webhook writes, each on the write pipeline: authorize (access.ts; the destination and the
 * event types checked, a refusal audited without a lock) → load (locked where a concurrent write
 * could interleave) → decide (endpoint-rules.ts, pure) → persist (repository.ts), the audit entry
 * in the same transaction. The delivery worker is woken after a commit that queued something.
 */
export function createWebhookCommands(
  ctx: WebhooksContext,
  repo: WebhooksRepository,
  access: WebhookAccess,
  withAttempts: (rows: WebhookDeliveryEntity[]) => Promise<ReturnType<typeof deliveryView>[]>,
) {
  async function checkUrl(url: string): Promise<void> {
    try {
      await checkDestination(url, ctx.config.destinations);
    } catch (err) {
      if (err instanceof DestinationRefusedError) {
        throw new ProblemError(P.destinationNotAllowed, `${err.message} (${err.reason})`, {
          errors: [{ field: 'url', message: err.reason }],
        });
      }
      throw err;
    }
  }

  /** Runs the checks of a write; a refusal they end in is audited before it is thrown. */
  const checked = (principal: Principal, t: AuditTarget, checks: () => void | Promise<void>) =>
    ctx.pipeline.authorize(principal, t, checks);

  function secretFor(endpointId: string) {
    const secret = generateSecret();
    return { secret, sealed: ctx.config.secretBox.seal(secret, endpointId) };
  }

  return {
    async create(principal: Principal, body: EndpointCreate) {
      const t = endpointTarget('webhook.create', { organisationId: principal.org });
      await access.orgAdmin(principal, 'webhook.create');
      const unit = await access.administeredUnit(principal, body.unitId, t);
      await checked(principal, t, async () => {
        checkEventTypes(body.eventTypes, ctx.eventTypes);
        await checkUrl(body.url);
      });
      const id = randomUUID();
      const { secret, sealed } = secretFor(id);
      const endpoint = newEndpoint({
        id,
        body,
        organisationId: unit.organisationId,
        secretSealed: sealed,
        createdBy: principal,
        now: new Date(),
      });
      await ctx.pipeline.transact(
        principal,
        { ...endpointTarget('webhook.create', endpoint), detail: { unitId: endpoint.unitId } },
        async (tx) => {
          await repo.insertEndpoint(tx, endpoint);
          return { result: undefined, events: [] };
        },
      );
      return { endpoint: endpointView(endpoint), secret };
    },

    async update(principal: Principal, id: string, body: EndpointUpdate) {
      const endpoint = await access.administered(principal, id, 'webhook.update');
      const t = endpointTarget('webhook.update', endpoint);
      await checked(principal, t, async () => {
        if (body.eventTypes) {
          checkEventTypes(body.eventTypes, ctx.eventTypes);
        }
        if (body.url !== undefined) {
          await checkUrl(body.url);
        }
      });
      const changes = endpointChanges(body, new Date());
      await ctx.pipeline.transact(
        principal,
        { ...t, detail: { fields: Object.keys(body).sort() } },
        async (tx) => {
          await repo.updateEndpoint(tx, id, changes);
          return { result: undefined, events: [] };
        },
      );
      return endpointView({ ...endpoint, ...changes });
    },

    async remove(principal: Principal, id: string) {
      const endpoint = await access.administered(principal, id, 'webhook.delete');
      await ctx.pipeline.transact(
        principal,
        endpointTarget('webhook.delete', endpoint),
        async (tx) => {
          await repo.deleteEndpoint(tx, id);
          return { result: undefined, events: [] };
        },
      );
    },

    async rotateSecret(principal: Principal, id: string, body: { overlapSeconds?: number }) {
      const endpoint = await access.administered(principal, id, 'webhook.rotate_secret');
      const overlapMs =
        body.overlapSeconds !== undefined
          ? body.overlapSeconds * 1000
          : ctx.config.rotationOverlapMs;
      const { secret, sealed } = secretFor(id);
      const now = new Date();
      const rotated = await ctx.pipeline.transact(
        principal,
        { ...endpointTarget('webhook.rotate_secret', endpoint), detail: { overlapMs } },
        async (tx) => {
          // Locked, so that two rotations at once cannot both keep the same "previous" secret.
          const current = await repo.lockEndpoint(tx, id);
          if (!current) {
            throw new ProblemError(P.endpointNotFound);
          }
          const changes = rotatedSecret(current, sealed, overlapMs, now);
          await repo.updateEndpoint(tx, id, changes);
          return { result: { ...current, ...changes }, events: [] };
        },
      );
      return { endpoint: endpointView(rotated, now), secret };
    },

    async enable(principal: Principal, id: string) {
      const endpoint = await access.administered(principal, id, 'webhook.enable');
      const changes = enabledChanges(endpoint, new Date());
      if (!changes) {
        return endpointView(endpoint);
      }
      await ctx.pipeline.transact(
        principal,
        endpointTarget('webhook.enable', endpoint),
        async (tx) => {
          await repo.updateEndpoint(tx, id, changes);
          return { result: undefined, events: [] };
        },
      );
      return endpointView({ ...endpoint, ...changes });
    },

    async sendTest(principal: Principal, id: string) {
      const endpoint = await access.administered(principal, id, 'webhook.test');
      const t = endpointTarget('webhook.test', endpoint);
      let delivery!: WebhookDeliveryEntity;
      await checked(principal, t, () => {
        delivery = testDelivery(
          endpoint,
          { deliveryId: randomUUID(), eventId: randomUUID() },
          new Date(),
        );
      });
      await ctx.pipeline.transact(principal, t, async (tx) => {
        await repo.insertDelivery(tx, delivery);
        return { result: undefined, events: [] };
      });
      ctx.poke();
      return deliveryView(delivery);
    },

    async redeliver(principal: Principal, id: string, deliveryId: string) {
      const endpoint = await access.administered(principal, id, 'webhook.redeliver');
      const t = { ...endpointTarget('webhook.redeliver', endpoint), detail: { deliveryId } };
      const result = await ctx.pipeline.transact(principal, t, async (tx) => {
        const delivery = await repo.lockDelivery(tx, deliveryId, id);
        const changes = redelivery(delivery, await repo.endpointStatus(tx, id), new Date());
        await repo.updateDelivery(tx, deliveryId, changes);
        return { result: { ...delivery!, ...changes }, events: [] };
      });
      ctx.poke();
      return (await withAttempts([result]))[0]!;
    },
  };
}
