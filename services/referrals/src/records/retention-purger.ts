import { PeriodicPass, type AuditLog, type ServiceEvents } from '@samverkan/shared';
import type { FastifyBaseLogger } from 'fastify';
import type { DataSource, EntityManager } from 'typeorm';
import {
  FieldRequestEntity,
  OperationEntity,
  ReferralEntity,
  ReferralEventEntity,
  ReferralMessageEntity,
} from '../entities';
import { ContentPurgeEntity, LegalHoldEntity } from './records.entities';
import type { RetentionConfig } from './retention-config';

/** Purge events (openapi/referrals.events.yaml). */
export const RetentionEvents = {
  referralPurged: 'samverkan.referrals.referral.content_purged',
  fieldRequestPurged: 'samverkan.referrals.field_request.content_purged',
} as const;

/** Final states: nothing more happens to the referral in the hub after one of them. */
export const FINAL_REFERRAL_STATUSES = ['closed', 'declined', 'withdrawn', 'forwarded'] as const;

/** A referral reached its final state at its last change (closing, declining, …). */
export const FINAL_SINCE_SQL = (alias: string) =>
  `COALESCE(${alias}.closed_at, ${alias}.declined_at, ${alias}.updated_at)`;

const DAY_MS = 86_400_000;
const BATCH = 50;
/** One purger at a time across replicas: `pg_try_advisory_xact_lock` on this key. */
export const PURGE_LOCK_KEY = 0x5a4d_7265; // "SMre"

const SYSTEM = { sub: 'system:retention', org: null, iss: null };

/** What `tick` did, by kind. */
export interface PurgeResult {
  referrals: number;
  fieldRequests: number;
  timelines: number;
  /** false when another replica held the lock */
  ran: boolean;
}

/**
 * The retention purger (docs/retention.md): a set time after a referral reached its final state
 * its envelope and thread are removed, and after an operation ended its field requests' sealed
 * parts; much later the referral's timeline. A legal hold stops both stages. The clear metadata
 * the statistics count is never touched, so statistics are the same after a purge. Each purge is
 * a row in `content_purges`, an audit entry (carrying the parties, so their auditors see it) and
 * an event, so that the notifications service purges its texts too. The audit log itself is
 * never purged: its chain stays verifiable.
 *
 * Several replicas may run it: a batch runs under a transaction-scoped advisory lock, and a
 * replica that does not get it skips the pass.
 */
export class RetentionPurger extends PeriodicPass {
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
  }

  private table(entity: Parameters<DataSource['getRepository']>[0]): string {
    return this.deps.dataSource.getRepository(entity).metadata.tablePath;
  }

  async tick(now: Date = new Date()): Promise<number> {
    const result = await this.purge(now);
    return result.referrals + result.fieldRequests + result.timelines;
  }

  /** One pass: every due item, in batches, each batch in one transaction under the lock. */
  async purge(now: Date = new Date()): Promise<PurgeResult> {
    const total: PurgeResult = { referrals: 0, fieldRequests: 0, timelines: 0, ran: true };
    for (;;) {
      const batch = await this.deps.events.transaction(async (tx) => {
        const [lock] = (await tx.query('SELECT pg_try_advisory_xact_lock($1) AS locked', [
          PURGE_LOCK_KEY,
        ])) as Array<{ locked: boolean }>;
        if (!lock?.locked) {
          return null;
        }
        return {
          referrals: await this.purgeReferrals(tx, now),
          fieldRequests: await this.purgeFieldRequests(tx, now),
          timelines: await this.purgeTimelines(tx, now),
        };
      });
      if (!batch) {
        return { ...total, ran: false };
      }
      total.referrals += batch.referrals;
      total.fieldRequests += batch.fieldRequests;
      total.timelines += batch.timelines;
      if (batch.referrals < BATCH && batch.fieldRequests < BATCH && batch.timelines < BATCH) {
        break;
      }
    }
    if (total.referrals + total.fieldRequests + total.timelines > 0) {
      this.log.info(total, 'purged content past its retention');
    }
    return total;
  }

  private async purgeReferrals(tx: EntityManager, now: Date): Promise<number> {
    const cutoff = new Date(now.getTime() - this.deps.retention.contentDays * DAY_MS);
    const due = (await tx.query(
      `SELECT r.id, r.sender_unit_id, r.recipient_unit_id, r.copy_unit_ids, r.category, r.urgency,
              r.status, r.municipality_code, r.envelope_size, ${FINAL_SINCE_SQL('r')} AS final_since
         FROM ${this.table(ReferralEntity)} r
        WHERE r.status = ANY($1) AND ${FINAL_SINCE_SQL('r')} < $2
          AND NOT EXISTS (SELECT 1 FROM ${this.table(ContentPurgeEntity)} p
                           WHERE p.object_type = 'referral' AND p.object_id = r.id)
          AND NOT EXISTS (SELECT 1 FROM ${this.table(LegalHoldEntity)} h WHERE h.referral_id = r.id)
        ORDER BY final_since, r.id
        LIMIT ${BATCH}
        FOR UPDATE OF r SKIP LOCKED`,
      [FINAL_REFERRAL_STATUSES, cutoff],
    )) as Array<Record<string, unknown>>;
    for (const r of due) {
      const id = String(r.id);
      await tx.query(
        `UPDATE ${this.table(ReferralEntity)} SET envelope = jsonb_build_object('purged', $2::text)
          WHERE id = $1`,
        [id, now.toISOString()],
      );
      const [, messages] = (await tx.query(
        `DELETE FROM ${this.table(ReferralMessageEntity)} WHERE referral_id = $1`,
        [id],
      )) as [unknown, number];
      // Rows written before notes were sealed kept free text in clear: the justification column
      // and a `declined` timeline entry's note. They go with the content (docs/retention.md).
      const legacy = await clearLegacyText(
        tx,
        this.table(ReferralEntity),
        this.table(ReferralEventEntity),
        id,
      );
      await tx.insert(ContentPurgeEntity, {
        objectType: 'referral',
        objectId: id,
        purgedAt: now,
        closedAt: r.final_since as Date,
        envelopeBytes: Number(r.envelope_size),
        messagesPurged: Number(messages ?? 0),
        timelinePurgedAt: null,
      });
      await this.deps.events.outbox.append(tx, RetentionEvents.referralPurged, {
        referralId: id,
        senderUnitId: r.sender_unit_id,
        recipientUnitId: r.recipient_unit_id,
        copyUnitIds: r.copy_unit_ids,
        category: r.category,
        urgency: r.urgency,
        status: r.status,
        municipalityCode: r.municipality_code,
        purgedAt: now.toISOString(),
      });
      await this.deps.audit.append(
        {
          actor: SYSTEM,
          action: 'referral.content_purge',
          objectType: 'referral',
          objectId: id,
          outcome: 'allowed',
          detail: {
            finalSince: (r.final_since as Date).toISOString(),
            retentionDays: this.deps.retention.contentDays,
            envelopeBytes: Number(r.envelope_size),
            messages: Number(messages ?? 0),
            ...(legacy > 0 ? { legacyClearTextCleared: legacy } : {}),
          },
        },
        tx,
      );
    }
    return due.length;
  }

  private async purgeFieldRequests(tx: EntityManager, now: Date): Promise<number> {
    const cutoff = new Date(now.getTime() - this.deps.retention.fieldRequestDays * DAY_MS);
    const due = (await tx.query(
      `SELECT f.id, f.operation_id, f.requester_unit_id, f.participant_unit_ids, f.urgency,
              f.status, f.envelope_size, f.needed_by, o.organiser_unit_id, o.coordinator_unit_id,
              COALESCE(o.completed_at, o.cancelled_at) AS ended_at
         FROM ${this.table(FieldRequestEntity)} f
         JOIN ${this.table(OperationEntity)} o ON o.id = f.operation_id
        WHERE o.status IN ('completed', 'cancelled')
          AND COALESCE(o.completed_at, o.cancelled_at) < $1
          AND NOT EXISTS (SELECT 1 FROM ${this.table(ContentPurgeEntity)} p
                           WHERE p.object_type = 'field_request' AND p.object_id = f.id)
        ORDER BY ended_at, f.id
        LIMIT ${BATCH}
        FOR UPDATE OF f SKIP LOCKED`,
      [cutoff],
    )) as Array<Record<string, unknown>>;
    for (const f of due) {
      const id = String(f.id);
      await tx.query(
        `UPDATE ${this.table(FieldRequestEntity)} SET envelope = jsonb_build_object('purged', $2::text)
          WHERE id = $1`,
        [id, now.toISOString()],
      );
      await tx.insert(ContentPurgeEntity, {
        objectType: 'field_request',
        objectId: id,
        purgedAt: now,
        closedAt: f.ended_at as Date,
        envelopeBytes: Number(f.envelope_size),
        messagesPurged: 0,
        timelinePurgedAt: null,
      });
      await this.deps.events.outbox.append(tx, RetentionEvents.fieldRequestPurged, {
        fieldRequestId: id,
        operationId: f.operation_id,
        organiserUnitId: f.organiser_unit_id,
        requesterUnitId: f.requester_unit_id,
        participantUnitIds: f.participant_unit_ids,
        coordinatorUnitId: f.coordinator_unit_id ?? null,
        urgency: f.urgency,
        neededBy: (f.needed_by as Date).toISOString(),
        status: f.status,
        purgedAt: now.toISOString(),
      });
      await this.deps.audit.append(
        {
          actor: SYSTEM,
          action: 'field_request.content_purge',
          objectType: 'field_request',
          objectId: id,
          outcome: 'allowed',
          detail: {
            operationEndedAt: (f.ended_at as Date).toISOString(),
            retentionDays: this.deps.retention.fieldRequestDays,
            envelopeBytes: Number(f.envelope_size),
          },
        },
        tx,
      );
    }
    return due.length;
  }

  /** The second stage: the timeline of a purged referral, long after, unless held. */
  private async purgeTimelines(tx: EntityManager, now: Date): Promise<number> {
    const cutoff = new Date(now.getTime() - this.deps.retention.timelineDays * DAY_MS);
    const due = (await tx.query(
      `SELECT p.object_id AS id FROM ${this.table(ContentPurgeEntity)} p
        WHERE p.object_type = 'referral' AND p.timeline_purged_at IS NULL AND p.closed_at < $1
          AND NOT EXISTS (SELECT 1 FROM ${this.table(LegalHoldEntity)} h WHERE h.referral_id = p.object_id)
        ORDER BY p.closed_at, p.object_id
        LIMIT ${BATCH}
        FOR UPDATE OF p SKIP LOCKED`,
      [cutoff],
    )) as Array<{ id: string }>;
    for (const { id } of due) {
      const [, steps] = (await tx.query(
        `DELETE FROM ${this.table(ReferralEventEntity)} WHERE referral_id = $1`,
        [id],
      )) as [unknown, number];
      await tx.update(
        ContentPurgeEntity,
        { objectType: 'referral', objectId: id },
        { timelinePurgedAt: now },
      );
      await this.deps.audit.append(
        {
          actor: SYSTEM,
          action: 'referral.timeline_purge',
          objectType: 'referral',
          objectId: id,
          outcome: 'allowed',
          detail: { retentionDays: this.deps.retention.timelineDays, steps: Number(steps ?? 0) },
        },
        tx,
      );
    }
    return due.length;
  }
}

/**
 * Nulls what a referral written before sealed notes kept in clear — its `justification` column
 * and the `note` of its `declined` timeline entry — and returns how many were cleared. Used by
 * the purger and by the one-off migration `ClearLegacyClearText` (already purged referrals).
 */
export async function clearLegacyText(
  tx: Pick<EntityManager, 'query'>,
  referrals: string,
  timeline: string,
  referralId: string,
): Promise<number> {
  const [, justifications] = (await tx.query(
    `UPDATE ${referrals} SET justification = NULL WHERE id = $1 AND justification IS NOT NULL`,
    [referralId],
  )) as [unknown, number];
  const [, notes] = (await tx.query(
    `UPDATE ${timeline} SET detail = detail - 'note' WHERE referral_id = $1 AND detail ? 'note'`,
    [referralId],
  )) as [unknown, number];
  return Number(justifications ?? 0) + Number(notes ?? 0);
}
