import { AuditEntryEntity, type StatementBuilder } from '@samverkan/shared';
import type { DataSource } from 'typeorm';
import { OperationShiftEntity } from '../entities';
import {
  MAX_PERIOD_ENTRIES,
  type LoadedReview,
  type ReviewItemRecord,
  type ReviewRecord,
} from './domain/log-reviews';
import type { ReviewEntry, ReviewShift } from './log-review';
import { OnCallShiftEntity } from './on-call-shift.entity';
import { AuditReviewEntity, AuditReviewItemEntity } from './records.entities';

type Row = Record<string, unknown>;

const ms = (column: string) => `(extract(epoch FROM ${column}) * 1000)::float8`;
const dateOf = (value: unknown) => (value === null ? null : new Date(Number(value)));

/**
 * Log reviews' storage (docs/log-review.md): a review with its items in one statement, the
 * audit entries and shifts of a period, and the write pipeline's statements (a new review with
 * its items, a finding, a sign-off), each guarded on the review being open.
 */
export function createLogReviewsRepository(dataSource: DataSource) {
  const table = (entity: Parameters<DataSource['getRepository']>[0]) =>
    dataSource.getRepository(entity).metadata.tablePath;
  const reviews = table(AuditReviewEntity);
  const items = table(AuditReviewItemEntity);
  const audit = table(AuditEntryEntity);
  const operationShifts = table(OperationShiftEntity);
  const onCall = table(OnCallShiftEntity);

  const reviewColumns = `r.id, r.organisation_id, r.period_from, r.period_to, r.sample_size,
    r.seed, r.head_seq::text AS head_seq, r.reads_in_period, r.created_by, r.created_by_issuer,
    r.created_at, r.status, r.signed_off_by, r.signed_off_by_issuer, r.signed_off_at,
    r.conclusion, r.version`;

  const reviewOf = (r: Row): ReviewRecord => ({
    id: String(r.id),
    organisationId: r.organisation_id as string,
    periodFrom: r.period_from as Date,
    periodTo: r.period_to as Date,
    sampleSize: Number(r.sample_size),
    seed: r.seed as string,
    headSeq: String(r.head_seq),
    readsInPeriod: Number(r.reads_in_period),
    createdBy: r.created_by as string,
    createdByIssuer: (r.created_by_issuer as string | null) ?? null,
    createdAt: r.created_at as Date,
    status: r.status as string,
    signedOffBy: (r.signed_off_by as string | null) ?? null,
    signedOffByIssuer: (r.signed_off_by_issuer as string | null) ?? null,
    signedOffAt: (r.signed_off_at as Date | null) ?? null,
    conclusion: (r.conclusion as string | null) ?? null,
    version: Number(r.version),
  });

  return {
    /** The review and its items (in order), or null. */
    async load(id: string): Promise<LoadedReview | null> {
      const [r] = (await dataSource.query(
        `SELECT ${reviewColumns},
                COALESCE((SELECT json_agg(json_build_object(
                  'itemNo', i.item_no, 'auditSeq', i.audit_seq::text, 'at', ${ms('i.at')},
                  'actorSub', i.actor_sub, 'actorIssuer', i.actor_issuer, 'actorOrg', i.actor_org,
                  'action', i.action, 'objectType', i.object_type, 'objectId', i.object_id,
                  'outcome', i.outcome, 'reasons', i.reasons, 'finding', i.finding,
                  'findingReference', i.finding_reference, 'foundBy', i.found_by,
                  'foundByIssuer', i.found_by_issuer, 'foundAt', ${ms('i.found_at')})
                  ORDER BY i.item_no) FROM ${items} i WHERE i.review_id = r.id), '[]') AS items
           FROM ${reviews} r WHERE r.id = $1`,
        [id],
      )) as Row[];
      if (!r) {
        return null;
      }
      return {
        review: reviewOf(r),
        items: (r.items as Row[]).map((i): ReviewItemRecord => ({
          itemNo: Number(i.itemNo),
          auditSeq: String(i.auditSeq),
          at: dateOf(i.at)!,
          actorSub: i.actorSub as string,
          actorIssuer: (i.actorIssuer as string | null) ?? null,
          actorOrg: (i.actorOrg as string | null) ?? null,
          action: i.action as string,
          objectType: i.objectType as string,
          objectId: (i.objectId as string | null) ?? null,
          outcome: i.outcome as string,
          reasons: i.reasons as string[],
          finding: (i.finding as string | null) ?? null,
          findingReference: (i.findingReference as string | null) ?? null,
          foundBy: (i.foundBy as string | null) ?? null,
          foundByIssuer: (i.foundByIssuer as string | null) ?? null,
          foundAt: dateOf(i.foundAt),
        })),
      };
    },

    /** An organisation's reviews, newest first (at most 200), without their items. */
    async list(organisationId: string): Promise<ReviewRecord[]> {
      const rows = (await dataSource.query(
        `SELECT ${reviewColumns} FROM ${reviews} r
          WHERE r.organisation_id = $1 ORDER BY r.created_at DESC LIMIT 200`,
        [organisationId],
      )) as Row[];
      return rows.map(reviewOf);
    },

    /**
     * The period's entries a review looks at, of those `organisationId` may see (actor, object
     * owner or a party): content reads, refusals, declines, withdrawals and sends; at most
     * `MAX_PERIOD_ENTRIES + 1`, so that a caller sees when there are too many.
     */
    async periodEntries(
      from: Date,
      to: Date,
      organisationId: string,
      contentReads: readonly string[],
    ): Promise<ReviewEntry[]> {
      const rows = (await dataSource.query(
        `SELECT seq, at, actor_sub, actor_issuer, actor_org, action, object_type, object_id,
                outcome, detail
           FROM ${audit}
          WHERE at >= $1 AND at < $2
            AND (actor_org = $3 OR object_org = $3 OR $3 = ANY(party_orgs))
            AND (action = ANY($4) OR outcome = 'denied'
                 OR action IN ('referral.decline', 'referral.withdraw', 'referral.send'))
          ORDER BY seq
          LIMIT ${MAX_PERIOD_ENTRIES + 1}`,
        [from, to, organisationId, contentReads],
      )) as Row[];
      return rows.map((r) => ({
        seq: Number(r.seq),
        at: r.at as Date,
        actorSub: String(r.actor_sub),
        actorIssuer: (r.actor_issuer as string | null) ?? null,
        actorOrg: (r.actor_org as string | null) ?? null,
        action: String(r.action),
        objectType: String(r.object_type),
        objectId: (r.object_id as string | null) ?? null,
        outcome: String(r.outcome),
        detail: (r.detail as Record<string, unknown>) ?? {},
      }));
    },

    /**
     * The shifts overlapping the period — operation shifts and the directory's on-call rosters —
     * and the audit log's head (the review covers entries up to it), in one statement.
     */
    async shiftsAndHead(from: Date, to: Date): Promise<{ shifts: ReviewShift[]; headSeq: string }> {
      const [row] = (await dataSource.query(
        `SELECT (SELECT COALESCE(max(a.seq), 0)::text FROM ${audit} a) AS head,
                COALESCE((SELECT json_agg(json_build_object(
                            'userId', s.user_id, 'startsAt', s.starts_at, 'endsAt', s.ends_at))
                            FROM (SELECT o.user_id, ${ms('o.starts_at')} AS starts_at,
                                         ${ms('o.ends_at')} AS ends_at
                                    FROM ${operationShifts} o
                                   WHERE o.removed_at IS NULL AND o.starts_at < $2
                                     AND o.ends_at > $1
                                  UNION ALL
                                  SELECT c.user_id, ${ms('c.starts_at')}, ${ms('c.ends_at')}
                                    FROM ${onCall} c
                                   WHERE NOT c.deleted AND c.starts_at < $2 AND c.ends_at > $1
                                 ) s), '[]') AS shifts`,
        [from, to],
      )) as Array<{ head: string; shifts: Row[] }>;
      return {
        headSeq: row!.head,
        shifts: row!.shifts.map((s) => ({
          userId: s.userId as string,
          startsAt: dateOf(s.startsAt)!,
          endsAt: dateOf(s.endsAt)!,
        })),
      };
    },

    /** A new review and its items. Guard CTE: `review`. */
    insert(sql: StatementBuilder, { review: r, items: picked }: LoadedReview): { guard: string } {
      sql.with(
        'review',
        `INSERT INTO ${reviews} (id, organisation_id, period_from, period_to, sample_size, seed,
                                head_seq, reads_in_period, created_by, created_by_issuer,
                                created_at, status, version)
         VALUES (${sql.p(r.id, 'uuid')}, ${sql.p(r.organisationId, 'uuid')},
                 ${sql.p(r.periodFrom, 'timestamptz')}, ${sql.p(r.periodTo, 'timestamptz')},
                 ${sql.p(r.sampleSize, 'int')}, ${sql.p(r.seed, 'varchar')},
                 ${sql.p(r.headSeq, 'bigint')}, ${sql.p(r.readsInPeriod, 'int')},
                 ${sql.p(r.createdBy, 'varchar')}, ${sql.p(r.createdByIssuer, 'varchar')},
                 ${sql.p(r.createdAt, 'timestamptz')}, 'open', 1)
         RETURNING id`,
      );
      sql.with(
        'review_items',
        `INSERT INTO ${items} (review_id, item_no, audit_seq, at, actor_sub, actor_issuer,
                              actor_org, action, object_type, object_id, outcome, reasons)
         SELECT review.id, x.item_no, x.audit_seq, x.at, x.actor_sub, x.actor_issuer,
                x.actor_org, x.action, x.object_type, x.object_id, x.outcome,
                ARRAY(SELECT jsonb_array_elements_text(x.reasons))
           FROM review, jsonb_to_recordset(${sql.p(
             JSON.stringify(
               picked.map((i) => ({
                 item_no: i.itemNo,
                 audit_seq: i.auditSeq,
                 at: i.at.toISOString(),
                 actor_sub: i.actorSub,
                 actor_issuer: i.actorIssuer,
                 actor_org: i.actorOrg,
                 action: i.action,
                 object_type: i.objectType,
                 object_id: i.objectId,
                 outcome: i.outcome,
                 reasons: i.reasons,
               })),
             ),
             'jsonb',
           )}) AS x(item_no int, audit_seq bigint, at timestamptz, actor_sub varchar,
                    actor_issuer varchar, actor_org varchar, action varchar, object_type varchar,
                    object_id varchar, outcome varchar, reasons jsonb)
         RETURNING 1`,
      );
      return { guard: 'review' };
    },

    /** A finding on an item, while the review is open (locked against a sign-off). Guard: `finding`. */
    finding(sql: StatementBuilder, reviewId: string, item: ReviewItemRecord): { guard: string } {
      sql.with(
        'open_review',
        `SELECT r.id FROM ${reviews} r
          WHERE r.id = ${sql.p(reviewId, 'uuid')} AND r.status = 'open' FOR UPDATE OF r`,
      );
      sql.with(
        'finding',
        `UPDATE ${items} SET finding = ${sql.p(item.finding, 'varchar')},
                finding_reference = ${sql.p(item.findingReference, 'varchar')},
                found_by = ${sql.p(item.foundBy, 'varchar')},
                found_by_issuer = ${sql.p(item.foundByIssuer, 'varchar')},
                found_at = ${sql.p(item.foundAt, 'timestamptz')}
          WHERE review_id = (SELECT o.id FROM open_review o)
            AND item_no = ${sql.p(item.itemNo, 'int')}
         RETURNING 1`,
      );
      return { guard: 'finding' };
    },

    /** Signs the review off, while it is open. Guard: `signed_off`. */
    signOff(sql: StatementBuilder, r: ReviewRecord): { guard: string } {
      sql.with(
        'signed_off',
        `UPDATE ${reviews} SET status = 'signed_off',
                signed_off_by = ${sql.p(r.signedOffBy, 'varchar')},
                signed_off_by_issuer = ${sql.p(r.signedOffByIssuer, 'varchar')},
                signed_off_at = ${sql.p(r.signedOffAt, 'timestamptz')},
                conclusion = ${sql.p(r.conclusion, 'varchar')}, version = version + 1
          WHERE id = ${sql.p(r.id, 'uuid')} AND status = 'open'
         RETURNING 1`,
      );
      return { guard: 'signed_off' };
    },
  };
}

export type LogReviewsRepository = ReturnType<typeof createLogReviewsRepository>;
