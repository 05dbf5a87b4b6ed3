import { Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';

/** A member of a participating social services unit on call for an operation, from–to. */
@Entity({ name: 'operation_shifts' })
@Index('operation_shifts_on_shift_idx', ['operationId', 'unitId', 'startsAt'])
export class OperationShiftEntity {
  @PrimaryColumn({ type: 'uuid' })
  id: string;

  @Column({ name: 'operation_id', type: 'uuid' })
  operationId: string;

  @Column({ name: 'unit_id', type: 'uuid' })
  unitId: string;

  @Column({ name: 'user_id', type: 'varchar', length: 200 })
  userId: string;

  @Column({ name: 'starts_at', type: 'timestamptz' })
  startsAt: Date;

  @Column({ name: 'ends_at', type: 'timestamptz' })
  endsAt: Date;

  /** removed shifts are kept (who was on call, when) but no longer count */
  @Column({ name: 'removed_at', type: 'timestamptz', nullable: true })
  removedAt: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
