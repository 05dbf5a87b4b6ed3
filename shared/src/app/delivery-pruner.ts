import type { FastifyBaseLogger } from 'fastify';
import type { DataSource } from 'typeorm';
import {
  IdempotencyRecordEntity,
  OutboxEventEntity,
  ProcessedEventEntity,
} from '../entities/platform.entities';
import { PeriodicPass } from './periodic-pass';

export interface DeliveryRetention {
  /** published outbox rows older than this are deleted (unpublished ones never are) */
  outboxHours: number;
  /** a consumer's record of a handled event, kept well past any redelivery */
  processedEventsHours: number;
  /** finished idempotency records; at least the 24 hours the API documents */
  idempotencyHours: number;
}

const BATCH = 5000;
const HOUR = 3_600_000;

/**
 * Prunes the tables that only serve delivery (docs/audit.md): published outbox rows, processed-event
 * records and finished idempotency records past their retention, in batches so that no statement
 * holds a table for long. Every replica may run it; the deletes do not conflict.
 */
export class DeliveryPruner extends PeriodicPass {
  constructor(
    private readonly dataSource: DataSource,
    private readonly retention: DeliveryRetention,
    intervalMs: number,
    log: FastifyBaseLogger,
  ) {
    super(intervalMs, log, 'delivery pruning');
  }

  private table(entity: Parameters<DataSource['getRepository']>[0]): string {
    return this.dataSource.getRepository(entity).metadata.tablePath;
  }

  private async deleteAll(sql: string, before: Date): Promise<number> {
    let total = 0;
    for (;;) {
      const result = (await this.dataSource.query(sql, [before, BATCH])) as [unknown, number];
      const deleted = Number(result[1] ?? 0);
      total += deleted;
      if (deleted < BATCH) {
        return total;
      }
    }
  }

  async tick(now: Date = new Date()): Promise<number> {
    const ago = (hours: number) => new Date(now.getTime() - hours * HOUR);
    const outbox = this.table(OutboxEventEntity);
    const processed = this.table(ProcessedEventEntity);
    const idempotency = this.table(IdempotencyRecordEntity);
    const deleted =
      (await this.deleteAll(
        `DELETE FROM ${outbox} WHERE position IN (
           SELECT position FROM ${outbox}
            WHERE published_at IS NOT NULL AND published_at < $1 LIMIT $2)`,
        ago(this.retention.outboxHours),
      )) +
      (await this.deleteAll(
        `DELETE FROM ${processed} WHERE (consumer, event_id) IN (
           SELECT consumer, event_id FROM ${processed} WHERE processed_at < $1 LIMIT $2)`,
        ago(this.retention.processedEventsHours),
      )) +
      (await this.deleteAll(
        `DELETE FROM ${idempotency} WHERE (principal, key) IN (
           SELECT principal, key FROM ${idempotency}
            WHERE state = 'done' AND created_at < $1 LIMIT $2)`,
        ago(this.retention.idempotencyHours),
      ));
    if (deleted > 0) {
      this.log.info({ deleted }, 'pruned delivery tables');
    }
    return deleted;
  }
}
