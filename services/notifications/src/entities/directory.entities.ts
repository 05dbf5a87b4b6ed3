import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * The notifications service's read model of the directory, fed by directory events (never by
 * reading the directory's tables): who is a member of which unit with which roles, who is on
 * duty, and the units' on-call units and coverage for escalation.
 */
@Entity({ name: 'directory_units' })
export class DirectoryUnitEntity {
  @PrimaryColumn({ name: 'unit_id', type: 'uuid' })
  unitId: string;

  @Column({ name: 'organisation_id', type: 'uuid' })
  organisationId: string;

  @Column({ name: 'organisation_kind', type: 'varchar', length: 30 })
  organisationKind: string;

  @Column({ type: 'varchar', length: 10 })
  status: 'active' | 'inactive';

  @Column({ name: 'on_call_unit_id', type: 'uuid', nullable: true })
  onCallUnitId: string | null;

  @Column({ type: 'text', array: true, default: () => "'{}'" })
  coverage: string[];

  @Column({ name: 'event_at', type: 'timestamptz' })
  eventAt: Date;
}

/** Membership; a removal keeps the row as inactive so that an older `member_added` cannot revive it. */
@Entity({ name: 'directory_members' })
@Index('directory_members_user_idx', ['userId'])
export class DirectoryMemberEntity {
  @PrimaryColumn({ name: 'unit_id', type: 'uuid' })
  unitId: string;

  @PrimaryColumn({ name: 'user_id', type: 'varchar', length: 200 })
  userId: string;

  @Column({ type: 'text', array: true })
  roles: string[];

  @Column({ type: 'boolean' })
  active: boolean;

  @Column({ name: 'event_at', type: 'timestamptz' })
  eventAt: Date;
}

/** On-call shifts; deleted ones are kept as such for the same reason. */
@Entity({ name: 'directory_shifts' })
@Index('directory_shifts_unit_idx', ['unitId', 'startsAt'])
export class DirectoryShiftEntity {
  @PrimaryColumn({ name: 'shift_id', type: 'uuid' })
  shiftId: string;

  @Column({ name: 'unit_id', type: 'uuid' })
  unitId: string;

  @Column({ name: 'user_id', type: 'varchar', length: 200 })
  userId: string;

  @Column({ name: 'starts_at', type: 'timestamptz' })
  startsAt: Date;

  @Column({ name: 'ends_at', type: 'timestamptz' })
  endsAt: Date;

  @Column({ type: 'boolean' })
  deleted: boolean;
}
