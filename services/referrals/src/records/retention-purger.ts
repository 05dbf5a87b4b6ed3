import {
  CommandPipeline,
  PeriodicPass,
  type AuditLog,
  type AuditTarget,
  type PendingEvent,
  type ServiceEvents,
} from '@samverkan/shared';
import type { FastifyBaseLogger } from 'fastify';
import type { DataSource, EntityManager } from 'typeorm';
import {
  cutoffOf,
  fieldRequestPurgeRecord,
  referralPurgeRecord,
  timelinePurgeRecord,
} from './domain/retention';
import type { RetentionConfig } from './retention-config';
import { createRetentionRepository, type RetentionRepository } from './retention.repository';

const SYSTEM = { sub: 'system:retention', org: null, iss: null };

/** What `purge` did, by kind. */
export interface PurgeResult {
  referrals: number;
  fieldRequests: number;
  timelines: number;
  /** false when another replica held the lock */
  ran: boolean;
}

type Claimed = { target: AuditTarget; events: PendingEvent[] } | null;

/**
 * The retention purger (docs/retention.md): a set time after a referral reached its final state
 * its envelope and thread are removed, and after an operation ended its field requests' sealed
 * parts; much later the referral's timeline. A legal hold stops both stages. The clear metadata
 * the statistics count is never touched, so statistics are the same after a purge. Each purge is
 * a row in `content_purges`, an audit entry (carrying the parties, so their auditors see it) and
 * an event, so that the notifications service purges its texts too. The audit log itself is
 * never purged: its chain stays verifiable.
 *
 * A system pass on the write pipeline (`CommandPipeline.drain`): each item is one transaction —
 * its purge, its event and its audit entry. Several replicas may run it: each transaction first
 * takes a transaction-scoped advisory lock, and a replica that does not get it ends its pass.
 */
export class RetentionPurger extends PeriodicPass {
  private readonly repository: RetentionRepository;
  private readonly pipeline: CommandPipeline;

  constructor(
    private readonly deps: {
      dataSource: DataSource;
      events: ServiceEvents;
      audit: AuditLog;
      retention: RetentionConfig;
    },
    log: FastifyBaseLogger,
  ) {
    super(deps.retention.purgeIntervalMs, log, 'retention purge');
    this.repository = createRetentionRepository(deps.dataSource);
    this.pipeline = CommandPipeline.forService(deps);
  }

  async tick(now: Date = new Date()): Promise<number> {
    const result = await this.purge(now);
    return result.referrals + result.fieldRequests + result.timelines;
  }

  /** One pass: every due item, each in its own transaction under the lock. */
  async purge(now: Date = new Date()): Promise<PurgeResult> {
    const { retention } = this.deps;
    const repo = this.repository;
    let locked = true;
    /** One item of a kind: the lock, then `claim` (null when nothing is due). */
    const drain = (claim: (tx: EntityManager) => Promise<Claimed>) =>
      locked
        ? this.pipeline.drain(SYSTEM, async (tx) => {
            if (!(await repo.tryLock(tx))) {
              locked = false;
              return null;
            }
            return claim(tx);
          })
        : Promise.resolve(0);

    const referrals = await drain(async (tx) => {
      const due = await repo.claimDueReferral(tx, cutoffOf(now, retention.contentDays));
      if (!due) {
        return null;
      }
      const cleared = await repo.purgeReferralContent(tx, due, now);
      const { events, detail } = referralPurgeRecord(due, now, retention.contentDays, cleared);
      return { target: this.target('referral.content_purge', 'referral', due.id, detail), events };
    });
    const fieldRequests = await drain(async (tx) => {
      const due = await repo.claimDueFieldRequest(tx, cutoffOf(now, retention.fieldRequestDays));
      if (!due) {
        return null;
      }
      await repo.purgeFieldRequestContent(tx, due, now);
      const { events, detail } = fieldRequestPurgeRecord(due, now, retention.fieldRequestDays);
      return {
        target: this.target('field_request.content_purge', 'field_request', due.id, detail),
        events,
      };
    });
    const timelines = await drain(async (tx) => {
      const id = await repo.claimDueTimeline(tx, cutoffOf(now, retention.timelineDays));
      if (!id) {
        return null;
      }
      const steps = await repo.purgeTimeline(tx, id, now);
      const { events, detail } = timelinePurgeRecord(retention.timelineDays, steps);
      return { target: this.target('referral.timeline_purge', 'referral', id, detail), events };
    });

    const total = { referrals, fieldRequests, timelines, ran: locked };
    if (referrals + fieldRequests + timelines > 0) {
      this.log.info(total, 'purged content past its retention');
    }
    return total;
  }

  private target(
    action: string,
    objectType: string,
    objectId: string,
    detail: Record<string, unknown>,
  ): AuditTarget {
    return { action, objectType, objectId, detail };
  }
}
