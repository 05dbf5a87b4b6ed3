import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** A unit invited to an operation, and its answer. */
@Entity({ name: 'operation_participants' })
@Index('operation_participants_unit_idx', ['unitId'])
export class OperationParticipantEntity {
  @PrimaryColumn({ name: 'operation_id', type: 'uuid' })
  operationId: string;

  @PrimaryColumn({ name: 'unit_id', type: 'uuid' })
  unitId: string;

  /** the unit's organisation at invitation: its org_admin may answer */
  @Column({ name: 'organisation_id', type: 'uuid' })
  organisationId: string;

  @Column({ name: 'organisation_kind', type: 'varchar', length: 30 })
  organisationKind: string;

  @Column({ type: 'varchar', length: 10 })
  status: 'invited' | 'accepted' | 'declined';

  @Column({ name: 'invited_at', type: 'timestamptz' })
  invitedAt: Date;

  @Column({ name: 'answered_at', type: 'timestamptz', nullable: true })
  answeredAt: Date | null;
}
