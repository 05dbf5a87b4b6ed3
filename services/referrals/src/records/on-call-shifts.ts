import type { EventConsumerDefinition } from '@samverkan/shared';
import { Column, Entity, Index, PrimaryColumn, type EntityManager } from 'typeorm';

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

interface ShiftEventData {
  unitId: string;
  shiftId: string;
  userId: string;
  startsAt: string;
  endsAt: string;
}

/** Keeps `on_call_shifts` from `samverkan.directory.unit.shift_{created,deleted}`. */
export function onCallShiftsConsumer(): EventConsumerDefinition {
  return {
    name: 'referrals-on-call-shifts',
    filter: 'samverkan.directory.unit.>',
    async handle(event, tx: EntityManager) {
      if (
        event.type !== 'samverkan.directory.unit.shift_created' &&
        event.type !== 'samverkan.directory.unit.shift_deleted'
      ) {
        return;
      }
      const d = event.data as unknown as ShiftEventData;
      const table = tx.getRepository(OnCallShiftEntity).metadata.tablePath;
      // Created once and deleted once: a deletion wins whatever the order.
      await tx.query(
        `INSERT INTO ${table} AS t (shift_id, unit_id, user_id, starts_at, ends_at, deleted)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (shift_id) DO UPDATE SET deleted = t.deleted OR EXCLUDED.deleted`,
        [
          d.shiftId,
          d.unitId,
          d.userId,
          d.startsAt,
          d.endsAt,
          event.type === 'samverkan.directory.unit.shift_deleted',
        ],
      );
    },
  };
}
