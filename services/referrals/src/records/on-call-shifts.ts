import type { EventConsumerDefinition } from '@samverkan/shared';
import type { EntityManager } from 'typeorm';
import { onCallShiftsRepository, type OnCallShift } from './on-call-shifts.repository';

export { OnCallShiftEntity } from './on-call-shift.entity';

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
      await onCallShiftsRepository.record(
        tx,
        event.data as unknown as OnCallShift,
        event.type === 'samverkan.directory.unit.shift_deleted',
      );
    },
  };
}
