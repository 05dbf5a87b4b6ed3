import type { DataSource, EntityManager } from 'typeorm';
import {
  FieldRequestEntity,
  OperationEntity,
  ReferralEntity,
  ReferralEventEntity,
  ReferralMessageEntity,
} from '../entities';
import {
  FINAL_REFERRAL_STATUSES,
  type DueFieldRequest,
  type DueReferral,
} from './domain/retention';
import { ContentPurgeEntity, LegalHoldEntity } from './records.entities';

/** One purger at a time across replicas: `pg_try_advisory_xact_lock` on this key. */
export const PURGE_LOCK_KEY = 0x5a4d_7265; // "SMre"

/** A referral reached its final state at its last change (closing, declining, …). */
export const FINAL_SINCE_SQL = (alias: string) =>
  `COALESCE(${alias}.closed_at, ${alias}.declined_at, ${alias}.updated_at)`;

type Row = Record<string, unknown>;

/**
 * The retention purger's storage (docs/retention.md): what is due, claimed one item at a time
 * (`FOR UPDATE SKIP LOCKED`, so replicas share the work), and each purge as one statement. Each
 * function runs in the caller's transaction; nothing here decides what is due when.
 */
export function createRetentionRepository(dataSource: DataSource) {
  const table = (entity: Parameters<DataSource['getRepository']>[0]) =>
    dataSource.getRepository(entity).metadata.tablePath;
  const referrals = table(ReferralEntity);
  const timeline = table(ReferralEventEntity);
  const messages = table(ReferralMessageEntity);
  const fieldRequests = table(FieldRequestEntity);
  const operations = table(OperationEntity);
  const purges = table(ContentPurgeEntity);
  const holds = table(LegalHoldEntity);

  return {
    /** The purger's lock for the rest of `tx`; false when another replica holds it. */
    async tryLock(tx: EntityManager): Promise<boolean> {
      const [lock] = (await tx.query('SELECT pg_try_advisory_xact_lock($1) AS locked', [
        PURGE_LOCK_KEY,
      ])) as Array<{ locked: boolean }>;
      return lock?.locked === true;
    },

    /** The referral final longest before `cutoff`, not purged nor held, locked for `tx`. */
    async claimDueReferral(tx: EntityManager, cutoff: Date): Promise<DueReferral | null> {
      const [r] = (await tx.query(
        `SELECT r.id, r.sender_unit_id, r.recipient_unit_id, r.copy_unit_ids, r.category,
                r.urgency, r.status, r.municipality_code, r.envelope_size,
                ${FINAL_SINCE_SQL('r')} AS final_since
           FROM ${referrals} r
          WHERE r.status = ANY($1) AND ${FINAL_SINCE_SQL('r')} < $2
            AND NOT EXISTS (SELECT 1 FROM ${purges} p
                             WHERE p.object_type = 'referral' AND p.object_id = r.id)
            AND NOT EXISTS (SELECT 1 FROM ${holds} h WHERE h.referral_id = r.id)
          ORDER BY final_since, r.id
          LIMIT 1
          FOR UPDATE OF r SKIP LOCKED`,
        [FINAL_REFERRAL_STATUSES, cutoff],
      )) as Row[];
      return r
        ? {
            id: String(r.id),
            senderUnitId: r.sender_unit_id as string,
            recipientUnitId: r.recipient_unit_id as string,
            copyUnitIds: r.copy_unit_ids as string[],
            category: r.category as string,
            urgency: r.urgency as string,
            status: r.status as string,
            municipalityCode: r.municipality_code as string,
            envelopeSize: Number(r.envelope_size),
            finalSince: r.final_since as Date,
          }
        : null;
    },

    /**
     * Removes a referral's content in one statement: the envelope (a marker in its place), the
     * message thread, and what rows written before notes were sealed kept in clear (the
     * justification column, a `declined` timeline entry's note); records the purge. Returns what
     * it removed.
     */
    async purgeReferralContent(
      tx: EntityManager,
      r: Pick<DueReferral, 'id' | 'finalSince' | 'envelopeSize'>,
      now: Date,
    ): Promise<{ messages: number; legacyClearText: number }> {
      const [row] = (await tx.query(
        `WITH justification AS (
           SELECT 1 FROM ${referrals} WHERE id = $1 AND justification IS NOT NULL
         ), envelope AS (
           UPDATE ${referrals} SET envelope = jsonb_build_object('purged', $2::text),
                  justification = NULL
            WHERE id = $1 RETURNING 1
         ), thread AS (
           DELETE FROM ${messages} WHERE referral_id = $1 RETURNING 1
         ), notes AS (
           UPDATE ${timeline} SET detail = detail - 'note'
            WHERE referral_id = $1 AND detail ? 'note' RETURNING 1
         ), purge AS (
           INSERT INTO ${purges} (object_type, object_id, purged_at, closed_at, envelope_bytes,
                                  messages_purged, timeline_purged_at)
           SELECT 'referral', $1::uuid, $3::timestamptz, $4::timestamptz, $5::int,
                  (SELECT count(*) FROM thread)::int, NULL
           RETURNING 1
         )
         SELECT (SELECT count(*) FROM thread)::int AS messages,
                ((SELECT count(*) FROM justification) + (SELECT count(*) FROM notes))::int AS legacy,
                (SELECT count(*) FROM envelope)::int + (SELECT count(*) FROM purge)::int AS written`,
        [r.id, now.toISOString(), now, r.finalSince, r.envelopeSize],
      )) as Array<{ messages: number; legacy: number }>;
      return { messages: row?.messages ?? 0, legacyClearText: row?.legacy ?? 0 };
    },

    /** The field request of the operation that ended longest before `cutoff`, not purged, locked. */
    async claimDueFieldRequest(tx: EntityManager, cutoff: Date): Promise<DueFieldRequest | null> {
      const [f] = (await tx.query(
        `SELECT f.id, f.operation_id, f.requester_unit_id, f.participant_unit_ids, f.urgency,
                f.status, f.envelope_size, f.needed_by, o.organiser_unit_id, o.coordinator_unit_id,
                COALESCE(o.completed_at, o.cancelled_at) AS ended_at
           FROM ${fieldRequests} f
           JOIN ${operations} o ON o.id = f.operation_id
          WHERE o.status IN ('completed', 'cancelled')
            AND COALESCE(o.completed_at, o.cancelled_at) < $1
            AND NOT EXISTS (SELECT 1 FROM ${purges} p
                             WHERE p.object_type = 'field_request' AND p.object_id = f.id)
          ORDER BY ended_at, f.id
          LIMIT 1
          FOR UPDATE OF f SKIP LOCKED`,
        [cutoff],
      )) as Row[];
      return f
        ? {
            id: String(f.id),
            operationId: f.operation_id as string,
            requesterUnitId: f.requester_unit_id as string,
            participantUnitIds: f.participant_unit_ids as string[],
            urgency: f.urgency as string,
            status: f.status as string,
            envelopeSize: Number(f.envelope_size),
            neededBy: f.needed_by as Date,
            organiserUnitId: f.organiser_unit_id as string,
            coordinatorUnitId: (f.coordinator_unit_id as string | null) ?? null,
            endedAt: f.ended_at as Date,
          }
        : null;
    },

    /** Removes a field request's sealed part and records the purge, in one statement. */
    async purgeFieldRequestContent(
      tx: EntityManager,
      f: Pick<DueFieldRequest, 'id' | 'endedAt' | 'envelopeSize'>,
      now: Date,
    ): Promise<void> {
      await tx.query(
        `WITH envelope AS (
           UPDATE ${fieldRequests} SET envelope = jsonb_build_object('purged', $2::text)
            WHERE id = $1 RETURNING 1
         )
         INSERT INTO ${purges} (object_type, object_id, purged_at, closed_at, envelope_bytes,
                                messages_purged, timeline_purged_at)
         SELECT 'field_request', $1::uuid, $3::timestamptz, $4::timestamptz, $5::int, 0, NULL
           FROM envelope`,
        [f.id, now.toISOString(), now, f.endedAt, f.envelopeSize],
      );
    },

    /** A purged referral whose timeline is due (closed before `cutoff`), not held, locked. */
    async claimDueTimeline(tx: EntityManager, cutoff: Date): Promise<string | null> {
      const [p] = (await tx.query(
        `SELECT p.object_id AS id FROM ${purges} p
          WHERE p.object_type = 'referral' AND p.timeline_purged_at IS NULL AND p.closed_at < $1
            AND NOT EXISTS (SELECT 1 FROM ${holds} h WHERE h.referral_id = p.object_id)
          ORDER BY p.closed_at, p.object_id
          LIMIT 1
          FOR UPDATE OF p SKIP LOCKED`,
        [cutoff],
      )) as Array<{ id: string }>;
      return p?.id ?? null;
    },

    /** Removes the referral's timeline and records when, in one statement; returns its steps. */
    async purgeTimeline(tx: EntityManager, referralId: string, now: Date): Promise<number> {
      const [row] = (await tx.query(
        `WITH steps AS (
           DELETE FROM ${timeline} WHERE referral_id = $1 RETURNING 1
         ), marked AS (
           UPDATE ${purges} SET timeline_purged_at = $2
            WHERE object_type = 'referral' AND object_id = $1 RETURNING 1
         )
         SELECT (SELECT count(*) FROM steps)::int AS steps,
                (SELECT count(*) FROM marked)::int AS marked`,
        [referralId, now],
      )) as Array<{ steps: number }>;
      return row?.steps ?? 0;
    },
  };
}

export type RetentionRepository = ReturnType<typeof createRetentionRepository>;
