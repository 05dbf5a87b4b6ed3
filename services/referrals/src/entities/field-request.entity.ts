import { Column, CreateDateColumn, Entity, Index, PrimaryColumn, UpdateDateColumn } from 'typeorm';

export interface EstimatedPersons {
  adults: number;
  children: number;
  unknown: number;
}

export interface FieldRequestFlags {
  childSuspected: boolean;
  protectedHousingLikely: boolean;
  buyerPresent: boolean;
}

/**
 * A police officer's request for a social worker on site during an active operation. Address and
 * details travel in an end-to-end encrypted envelope the hub cannot read; in clear only what
 * alerting and planning need.
 */
@Entity({ name: 'field_requests' })
@Index('field_requests_operation_idx', ['operationId', 'createdAt'])
@Index('field_requests_claim_deadline_idx', ['status', 'claimBy'])
export class FieldRequestEntity {
  @PrimaryColumn({ type: 'uuid' })
  id: string;

  @Column({ name: 'operation_id', type: 'uuid' })
  operationId: string;

  @Column({ name: 'requester_unit_id', type: 'uuid' })
  requesterUnitId: string;

  /** the participating social services units it is addressed to */
  @Column({ name: 'participant_unit_ids', type: 'uuid', array: true })
  participantUnitIds: string[];

  @Column({ type: 'varchar', length: 10 })
  urgency: 'acute' | 'urgent' | 'routine';

  @Column({ name: 'needed_by', type: 'timestamptz' })
  neededBy: Date;

  /** when an unclaimed request is escalated: the needed-by time or the claim window, earlier */
  @Column({ name: 'claim_by', type: 'timestamptz' })
  claimBy: Date;

  @Column({ name: 'estimated_persons', type: 'jsonb' })
  estimatedPersons: EstimatedPersons;

  @Column({ type: 'text', array: true, default: () => "'{}'" })
  languages: string[];

  @Column({ type: 'jsonb' })
  flags: FieldRequestFlags;

  @Column({ type: 'jsonb' })
  envelope: Record<string, unknown>;

  @Column({ name: 'envelope_size', type: 'integer' })
  envelopeSize: number;

  @Column({ type: 'varchar', length: 12 })
  status: 'open' | 'claimed' | 'en_route' | 'on_site' | 'completed' | 'cancelled';

  @Column({ name: 'claimed_by', type: 'varchar', length: 200, nullable: true })
  claimedBy: string | null;

  @Column({ name: 'claimed_by_unit_id', type: 'uuid', nullable: true })
  claimedByUnitId: string | null;

  @Column({ name: 'claimed_at', type: 'timestamptz', nullable: true })
  claimedAt: Date | null;

  @Column({ name: 'en_route_at', type: 'timestamptz', nullable: true })
  enRouteAt: Date | null;

  @Column({ name: 'on_site_at', type: 'timestamptz', nullable: true })
  onSiteAt: Date | null;

  @Column({ name: 'completed_at', type: 'timestamptz', nullable: true })
  completedAt: Date | null;

  @Column({ name: 'cancelled_at', type: 'timestamptz', nullable: true })
  cancelledAt: Date | null;

  @Column({ name: 'escalated_at', type: 'timestamptz', nullable: true })
  escalatedAt: Date | null;

  @Column({ type: 'integer', default: 1 })
  version: number;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
