import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { DataSource, EntitySchema, EntityTarget, MixedList, ObjectLiteral } from 'typeorm';
import { loadAuditSigningKey } from '../audit/audit-key';
import { AuditLog } from '../audit/audit-log';
import { ChainCheckpoints } from '../audit/chain-checkpoints';
import type { ChainLink } from '../audit/hash-chain';
import { serviceDatabaseUrl } from '../config/config';
import { openServiceDatabase } from '../db/data-source';
import { EventCatalog } from '../events/event-catalog';
import { setupServiceEvents, type ServiceEvents } from '../events/service-events';
import { DeliveryPruner } from './delivery-pruner';
import { PeriodicPass } from './periodic-pass';

export interface ServiceRuntime {
  dataSource: DataSource;
  events: ServiceEvents;
  audit: AuditLog;
  checkpoints: ChainCheckpoints;
  /** Adds another hash chain of this schema (the directory's key log) to the scheduled checkpoints. */
  checkpointChain(chain: string, target: EntityTarget<ChainLink & ObjectLiteral>): void;
  /** Stops consumers and the relay, then closes the database; call from the service's onClose. */
  close(): Promise<void>;
}

/**
 * What every service starts with: its own schema in Postgres with its migrations applied, a
 * readiness check on it, the event catalog from its AsyncAPI documents, its outbox, relay and
 * consumers on the process's transport, and its audit log.
 */
export async function openServiceRuntime(
  app: FastifyInstance,
  options: {
    service: string;
    // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
    entities: MixedList<Function | string | EntitySchema>;
    // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
    migrations: MixedList<Function | string>;
    /** AsyncAPI documents of the events it publishes and consumes */
    eventDocuments: string[];
    /** false for tools that only write: events stay in the outbox for the running service */
    publishEvents?: boolean;
    /**
     * Requests write audit entries unchained and a chainer links them after commit (the schema
     * needs `audit_pending`; docs/audit.md, "Unchained entries and the chainer").
     */
    deferredAuditChain?: boolean;
  },
): Promise<ServiceRuntime> {
  const { config } = app.platform;
  const dataSource = await openServiceDatabase({
    url: serviceDatabaseUrl(config, options.service) ?? app.platform.databaseUrl,
    schema: options.service,
    entities: options.entities,
    migrations: options.migrations,
    poolSize: config.DATABASE_POOL_SIZE,
    applicationName: `samverkan-${options.service}`,
  });
  app.platform.readiness.add({
    name: `${options.service}.postgres`,
    critical: true,
    run: async () => {
      await dataSource.query('SELECT 1');
      return 'ok';
    },
  });
  app.metrics.watchOutbox(options.service, dataSource);
  const events = await setupServiceEvents(app, {
    service: options.service,
    dataSource,
    catalog: EventCatalog.fromFiles(...options.eventDocuments),
    transport: app.platform.events,
    pollIntervalMs: config.OUTBOX_POLL_INTERVAL_MS,
    startRelay: options.publishEvents !== false,
  });
  const checkpoints = new ChainCheckpoints({
    service: options.service,
    dataSource,
    events,
    key: await loadAuditSigningKey({
      service: options.service,
      keysDir: path.resolve(
        config.AUDIT_KEYS_DIR ?? path.join(config.SAMVERKAN_DATA_DIR, 'audit-keys'),
      ),
    }),
  });
  const audit = new AuditLog(dataSource, checkpoints, {
    deferredChain: options.deferredAuditChain
      ? { pollIntervalMs: config.AUDIT_CHAIN_POLL_INTERVAL_MS, log: app.log }
      : undefined,
  });
  const chainer = audit.chainer;
  if (chainer) {
    // Every transaction of the service may have written entries: wake the chainer after commit.
    const transaction = events.transaction.bind(events);
    events.transaction = async (fn) => {
      const result = await transaction(fn);
      chainer.poke();
      return result;
    };
    app.platform.readiness.add({
      name: `${options.service}.audit_chain`,
      critical: false,
      async run() {
        const stats = await chainer.stats();
        // Entries waiting a minute mean no chainer is linking them.
        return stats.oldestPendingAgeMs !== null && stats.oldestPendingAgeMs > 60_000
          ? 'degraded'
          : 'ok';
      },
    });
  }
  app.log.info(
    { service: options.service, auditKid: checkpoints.key.kid },
    'audit checkpoints are signed with this key id',
  );
  const pass = new CheckpointPass(config.AUDIT_CHECKPOINT_INTERVAL_MS, app, checkpoints, audit);
  const pruner = new DeliveryPruner(
    dataSource,
    {
      outboxHours: config.OUTBOX_RETENTION_HOURS,
      processedEventsHours: config.PROCESSED_EVENTS_RETENTION_HOURS,
      idempotencyHours: config.IDEMPOTENCY_RETENTION_HOURS,
    },
    config.DELIVERY_PRUNE_INTERVAL_MS,
    app.log,
  );
  if (options.publishEvents !== false) {
    app.addHook('onReady', async () => {
      chainer?.start();
      pass.start();
      pruner.start();
    });
  }
  return {
    dataSource,
    events,
    audit,
    checkpoints,
    checkpointChain: (chain, target) => pass.chains.push({ chain, target }),
    async close() {
      await pruner.stop();
      await pass.stop();
      await chainer?.stop();
      await events.close();
      await dataSource.destroy();
    },
  };
}

/** Signs the head of each chain on a schedule, when it moved since the last checkpoint. */
class CheckpointPass extends PeriodicPass {
  readonly chains: Array<{ chain: string; target: EntityTarget<ChainLink & ObjectLiteral> }> = [];

  constructor(
    intervalMs: number,
    app: FastifyInstance,
    private readonly checkpoints: ChainCheckpoints,
    private readonly audit: AuditLog,
  ) {
    super(intervalMs, app.log, 'audit checkpoint');
  }

  async tick(): Promise<number> {
    let created = 0;
    if ((await this.audit.checkpoint({ onlyIfMoved: true })).created) {
      created += 1;
    }
    for (const { chain, target } of this.chains) {
      if ((await this.checkpoints.checkpoint(chain, target, { onlyIfMoved: true })).created) {
        created += 1;
      }
    }
    return created;
  }
}
