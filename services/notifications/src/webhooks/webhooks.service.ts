import { randomUUID } from 'node:crypto';
import {
  ProblemError,
  type AuditLog,
  type CommandPipeline,
  type AuditTarget,
  type Principal,
  type ServiceEvents,
} from '@samverkan/shared';
import type { DataSource, EntityManager } from 'typeorm';
import type { DirectoryReadModel } from '../read-model/directory-read-model';
import { canRedeliver, type DeliveryStatus } from './delivery-state';
import { WebhookProblems as P } from './errors';
import { generateSecret } from './signing';
import { checkDestination, DestinationRefusedError } from './ssrf-guard';
import { decodeCursor, deliveryView, encodeCursor, endpointView } from './views';
import type { WebhookConfig } from './webhook-config';
import {
  WebhookAttemptEntity,
  WebhookDeliveryEntity,
  WebhookEndpointEntity,
} from './webhook.entities';

export interface WebhooksContext {
  dataSource: DataSource;
  events: ServiceEvents;
  audit: AuditLog;
  /** every write goes through it (see NotificationsContext.pipeline) */
  pipeline: CommandPipeline;
  directory: DirectoryReadModel;
  config: WebhookConfig;
  /** the event types endpoints may subscribe to (`referral.sent`, …) */
  eventTypes: ReadonlySet<string>;
  /** wakes the delivery worker after a commit that queued something */
  poke(): void;
}

export interface EndpointCreate {
  unitId: string;
  url: string;
  eventTypes: string[];
  description?: string;
}

export type EndpointUpdate = Partial<Omit<EndpointCreate, 'unitId'>>;

/** How many attempts of each delivery the log shows. */
const ATTEMPTS_SHOWN = 50;

function isOrgAdmin(principal: Principal, organisationId: string): boolean {
  return principal.org === organisationId && principal.roles.includes('org_admin');
}

/**
 * Webhook endpoints and their delivery log. Only an `org_admin` of the organisation a unit
 * belongs to (per the directory read model) manages that unit's endpoints; anyone else asking
 * about an endpoint learns nothing, not even that it exists (404). Every change and refusal is
 * audited; a change, its audit entry and its events commit together.
 */
export function createWebhooksService(ctx: WebhooksContext) {
  const endpoints = ctx.dataSource.getRepository(WebhookEndpointEntity);
  const deliveries = ctx.dataSource.getRepository(WebhookDeliveryEntity);
  const attemptsRepo = ctx.dataSource.getRepository(WebhookAttemptEntity);

  const target = (action: string, e: { id?: string; organisationId?: string }): AuditTarget => ({
    action,
    objectType: 'webhook_endpoint',
    objectId: e.id ?? null,
    objectOrg: e.organisationId ?? null,
  });

  /** An endpoint the caller administers, or a 404 (audited). */
  async function administered(principal: Principal, id: string, action: string) {
    const endpoint = await endpoints.findOneBy({ id });
    if (!endpoint || !isOrgAdmin(principal, endpoint.organisationId)) {
      await ctx.pipeline.deny(
        principal,
        target(action, { id }),
        new ProblemError(P.endpointNotFound),
      );
    }
    return endpoint!;
  }

  function checkEventTypes(types: string[]): void {
    const unknown = types.filter((t) => !ctx.eventTypes.has(t));
    if (unknown.length > 0) {
      throw new ProblemError(P.eventTypeUnknown, `Unknown event types: ${unknown.join(', ')}`, {
        errors: unknown.map((t) => ({ field: 'eventTypes', message: `${t} is not an event type` })),
      });
    }
  }

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
  const checked = (principal: Principal, t: AuditTarget, checks: () => Promise<void>) =>
    ctx.pipeline.authorize(principal, t, checks);

  async function withAttempts(rows: WebhookDeliveryEntity[]) {
    const ids = rows.map((r) => r.id);
    const attempts = ids.length
      ? await attemptsRepo
          .createQueryBuilder('a')
          .where('a.delivery_id IN (:...ids)', { ids })
          .orderBy('a.attempted_at', 'DESC')
          .getMany()
      : [];
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

  function secretFor(endpointId: string) {
    const secret = generateSecret();
    return { secret, sealed: ctx.config.secretBox.seal(secret, endpointId) };
  }

  return {
    async create(principal: Principal, body: EndpointCreate) {
      const t = target('webhook.create', { organisationId: principal.org });
      if (!principal.roles.includes('org_admin')) {
        await ctx.pipeline.deny(principal, t, new ProblemError(P.notOrgAdmin));
      }
      const unit = (await ctx.directory.units(ctx.dataSource.manager, [body.unitId])).get(
        body.unitId,
      );
      if (!unit || unit.status !== 'active') {
        await ctx.pipeline.deny(principal, t, new ProblemError(P.unitUnknown));
      }
      if (!isOrgAdmin(principal, unit!.organisationId)) {
        await ctx.pipeline.deny(principal, t, new ProblemError(P.notOrgAdmin));
      }
      await checked(principal, t, async () => {
        checkEventTypes(body.eventTypes);
        await checkUrl(body.url);
      });
      const id = randomUUID();
      const { secret, sealed } = secretFor(id);
      const now = new Date();
      const endpoint = endpoints.create({
        id,
        unitId: body.unitId,
        organisationId: unit!.organisationId,
        url: body.url,
        description: body.description ?? '',
        eventTypes: [...new Set(body.eventTypes)].sort(),
        status: 'enabled',
        disabledReason: null,
        disabledAt: null,
        consecutiveFailures: 0,
        secretSealed: sealed,
        previousSecretSealed: null,
        previousSecretExpiresAt: null,
        createdBy: principal.sub,
        createdByIssuer: principal.iss,
        createdAt: now,
        updatedAt: now,
      });
      await ctx.pipeline.transact(
        principal,
        { ...target('webhook.create', endpoint), detail: { unitId: endpoint.unitId } },
        async (tx) => {
          await tx.insert(WebhookEndpointEntity, endpoint);
          return { result: undefined, events: [] };
        },
      );
      return { endpoint: endpointView(endpoint), secret };
    },

    async list(
      principal: Principal,
      query: { unit?: string; status?: 'enabled' | 'disabled'; cursor?: string; limit: number },
    ) {
      if (!principal.roles.includes('org_admin')) {
        await ctx.pipeline.deny(
          principal,
          target('webhook.list', { organisationId: principal.org }),
          new ProblemError(P.notOrgAdmin),
        );
      }
      const qb = endpoints
        .createQueryBuilder('e')
        .where('e.organisation_id = :org', { org: principal.org })
        .orderBy('e.created_at', 'DESC')
        .addOrderBy('e.id', 'DESC')
        .take(query.limit + 1);
      if (query.unit) {
        qb.andWhere('e.unit_id = :unit', { unit: query.unit });
      }
      if (query.status) {
        qb.andWhere('e.status = :status', { status: query.status });
      }
      const c = decodeCursor(query.cursor);
      if (c) {
        qb.andWhere('(e.created_at, e.id) < (:at, :id)', { at: c.createdAt, id: c.id });
      }
      const rows = await qb.getMany();
      const page = rows.slice(0, query.limit);
      const last = page[page.length - 1];
      return {
        items: page.map((e) => endpointView(e)),
        nextCursor:
          rows.length > query.limit && last ? encodeCursor(last.createdAt, last.id) : null,
      };
    },

    async get(principal: Principal, id: string) {
      return endpointView(await administered(principal, id, 'webhook.read'));
    },

    async update(principal: Principal, id: string, body: EndpointUpdate) {
      const endpoint = await administered(principal, id, 'webhook.update');
      const t = target('webhook.update', endpoint);
      await checked(principal, t, async () => {
        if (body.eventTypes) {
          checkEventTypes(body.eventTypes);
        }
        if (body.url !== undefined) {
          await checkUrl(body.url);
        }
      });
      const changes: Partial<WebhookEndpointEntity> = { updatedAt: new Date() };
      if (body.url !== undefined) {
        changes.url = body.url;
      }
      if (body.eventTypes) {
        changes.eventTypes = [...new Set(body.eventTypes)].sort();
      }
      if (body.description !== undefined) {
        changes.description = body.description;
      }
      await ctx.pipeline.transact(
        principal,
        { ...t, detail: { fields: Object.keys(body).sort() } },
        async (tx) => {
          await tx.update(WebhookEndpointEntity, { id }, changes);
          return { result: undefined, events: [] };
        },
      );
      return endpointView({ ...endpoint, ...changes } as WebhookEndpointEntity);
    },

    async remove(principal: Principal, id: string) {
      const endpoint = await administered(principal, id, 'webhook.delete');
      await ctx.pipeline.transact(principal, target('webhook.delete', endpoint), async (tx) => {
        await tx.delete(WebhookEndpointEntity, { id });
        return { result: undefined, events: [] };
      });
    },

    async rotateSecret(principal: Principal, id: string, body: { overlapSeconds?: number }) {
      const endpoint = await administered(principal, id, 'webhook.rotate_secret');
      const overlapMs =
        body.overlapSeconds !== undefined
          ? body.overlapSeconds * 1000
          : ctx.config.rotationOverlapMs;
      const { secret, sealed } = secretFor(id);
      const now = new Date();
      const rotated = await ctx.pipeline.transact(
        principal,
        { ...target('webhook.rotate_secret', endpoint), detail: { overlapMs } },
        async (tx) => {
          // Locked, so that two rotations at once cannot both keep the same "previous" secret.
          const current = await tx
            .getRepository(WebhookEndpointEntity)
            .findOne({ where: { id }, lock: { mode: 'pessimistic_write' } });
          if (!current) {
            throw new ProblemError(P.endpointNotFound);
          }
          current.previousSecretSealed = overlapMs > 0 ? current.secretSealed : null;
          current.previousSecretExpiresAt =
            overlapMs > 0 ? new Date(now.getTime() + overlapMs) : null;
          current.secretSealed = sealed;
          current.updatedAt = now;
          await tx.save(current);
          return { result: current, events: [] };
        },
      );
      return { endpoint: endpointView(rotated, now), secret };
    },

    async enable(principal: Principal, id: string) {
      const endpoint = await administered(principal, id, 'webhook.enable');
      if (endpoint.status === 'enabled') {
        return endpointView(endpoint);
      }
      const changes = {
        status: 'enabled' as const,
        disabledReason: null,
        disabledAt: null,
        consecutiveFailures: 0,
        updatedAt: new Date(),
      };
      await ctx.pipeline.transact(principal, target('webhook.enable', endpoint), async (tx) => {
        await tx.update(WebhookEndpointEntity, { id }, changes);
        return { result: undefined, events: [] };
      });
      return endpointView({ ...endpoint, ...changes });
    },

    async sendTest(principal: Principal, id: string) {
      const endpoint = await administered(principal, id, 'webhook.test');
      if (endpoint.status !== 'enabled') {
        await ctx.pipeline.deny(
          principal,
          target('webhook.test', endpoint),
          new ProblemError(P.endpointDisabled),
        );
      }
      const now = new Date();
      const delivery = deliveries.create({
        id: randomUUID(),
        endpointId: id,
        eventId: randomUUID(),
        eventType: 'webhook.test',
        payload: JSON.stringify({
          type: 'webhook.test',
          timestamp: now.toISOString(),
          data: { endpointId: id, unitId: endpoint.unitId },
        }),
        status: 'pending',
        attempts: 0,
        nextAttemptAt: now,
        leaseUntil: null,
        leaseToken: null,
        lastOutcome: null,
        deliveredAt: null,
        createdAt: now,
        updatedAt: now,
      });
      await ctx.pipeline.transact(principal, target('webhook.test', endpoint), async (tx) => {
        await tx.insert(WebhookDeliveryEntity, delivery);
        return { result: undefined, events: [] };
      });
      ctx.poke();
      return deliveryView(delivery);
    },

    async listDeliveries(
      principal: Principal,
      id: string,
      query: { status?: DeliveryStatus; cursor?: string; limit: number },
    ) {
      await administered(principal, id, 'webhook.deliveries');
      const qb = deliveries
        .createQueryBuilder('d')
        .where('d.endpoint_id = :id', { id })
        .orderBy('d.created_at', 'DESC')
        .addOrderBy('d.id', 'DESC')
        .take(query.limit + 1);
      if (query.status) {
        qb.andWhere('d.status = :status', { status: query.status });
      }
      const c = decodeCursor(query.cursor);
      if (c) {
        qb.andWhere('(d.created_at, d.id) < (:at, :cid)', { at: c.createdAt, cid: c.id });
      }
      const rows = await qb.getMany();
      const page = rows.slice(0, query.limit);
      const last = page[page.length - 1];
      return {
        items: await withAttempts(page),
        nextCursor:
          rows.length > query.limit && last ? encodeCursor(last.createdAt, last.id) : null,
      };
    },

    async redeliver(principal: Principal, id: string, deliveryId: string) {
      const endpoint = await administered(principal, id, 'webhook.redeliver');
      const t = { ...target('webhook.redeliver', endpoint), detail: { deliveryId } };
      const result = await ctx.pipeline.transact(principal, t, async (tx: EntityManager) => {
        const delivery = await tx.getRepository(WebhookDeliveryEntity).findOne({
          where: { id: deliveryId, endpointId: id },
          lock: { mode: 'pessimistic_write' },
        });
        if (!delivery) {
          throw new ProblemError(P.deliveryNotFound);
        }
        const current = await tx.getRepository(WebhookEndpointEntity).findOneBy({ id });
        if (current?.status !== 'enabled') {
          throw new ProblemError(P.endpointDisabled);
        }
        if (!canRedeliver(delivery.status)) {
          throw new ProblemError(P.deliveryInProgress);
        }
        const now = new Date();
        Object.assign(delivery, {
          status: 'pending',
          attempts: 0,
          nextAttemptAt: now,
          leaseUntil: null,
          leaseToken: null,
          updatedAt: now,
        });
        await tx.save(delivery);
        return { result: delivery, events: [] };
      });
      ctx.poke();
      return (await withAttempts([result]))[0]!;
    },
  };
}

export type WebhooksService = ReturnType<typeof createWebhooksService>;
