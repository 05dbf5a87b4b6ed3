import { randomUUID } from 'node:crypto';
import type { CommandPipeline, PlatformMetrics } from '@samverkan/shared';
import type { FastifyBaseLogger } from 'fastify';
import type { DataSource } from 'typeorm';
import { afterFailure, decideAfterAttempt, delivered, type AttemptResult } from './delivery-state';
import {
  createWebhooksRepository,
  type ClaimedDelivery,
  type WebhooksRepository,
} from './repository';
import { signPayload } from './signing';
import type { WebhookConfig } from './webhook-config';
import { sendWebhook } from './webhook-sender';

export const ENDPOINT_DISABLED_EVENT = 'samverkan.notifications.webhook.endpoint_disabled';

/** The worker's audit actor (an endpoint it disables). */
const SYSTEM = { sub: 'system:webhook-delivery', org: null, iss: null };

/** How often a worker trims the delivery log. */
const PRUNE_EVERY_MS = 60 * 60_000;

/**
 * Sends due deliveries. A replica claims a batch with `FOR UPDATE SKIP LOCKED` and marks it with
 * a lease (its token and an expiry) in one short statement, sends outside any transaction, then
 * records each outcome only if it still holds the lease: several replicas share the work without
 * sending a message twice, and what a crashed replica had claimed is taken over once its lease
 * runs out (at least once, as webhooks are; receivers de-duplicate on `webhook-id`).
 */
export class WebhookDeliveryWorker {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = true;
  private again = false;
  private lastPrune = 0;
  private readonly repo: WebhooksRepository;

  constructor(
    private readonly deps: {
      dataSource: DataSource;
      /** the service's write pipeline: every outcome is recorded through it */
      pipeline: CommandPipeline;
      config: WebhookConfig;
      log: FastifyBaseLogger;
      metrics?: PlatformMetrics;
    },
  ) {
    this.repo = createWebhooksRepository(deps.dataSource);
  }

  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  /** Look for due deliveries now (after a commit that queued some). */
  poke(): void {
    if (this.stopped) {
      return;
    }
    if (this.running) {
      this.again = true;
      return;
    }
    this.schedule(0);
  }

  private schedule(delayMs: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.running = this.loop().finally(() => {
        this.running = undefined;
        if (!this.stopped) {
          this.schedule(this.again ? 0 : this.deps.config.pollIntervalMs);
          this.again = false;
        }
      });
    }, delayMs);
  }

  private async loop(): Promise<void> {
    try {
      if (Date.now() - this.lastPrune > PRUNE_EVERY_MS) {
        this.lastPrune = Date.now();
        await this.prune();
      }
      while (!this.stopped) {
        const handled = await this.runOnce();
        if (handled < this.deps.config.batchSize) {
          return;
        }
      }
    } catch (err) {
      this.deps.log.error({ err }, 'webhook delivery round failed');
    }
  }

  /**
   * Removes finished deliveries (delivered or dead) older than the retention from the log, with
   * their attempts, a bounded number at a time; returns how many it removed.
   */
  async prune(now = new Date()): Promise<number> {
    return this.repo.prune(new Date(now.getTime() - this.deps.config.logRetentionMs));
  }

  /** Claims and sends one batch; returns how many deliveries it handled. */
  async runOnce(): Promise<number> {
    const { config } = this.deps;
    const token = randomUUID();
    const now = new Date();
    const rows = await this.repo.claimDue(
      token,
      new Date(now.getTime() + config.leaseMs),
      now,
      config.batchSize,
    );
    await Promise.all(rows.map((row) => this.deliver(row, token)));
    return rows.length;
  }

  private async deliver(row: ClaimedDelivery, token: string): Promise<void> {
    const { config } = this.deps;
    const startedAt = new Date();
    let result: AttemptResult;
    try {
      const secrets = [config.secretBox.open(row.secret_sealed, row.endpoint_id)];
      if (
        row.previous_secret_sealed &&
        row.previous_secret_expires_at &&
        row.previous_secret_expires_at > startedAt
      ) {
        secrets.push(config.secretBox.open(row.previous_secret_sealed, row.endpoint_id));
      }
      const headers = signPayload(row.id, startedAt, row.payload, secrets);
      result = await sendWebhook(
        { url: row.url, body: row.payload, headers: { ...headers } },
        { policy: config.destinations, timeoutMs: config.timeoutMs },
      );
    } catch (err) {
      // A secret that will not open (wrong key in configuration) is the operator's to fix:
      // leave the delivery to be retried once the lease runs out.
      this.deps.log.error(
        { err, endpointId: row.endpoint_id, deliveryId: row.id },
        'webhook not sent',
      );
      return;
    }
    await this.record(row, token, startedAt, result);
  }

  private attempt(
    deliveryId: string,
    startedAt: Date,
    now: Date,
    result: AttemptResult,
    outcome: string,
  ) {
    this.deps.metrics?.webhookDeliveries.inc({ outcome });
    return {
      deliveryId,
      attemptedAt: startedAt,
      durationMs: Math.max(0, now.getTime() - startedAt.getTime()),
      statusCode: result.kind === 'response' ? result.status : null,
      outcome,
    };
  }

  private async record(
    row: ClaimedDelivery,
    token: string,
    startedAt: Date,
    result: AttemptResult,
  ): Promise<void> {
    const { pipeline, config, log } = this.deps;
    const { repo } = this;
    const now = new Date();
    if (delivered(result)) {
      await this.recordSuccess(row, token, startedAt, result, now);
      return;
    }
    await pipeline.systemChange(SYSTEM, async (tx) => {
      const unchanged = { target: null, events: [], result: undefined };
      // The endpoint row is locked first: its failure streak is counted across deliveries.
      const endpoint = await repo.lockEndpoint(tx, row.endpoint_id);
      const delivery = await repo.lockDelivery(tx, row.id);
      if (!endpoint || !delivery || delivery.leaseToken !== token) {
        return unchanged; // deleted meanwhile, or the lease ran out and another replica took it
      }
      const decision = decideAfterAttempt(delivery, result, {
        policy: config.retry,
        now,
        consecutiveFailures: endpoint.consecutiveFailures,
        disableAfterFailures: config.disableAfterFailures,
      });
      const failed = afterFailure(decision, endpoint);
      await repo.insertAttempt(
        tx,
        this.attempt(delivery.id, startedAt, now, result, decision.outcome),
      );
      await repo.updateDelivery(tx, delivery.id, {
        status: failed.status,
        attempts: decision.attempts,
        nextAttemptAt: failed.status === 'retrying' ? decision.nextAttemptAt : null,
        lastOutcome: decision.outcome,
        leaseToken: null,
        leaseUntil: null,
        updatedAt: now,
      });
      if (!failed.disable) {
        await repo.updateEndpoint(tx, endpoint.id, { consecutiveFailures: failed.failures });
        return unchanged;
      }
      await repo.updateEndpoint(tx, endpoint.id, {
        consecutiveFailures: failed.failures,
        status: 'disabled',
        disabledReason: failed.disable,
        disabledAt: now,
        updatedAt: now,
      });
      // Nothing more goes out to it; what was still queued can be redelivered once re-enabled.
      await repo.killQueued(tx, endpoint.id, now);
      log.warn(
        { endpointId: endpoint.id, unitId: endpoint.unitId, reason: failed.disable },
        'webhook endpoint disabled',
      );
      return {
        target: {
          action: 'webhook.disable',
          objectType: 'webhook_endpoint',
          objectId: endpoint.id,
          objectOrg: endpoint.organisationId,
          detail: { reason: failed.disable, deliveryId: delivery.id },
        },
        events: [
          {
            type: ENDPOINT_DISABLED_EVENT,
            data: {
              endpointId: endpoint.id,
              unitId: endpoint.unitId,
              organisationId: endpoint.organisationId,
              reason: failed.disable,
            },
          },
        ],
        result: undefined,
      };
    });
  }

  /**
   * A delivered attempt locks its own delivery row only, not the endpoint's: the deliveries of a
   * burst to one endpoint are recorded side by side instead of one after another. (Recorded one
   * after another, the last of a large batch could be recorded only after its lease had run out,
   * and another replica would send it again.) The failure streak is reset in one statement.
   */
  private async recordSuccess(
    row: ClaimedDelivery,
    token: string,
    startedAt: Date,
    result: AttemptResult,
    now: Date,
  ): Promise<void> {
    const { pipeline, config } = this.deps;
    const { repo } = this;
    await pipeline.systemChange(SYSTEM, async (tx) => {
      const unchanged = { target: null, events: [], result: undefined };
      const delivery = await repo.lockDelivery(tx, row.id);
      if (!delivery || delivery.leaseToken !== token) {
        return unchanged; // deleted meanwhile, or the lease ran out and another replica took it
      }
      const decision = decideAfterAttempt(delivery, result, {
        policy: config.retry,
        now,
        consecutiveFailures: 0,
        disableAfterFailures: config.disableAfterFailures,
      });
      await repo.insertAttempt(
        tx,
        this.attempt(delivery.id, startedAt, now, result, decision.outcome),
      );
      await repo.updateDelivery(tx, delivery.id, {
        status: decision.status,
        attempts: decision.attempts,
        nextAttemptAt: null,
        lastOutcome: decision.outcome,
        deliveredAt: now,
        leaseToken: null,
        leaseUntil: null,
        updatedAt: now,
      });
      await repo.clearFailures(tx, row.endpoint_id);
      return unchanged;
    });
  }
}
