import { randomUUID } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import type { DeliveryStatus } from './delivery-state';
import {
  WebhookAttemptEntity,
  WebhookDeliveryEntity,
  WebhookEndpointEntity,
} from './webhook.entities';

/** A position in a list, newest first: the last row's (created_at, id). */
export interface ListPosition {
  createdAt: Date;
  id: string;
}

/** A delivery a worker claimed under its lease, with what sending it needs of its endpoint. */
export interface ClaimedDelivery {
  id: string;
  endpoint_id: string;
  payload: string;
  url: string;
  secret_sealed: string;
  previous_secret_sealed: string | null;
  previous_secret_expires_at: Date | null;
}

export type NewDelivery = Pick<
  WebhookDeliveryEntity,
  'id' | 'endpointId' | 'eventId' | 'eventType' | 'payload' | 'nextAttemptAt'
>;

export type AttemptRow = Omit<WebhookAttemptEntity, 'id' | 'delivery'>;

/**
 * Every statement on `webhook_endpoints`, `webhook_deliveries` and `webhook_attempts`: the
 * endpoint routes', the consumers' that queue deliveries and the delivery worker's (kept in step
 * with the entities and migrations by test/migrations.test.ts). Nothing here decides anything.
 */
export function createWebhooksRepository(ds: DataSource) {
  const endpoints = ds.getRepository(WebhookEndpointEntity);
  const deliveries = ds.getRepository(WebhookDeliveryEntity);
  const endpointsTable = endpoints.metadata.tablePath;
  const deliveriesTable = deliveries.metadata.tablePath;

  return {
    endpoint(id: string): Promise<WebhookEndpointEntity | null> {
      return endpoints.findOneBy({ id });
    },

    /** One page of an organisation's endpoints, newest first (`limit` rows). */
    endpointsPage(
      organisationId: string,
      filter: { unit?: string; status?: 'enabled' | 'disabled' },
      after: ListPosition | undefined,
      limit: number,
    ): Promise<WebhookEndpointEntity[]> {
      const qb = endpoints
        .createQueryBuilder('e')
        .where('e.organisation_id = :org', { org: organisationId })
        .orderBy('e.created_at', 'DESC')
        .addOrderBy('e.id', 'DESC')
        .take(limit);
      if (filter.unit) {
        qb.andWhere('e.unit_id = :unit', { unit: filter.unit });
      }
      if (filter.status) {
        qb.andWhere('e.status = :status', { status: filter.status });
      }
      if (after) {
        qb.andWhere('(e.created_at, e.id) < (:at, :id)', { at: after.createdAt, id: after.id });
      }
      return qb.getMany();
    },

    /** One page of an endpoint's delivery log, newest first (`limit` rows). */
    deliveriesPage(
      endpointId: string,
      status: DeliveryStatus | undefined,
      after: ListPosition | undefined,
      limit: number,
    ): Promise<WebhookDeliveryEntity[]> {
      const qb = deliveries
        .createQueryBuilder('d')
        .where('d.endpoint_id = :id', { id: endpointId })
        .orderBy('d.created_at', 'DESC')
        .addOrderBy('d.id', 'DESC')
        .take(limit);
      if (status) {
        qb.andWhere('d.status = :status', { status });
      }
      if (after) {
        qb.andWhere('(d.created_at, d.id) < (:at, :cid)', { at: after.createdAt, cid: after.id });
      }
      return qb.getMany();
    },

    /** The attempts of the deliveries, newest first. */
    attemptsOf(deliveryIds: string[]): Promise<WebhookAttemptEntity[]> {
      return deliveryIds.length
        ? ds
            .getRepository(WebhookAttemptEntity)
            .createQueryBuilder('a')
            .where('a.delivery_id IN (:...ids)', { ids: deliveryIds })
            .orderBy('a.attempted_at', 'DESC')
            .getMany()
        : Promise.resolve([]);
    },

    // --- the endpoint routes' writes, inside their transaction --------------------------------

    async insertEndpoint(tx: EntityManager, endpoint: WebhookEndpointEntity): Promise<void> {
      await tx.insert(WebhookEndpointEntity, endpoint);
    },

    async updateEndpoint(
      tx: EntityManager,
      id: string,
      changes: Partial<WebhookEndpointEntity>,
    ): Promise<void> {
      await tx.update(WebhookEndpointEntity, { id }, changes);
    },

    async deleteEndpoint(tx: EntityManager, id: string): Promise<void> {
      await tx.delete(WebhookEndpointEntity, { id });
    },

    /** The endpoint, locked for the rest of `tx`. */
    lockEndpoint(tx: EntityManager, id: string): Promise<WebhookEndpointEntity | null> {
      return tx
        .getRepository(WebhookEndpointEntity)
        .findOne({ where: { id }, lock: { mode: 'pessimistic_write' } });
    },

    /** The endpoint's delivery, locked for the rest of `tx` (any endpoint's, without one). */
    lockDelivery(
      tx: EntityManager,
      id: string,
      endpointId?: string,
    ): Promise<WebhookDeliveryEntity | null> {
      return tx.getRepository(WebhookDeliveryEntity).findOne({
        where: endpointId ? { id, endpointId } : { id },
        lock: { mode: 'pessimistic_write' },
      });
    },

    /** The endpoint's status, read in `tx`. */
    async endpointStatus(tx: EntityManager, id: string): Promise<string | undefined> {
      return (await tx.getRepository(WebhookEndpointEntity).findOneBy({ id }))?.status;
    },

    async insertDelivery(tx: EntityManager, delivery: WebhookDeliveryEntity): Promise<void> {
      await tx.insert(WebhookDeliveryEntity, delivery);
    },

    async updateDelivery(
      tx: EntityManager,
      id: string,
      changes: Partial<WebhookDeliveryEntity>,
    ): Promise<void> {
      await tx.update(WebhookDeliveryEntity, { id }, changes);
    },

    // --- the delivery worker's -------------------------------------------------------------

    /**
     * Claims up to `batchSize` due deliveries of enabled endpoints whose lease (if any) ran out,
     * marking them with this worker's lease in one statement; another replica's claims are skipped.
     * Each comes with its endpoint's address and secrets, so that sending starts without another
     * read (the lease runs from the claim).
     */
    async claimDue(
      token: string,
      leaseUntil: Date,
      now: Date,
      batchSize: number,
    ): Promise<ClaimedDelivery[]> {
      const [rows] = (await ds.query(
        `UPDATE ${deliveriesTable} AS d
            SET lease_token = $1, lease_until = $2
           FROM ${endpointsTable} e
          WHERE e.id = d.endpoint_id AND d.id IN (
            SELECT c.id FROM ${deliveriesTable} c
              JOIN ${endpointsTable} e ON e.id = c.endpoint_id AND e.status = 'enabled'
             WHERE c.status IN ('pending', 'retrying') AND c.next_attempt_at <= $3
               AND (c.lease_until IS NULL OR c.lease_until < $3)
             ORDER BY c.next_attempt_at
             LIMIT $4
             FOR UPDATE OF c SKIP LOCKED)
          RETURNING d.id, d.endpoint_id, d.payload, e.url, e.secret_sealed,
                    e.previous_secret_sealed, e.previous_secret_expires_at`,
        [token, leaseUntil, now, batchSize],
      )) as [ClaimedDelivery[], number];
      return rows;
    },

    async insertAttempt(tx: EntityManager, attempt: AttemptRow): Promise<void> {
      await tx.insert(WebhookAttemptEntity, { id: randomUUID(), ...attempt });
    },

    /** A delivered attempt clears the endpoint's failure streak (one statement, no lock if 0). */
    async clearFailures(tx: EntityManager, endpointId: string): Promise<void> {
      await tx
        .createQueryBuilder()
        .update(WebhookEndpointEntity)
        .set({ consecutiveFailures: 0 })
        .where('id = :id AND consecutive_failures <> 0', { id: endpointId })
        .execute();
    },

    /** Nothing more goes out to a disabled endpoint: what was still queued is dead. */
    async killQueued(tx: EntityManager, endpointId: string, now: Date): Promise<void> {
      await tx
        .createQueryBuilder()
        .update(WebhookDeliveryEntity)
        .set({
          status: 'dead',
          lastOutcome: 'endpoint_disabled',
          nextAttemptAt: null,
          updatedAt: now,
        })
        .where("endpoint_id = :id AND status IN ('pending', 'retrying')", { id: endpointId })
        .execute();
    },

    /**
     * Removes up to 5000 finished deliveries (delivered or dead) last changed before `before`,
     * with their attempts; returns how many.
     */
    async prune(before: Date): Promise<number> {
      const [, removed] = (await ds.query(
        `DELETE FROM ${deliveriesTable} WHERE id IN (
           SELECT id FROM ${deliveriesTable} WHERE status IN ('delivered', 'dead') AND updated_at < $1
            LIMIT 5000 FOR UPDATE SKIP LOCKED)`,
        [before],
      )) as [unknown, number];
      return removed;
    },
  };
}

export type WebhooksRepository = ReturnType<typeof createWebhooksRepository>;

// --- the consumers': queue deliveries in the event's transaction -----------------------------

/** The enabled endpoints of the units that subscribe to `type`. */
/**
 * The enabled endpoints of each unit, read once per transaction: a consumer batch handles many
 * events for the same few units in one transaction, and reads them as of its first event (an
 * endpoint enabled meanwhile gets the next batch's events), rather than once per event. Outside a
 * transaction nothing is kept.
 */
const endpointsSeen = new WeakMap<EntityManager, Map<string, WebhookEndpointEntity[]>>();

export async function enabledEndpoints(
  tx: EntityManager,
  units: string[],
): Promise<WebhookEndpointEntity[]> {
  let seen = endpointsSeen.get(tx);
  if (!seen) {
    seen = new Map();
    if (tx.queryRunner?.isTransactionActive) {
      endpointsSeen.set(tx, seen);
    }
  }
  const unread = [...new Set(units)].filter((u) => !seen.has(u));
  if (unread.length > 0) {
    const found = await tx
      .getRepository(WebhookEndpointEntity)
      .createQueryBuilder('e')
      .where("e.status = 'enabled' AND e.unit_id IN (:...unread)", { unread })
      .orderBy('e.id')
      .getMany();
    for (const u of unread) {
      seen.set(
        u,
        found.filter((e) => e.unitId === u),
      );
    }
  }
  return [...new Set(units)].flatMap((u) => seen.get(u) ?? []);
}

/** Queues the deliveries; one an endpoint has for the event already is left alone. */
export async function queueDeliveries(
  tx: EntityManager,
  rows: NewDelivery[],
  now: Date,
): Promise<number> {
  const result = (await tx
    .createQueryBuilder()
    .insert()
    .into(WebhookDeliveryEntity)
    .values(
      rows.map((r) => ({
        ...r,
        status: 'pending' as const,
        attempts: 0,
        createdAt: now,
        updatedAt: now,
      })),
    )
    .orIgnore()
    .returning(['id'])
    .execute()) as { raw: unknown[] };
  return result.raw.length;
}
