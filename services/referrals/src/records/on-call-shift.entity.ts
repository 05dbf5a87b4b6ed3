import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * The directory's on-call rosters (a unit's shifts: who, from–to), kept from its events for log
 * reviews: a read at night by someone on call is not unusual (docs/log-review.md). Deleted shifts
 * are kept as such, so a late creation event cannot bring one back.
 */
@Entity({ name: 'on_call_shifts' })
@Index('on_call_shifts_user_idx', ['userId', 'startsAt'])
export class OnCallShiftEntity {
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
