import type { EntityManager } from 'typeorm';
import { OnCallShiftEntity } from './on-call-shift.entity';

/** A shift as the directory's events tell it. */
export interface OnCallShift {
  shiftId: string;
  unitId: string;
  userId: string;
  startsAt: string;
  endsAt: string;
}

/** The on-call rosters' storage (`on_call_shifts`, kept from the directory's events). */
export const onCallShiftsRepository = {
  /** Records a shift, or its deletion: created once and deleted once, a deletion wins whatever the order. */
  async record(tx: EntityManager, shift: OnCallShift, deleted: boolean): Promise<void> {
    const table = tx.getRepository(OnCallShiftEntity).metadata.tablePath;
    await tx.query(
      `INSERT INTO ${table} AS t (shift_id, unit_id, user_id, starts_at, ends_at, deleted)
       VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (shift_id) DO UPDATE SET deleted = t.deleted OR EXCLUDED.deleted`,
      [shift.shiftId, shift.unitId, shift.userId, shift.startsAt, shift.endsAt, deleted],
    );
  },
};
