import { Column, Entity, Index, PrimaryColumn, Unique } from 'typeorm';

/**
 * A deadline by which someone must acknowledge (or claim) a critical item. Watchers on every
 * replica claim due rows with `FOR UPDATE SKIP LOCKED`; acknowledgement or the settling business
 * event cancels them; a fired timer may schedule the next level.
 */
@Entity({ name: 'escalation_timers' })
@Unique('escalation_timers_object_level_uq', ['objectType', 'objectId', 'level'])
@Index('escalation_timers_due_idx', ['dueAt'], { where: "status = 'pending'" })
export class EscalationTimerEntity {
  @PrimaryColumn({ type: 'uuid' })
  id: string;

  @Column({ name: 'object_type', type: 'varchar', length: 30 })
  objectType: string;

  @Column({ name: 'object_id', type: 'uuid' })
  objectId: string;

  /** 1: the on-call units of `unitIds`; 2: the regional coordinator */
  @Column({ type: 'integer' })
  level: number;

  @Column({ name: 'due_at', type: 'timestamptz' })
  dueAt: Date;

  /** `pending`, `fired` or `cancelled` */
  @Column({ type: 'varchar', length: 10, default: 'pending' })
  status: string;

  /** level 1: the units whose on-call units are alerted; level 2: the coordinator units */
  @Column({ name: 'unit_ids', type: 'uuid', array: true })
  unitIds: string[];

  @Column({ type: 'varchar', length: 40, nullable: true })
  category: string | null;

  @Column({ type: 'varchar', length: 10, nullable: true })
  urgency: string | null;

  @Column({ name: 'municipality_code', type: 'varchar', length: 4, nullable: true })
  municipalityCode: string | null;

  @Column({ name: 'coordinator_unit_id', type: 'uuid', nullable: true })
  coordinatorUnitId: string | null;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt: Date;

  @Column({ name: 'settled_at', type: 'timestamptz', nullable: true })
  settledAt: Date | null;
}
