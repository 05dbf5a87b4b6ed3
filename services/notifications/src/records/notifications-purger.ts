import { PeriodicPass, type CommandPipeline } from '@samverkan/shared';
import type { FastifyBaseLogger } from 'fastify';
import { deleteOlderThan, tryPurgeLock } from './repository';
import type { NotificationsRetention } from './retention-config';

const DAY_MS = 86_400_000;
const BATCH = 5000;
const SYSTEM = { sub: 'system:retention', org: null, iss: null };
/** One purger at a time across replicas. */
export const NOTIFICATIONS_PURGE_LOCK_KEY = 0x5a4d_6e6f; // "SMno"

/**
 * Deletes notifications older than the retention period (docs/retention.md), read or not, and
 * the settled escalation timers of that age. A system pass on the write pipeline
 * (`CommandPipeline.drain`), as the referrals service's purger is: each item is one batch, one
 * transaction — its deletes and one audit entry with the counts and the cut-off. Each transaction
 * first takes a transaction-scoped advisory lock; a replica that does not get it ends its pass.
 * The notifications carried no personal data, and the audit entries about them stay, so the chain
 * stays verifiable.
 */
export class NotificationsPurger extends PeriodicPass {
  constructor(
    private readonly deps: {
      pipeline: CommandPipeline;
      retention: NotificationsRetention;
    },
    log: FastifyBaseLogger,
  ) {
    super(deps.retention.purgeIntervalMs, log, 'notification retention purge');
  }

  /** One pass; returns how many notifications and timers it deleted. */
  async tick(now: Date = new Date()): Promise<number> {
    const { retention } = this.deps;
    const cutoff = new Date(now.getTime() - retention.days * DAY_MS);
    let total = 0;
    await this.deps.pipeline.drain(SYSTEM, async (tx) => {
      if (!(await tryPurgeLock(tx, NOTIFICATIONS_PURGE_LOCK_KEY))) {
        return null;
      }
      const { notifications, timers } = await deleteOlderThan(tx, cutoff, BATCH);
      if (notifications + timers === 0) {
        return null;
      }
      total += notifications + timers;
      return {
        target: {
          action: 'notification.retention_purge',
          objectType: 'notifications',
          objectId: null,
          detail: {
            olderThan: cutoff.toISOString(),
            retentionDays: retention.days,
            notifications,
            escalationTimers: timers,
          },
        },
        events: [],
      };
    });
    if (total > 0) {
      this.log.info({ deleted: total }, 'purged notifications past their retention');
    }
    return total;
  }
}
