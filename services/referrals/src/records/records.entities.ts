import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { OnCallShiftEntity } from './on-call-shift.entity';

/**
 * A legal hold an organisation has placed on a referral (docs/retention.md): while any hold is
 * there, the retention purger leaves the referral's envelope and thread alone. One hold per
 * organisation, so one party cannot lift another's. Its history (placed, lifted, by whom) is in
 * the audit log; this table is only the current state.
 */
@Entity({ name: 'legal_holds' })
export class LegalHoldEntity {
  @PrimaryColumn({ name: 'referral_id', type: 'uuid' })
  referralId: string;

  @PrimaryColumn({ name: 'organisation_id', type: 'uuid' })
  organisationId: string;

  /** a code, never free text about the case: see `LEGAL_HOLD_REASONS` */
  @Column({ type: 'varchar', length: 30 })
  reason: string;

  /** the case or matter number in the organisation's own system (optional, no personal data) */
  @Column({ type: 'varchar', length: 100, nullable: true })
  reference: string | null;

  @Column({ name: 'placed_by', type: 'varchar', length: 200 })
  placedBy: string;

  @Column({ name: 'placed_by_issuer', type: 'varchar', length: 500, nullable: true })
  placedByIssuer: string | null;

  @Column({ name: 'placed_at', type: 'timestamptz' })
  placedAt: Date;
}

/**
 * What the retention purger removed, and when: one row per referral or field request whose sealed
 * content is gone. The clear metadata the statistics count stays in its own table.
 */
@Entity({ name: 'content_purges' })
@Index('content_purges_purged_at_idx', ['purgedAt'])
export class ContentPurgeEntity {
  /** `referral` or `field_request` */
  @PrimaryColumn({ name: 'object_type', type: 'varchar', length: 20 })
  objectType: string;

  @PrimaryColumn({ name: 'object_id', type: 'uuid' })
  objectId: string;

  @Column({ name: 'purged_at', type: 'timestamptz' })
  purgedAt: Date;

  /** when the referral reached its final state, or the operation ended */
  @Column({ name: 'closed_at', type: 'timestamptz' })
  closedAt: Date;

  @Column({ name: 'envelope_bytes', type: 'integer' })
  envelopeBytes: number;

  @Column({ name: 'messages_purged', type: 'integer', default: 0 })
  messagesPurged: number;

  /** set when the second stage removed the timeline too */
  @Column({ name: 'timeline_purged_at', type: 'timestamptz', nullable: true })
  timelinePurgedAt: Date | null;
}

/** A log review an auditor generated for a period (docs/log-review.md). */
@Entity({ name: 'audit_reviews' })
@Index('audit_reviews_org_idx', ['organisationId', 'createdAt'])
export class AuditReviewEntity {
  @PrimaryColumn({ type: 'uuid' })
  id: string;

  @Column({ name: 'organisation_id', type: 'uuid' })
  organisationId: string;

  @Column({ name: 'period_from', type: 'timestamptz' })
  periodFrom: Date;

  @Column({ name: 'period_to', type: 'timestamptz' })
  periodTo: Date;

  @Column({ name: 'sample_size', type: 'integer' })
  sampleSize: number;

  /** the random seed of the sample, so the auditor can show how it was drawn */
  @Column({ type: 'varchar', length: 64 })
  seed: string;

  /** the audit log's head when the review was generated: the review covers entries up to it */
  @Column({ name: 'head_seq', type: 'bigint' })
  headSeq: string;

  @Column({ name: 'reads_in_period', type: 'integer' })
  readsInPeriod: number;

  @Column({ name: 'created_by', type: 'varchar', length: 200 })
  createdBy: string;

  /** the creator's token issuer (null on rows written before it was recorded) */
  @Column({ name: 'created_by_issuer', type: 'varchar', length: 500, nullable: true })
  createdByIssuer: string | null;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  /** `open` or `signed_off` */
  @Column({ type: 'varchar', length: 12 })
  status: string;

  @Column({ name: 'signed_off_by', type: 'varchar', length: 200, nullable: true })
  signedOffBy: string | null;

  @Column({ name: 'signed_off_by_issuer', type: 'varchar', length: 500, nullable: true })
  signedOffByIssuer: string | null;

  @Column({ name: 'signed_off_at', type: 'timestamptz', nullable: true })
  signedOffAt: Date | null;

  /** `no_remarks` or `remarks` */
  @Column({ type: 'varchar', length: 12, nullable: true })
  conclusion: string | null;

  @Column({ type: 'integer', default: 1 })
  version: number;
}

/** One audit entry picked for a review: why it was picked, and the auditor's finding. */
@Entity({ name: 'audit_review_items' })
export class AuditReviewItemEntity {
  @PrimaryColumn({ name: 'review_id', type: 'uuid' })
  reviewId: string;

  @PrimaryColumn({ name: 'item_no', type: 'integer' })
  itemNo: number;

  @Column({ name: 'audit_seq', type: 'bigint' })
  auditSeq: string;

  @Column({ type: 'timestamptz' })
  at: Date;

  @Column({ name: 'actor_sub', type: 'varchar', length: 200 })
  actorSub: string;

  @Column({ name: 'actor_issuer', type: 'varchar', length: 500, nullable: true })
  actorIssuer: string | null;

  @Column({ name: 'actor_org', type: 'varchar', length: 64, nullable: true })
  actorOrg: string | null;

  @Column({ type: 'varchar', length: 100 })
  action: string;

  @Column({ name: 'object_type', type: 'varchar', length: 50 })
  objectType: string;

  @Column({ name: 'object_id', type: 'varchar', length: 200, nullable: true })
  objectId: string | null;

  @Column({ type: 'varchar', length: 10 })
  outcome: string;

  /** why it was picked: `sampled`, `outside_office_hours`, … (domain/log-review.ts) */
  @Column({ type: 'text', array: true })
  reasons: string[];

  /** `appropriate`, `inappropriate`, `needs_follow_up`; null until the auditor records one */
  @Column({ type: 'varchar', length: 20, nullable: true })
  finding: string | null;

  @Column({ name: 'finding_reference', type: 'varchar', length: 100, nullable: true })
  findingReference: string | null;

  @Column({ name: 'found_by', type: 'varchar', length: 200, nullable: true })
  foundBy: string | null;

  @Column({ name: 'found_by_issuer', type: 'varchar', length: 500, nullable: true })
  foundByIssuer: string | null;

  @Column({ name: 'found_at', type: 'timestamptz', nullable: true })
  foundAt: Date | null;
}

export const RECORDS_ENTITIES = [
  LegalHoldEntity,
  ContentPurgeEntity,
  AuditReviewEntity,
  AuditReviewItemEntity,
  OnCallShiftEntity,
];
