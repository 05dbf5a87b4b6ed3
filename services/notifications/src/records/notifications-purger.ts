import { PeriodicPass, type AuditLog } from '@samverkan/shared';
import type { FastifyBaseLogger } from 'fastify';
import type { DataSource } from 'typeorm';
import { deleteOlderThan, tryPurgeLock } from './repository';
import type { NotificationsRetention } from './retention-config';

const DAY_MS = 86_400_000;
const BATCH = 5000;
/** One purger at a time across replicas. */
export const NOTIFICATIONS_PURGE_LOCK_KEY = 0x5a4d_6e6f; // "SMno"

/**
 * Deletes notifications older than the retention period (docs/retention.md), read or not, and
 * the settled escalation timers of that age, in batches under a transaction-scoped advisory lock
 * (a replica that does not get it skips the pass). Each batch is one audit entry with the count
 * and the cut-off: the notifications carried no personal data, and the audit entries about them
 * stay, so the chain stays verifiable.
 */
export class NotificationsPurger extends PeriodicPass {
  constructor(
    private readonly deps: {
      dataSource: DataSource;
      audit: AuditLog;
      retention: NotificationsRetention;
    },
    log: FastifyBaseLogger,
  ) {
    super(deps.retention.purgeIntervalMs, log, 'notification retention purge');
  }

  async tick(now: Date = new Date()): Promise<number> {
    const cutoff = new Date(now.getTime() - this.deps.retention.days * DAY_MS);
    let total = 0;
    for (;;) {
      const deleted = await this.deps.dataSource.transaction(async (tx) => {
        if (!(await tryPurgeLock(tx, NOTIFICATIONS_PURGE_LOCK_KEY))) {
          return -1;
        }
        const { notifications: n, timers: t } = await deleteOlderThan(tx, cutoff, BATCH);
        if (n + t > 0) {
          await this.deps.audit.append(
            {
              actor: { sub: 'system:retention', org: null, iss: null },
              action: 'notification.retention_purge',
              objectType: 'notifications',
              outcome: 'allowed',
              detail: {
                olderThan: cutoff.toISOString(),
                retentionDays: this.deps.retention.days,
                notifications: n,
                escalationTimers: t,
              },
            },
            tx,
          );
        }
        return n + t;
      });
      if (deleted <= 0) {
        break;
      }
      total += deleted;
      if (deleted < BATCH) {
        break;
      }
    }
    if (total > 0) {
      this.log.info({ deleted: total }, 'purged notifications past their retention');
    }
    return total;
  }
}
