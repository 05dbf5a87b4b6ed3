import { Column, CreateDateColumn, Entity, Index, PrimaryColumn, UpdateDateColumn } from 'typeorm';

export interface HandoverConfirmation {
  unitId: string;
  userId: string;
  /** the person's organisation: a person is (organisation, subject); absent on older rows */
  organisationId?: string;
  at: string;
}

export interface HandoverState {
  mode: 'in_person' | 'phone' | 'video' | null;
  plannedFor: string | null;
  senderConfirmation: HandoverConfirmation | null;
  recipientConfirmation: HandoverConfirmation | null;
}

/**
 * A referral: routing metadata in clear (nothing identifying), the end-to-end encrypted envelope
 * as opaque JSON, and its lifecycle. The hub cannot read the envelope.
 */
@Entity({ name: 'referrals' })
@Index('referrals_deadline_idx', ['status', 'acknowledgeBy'])
// (unit, created_at DESC, id DESC) INCLUDE (status, urgency): migration 1797040000001
@Index('referrals_inbox_page_idx', { synchronize: false })
@Index('referrals_outbox_page_idx', { synchronize: false })
// (recipient, created_at DESC, id DESC) INCLUDE (status, urgency) WHERE open: migration 1797053000000
@Index('referrals_inbox_open_idx', { synchronize: false })
// (created_at) INCLUDE (the metadata statistics count): migration 1797040000002
@Index('referrals_statistics_idx', { synchronize: false })
export class ReferralEntity {
  @PrimaryColumn({ type: 'uuid' })
  id: string;

  @Column({ name: 'sender_unit_id', type: 'uuid' })
  senderUnitId: string;

  @Column({ name: 'recipient_unit_id', type: 'uuid' })
  recipientUnitId: string;

  @Column({ name: 'copy_unit_ids', type: 'uuid', array: true, default: () => "'{}'" })
  copyUnitIds: string[];

  @Column({ type: 'varchar', length: 40 })
  category: string;

  @Column({ type: 'varchar', length: 10 })
  urgency: 'acute' | 'urgent' | 'routine';

  @Column({ name: 'age_band', type: 'varchar', length: 10 })
  ageBand: string;

  @Column({ type: 'varchar', length: 12 })
  gender: string;

  @Column({ name: 'citizenship_group', type: 'varchar', length: 10 })
  citizenshipGroup: string;

  @Column({ name: 'municipality_code', type: 'char', length: 4 })
  municipalityCode: string;

  @Column({ name: 'legal_basis', type: 'varchar', length: 20 })
  legalBasis: string;

  /**
   * Clear-text justifications of referrals sent before they were sealed; nothing writes it any more
   * (see `justificationMessageId`).
   */
  @Column({ type: 'varchar', length: 4000, nullable: true })
  justification: string | null;

  /** the thread message in which the sender sealed its acute_protection justification */
  @Column({ name: 'justification_message_id', type: 'uuid', nullable: true })
  justificationMessageId: string | null;

  /** the thread message in which the recipient sealed its decline note for the sender */
  @Column({ name: 'decline_note_message_id', type: 'uuid', nullable: true })
  declineNoteMessageId: string | null;

  @Column({ type: 'varchar', length: 20 })
  status: string;

  @Column({ type: 'jsonb' })
  envelope: Record<string, unknown>;

  @Column({ name: 'envelope_size', type: 'integer' })
  envelopeSize: number;

  @Column({ name: 'acknowledge_by', type: 'timestamptz' })
  acknowledgeBy: Date;

  @Column({ name: 'acknowledged_at', type: 'timestamptz', nullable: true })
  acknowledgedAt: Date | null;

  @Column({ name: 'accepted_at', type: 'timestamptz', nullable: true })
  acceptedAt: Date | null;

  @Column({ name: 'declined_at', type: 'timestamptz', nullable: true })
  declinedAt: Date | null;

  @Column({ name: 'decline_reason', type: 'varchar', length: 20, nullable: true })
  declineReason: string | null;

  @Column({ name: 'closed_at', type: 'timestamptz', nullable: true })
  closedAt: Date | null;

  @Column({ type: 'varchar', length: 20, nullable: true })
  outcome: string | null;

  @Column({ name: 'forwarded_from_id', type: 'uuid', nullable: true })
  forwardedFromId: string | null;

  @Column({ name: 'forwarded_to_ids', type: 'uuid', array: true, default: () => "'{}'" })
  forwardedToIds: string[];

  @Column({ type: 'jsonb' })
  handover: HandoverState;

  /** 0 none, 1 the recipient's on-call unit, 2 also the regional coordinator */
  @Column({ name: 'escalation_level', type: 'smallint', default: 0 })
  escalationLevel: number;

  /** the operation week and field request this referral came out of, once a tally names it */
  @Column({ name: 'operation_id', type: 'uuid', nullable: true })
  operationId: string | null;

  @Column({ name: 'field_request_id', type: 'uuid', nullable: true })
  fieldRequestId: string | null;

  @Column({ type: 'integer', default: 1 })
  version: number;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
