import { Column, JoinColumn, ManyToOne, Entity, Index, PrimaryColumn } from 'typeorm';
import { UnitEntity } from './unit.entity';

/** An on-call shift: who is on duty at a unit, and when. */
@Entity({ name: 'shifts' })
@Index('shifts_unit_time_idx', ['unitId', 'startsAt', 'endsAt'])
export class ShiftEntity {
  @PrimaryColumn({ type: 'uuid' })
  id: string;

  @Column({ name: 'unit_id', type: 'uuid' })
  unitId: string;

  @ManyToOne(() => UnitEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'unit_id' })
  unit?: UnitEntity;

  @Column({ name: 'user_id', type: 'varchar', length: 200 })
  userId: string;

  @Column({ name: 'starts_at', type: 'timestamptz' })
  startsAt: Date;

  @Column({ name: 'ends_at', type: 'timestamptz' })
  endsAt: Date;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'created_by', type: 'varchar', length: 200 })
  createdBy: string;

  /** the creator's token issuer (null on rows written before it was recorded) */
  @Column({ name: 'created_by_issuer', type: 'varchar', length: 500, nullable: true })
  createdByIssuer: string | null;
}
