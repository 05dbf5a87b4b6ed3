import { Column, CreateDateColumn, Entity, Index, PrimaryColumn, UpdateDateColumn } from 'typeorm';

/**
 * A joint operation week (insatsvecka, docs/architecture.md#operation-weeks): organised by a police unit or a regional
 * coordinator unit, over an area and a period, with invited units that each accept or decline.
 */
@Entity({ name: 'operations' })
@Index('operations_organiser_idx', ['organiserUnitId', 'startsAt'])
export class OperationEntity {
  @PrimaryColumn({ type: 'uuid' })
  id: string;

  @Column({ type: 'varchar', length: 200 })
  name: string;

  @Column({ name: 'municipality_codes', type: 'text', array: true })
  municipalityCodes: string[];

  @Column({ name: 'starts_at', type: 'timestamptz' })
  startsAt: Date;

  @Column({ name: 'ends_at', type: 'timestamptz' })
  endsAt: Date;

  @Column({ name: 'organiser_unit_id', type: 'uuid' })
  organiserUnitId: string;

  /** the organiser unit's organisation: its officers may make field requests */
  @Column({ name: 'organiser_organisation_id', type: 'uuid' })
  organiserOrganisationId: string;

  @Column({ name: 'coordinator_unit_id', type: 'uuid', nullable: true })
  coordinatorUnitId: string | null;

  @Column({ type: 'varchar', length: 12 })
  status: 'planned' | 'active' | 'completed' | 'cancelled';

  @Column({ name: 'activated_at', type: 'timestamptz', nullable: true })
  activatedAt: Date | null;

  @Column({ name: 'completed_at', type: 'timestamptz', nullable: true })
  completedAt: Date | null;

  @Column({ name: 'cancelled_at', type: 'timestamptz', nullable: true })
  cancelledAt: Date | null;

  @Column({ type: 'integer', default: 1 })
  version: number;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
