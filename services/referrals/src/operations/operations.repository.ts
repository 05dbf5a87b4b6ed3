import { type EntityManager } from 'typeorm';
import {
  FieldRequestEntity,
  OperationEntity,
  OperationParticipantEntity,
  OperationShiftEntity,
} from '../entities';

/** The operation's participants as `tx` sees them. */
export function participantsOf(tx: EntityManager, operationId: string) {
  return tx.findBy(OperationParticipantEntity, { operationId });
}

/** The operation, locked for the rest of `tx`. */
export function lockOperation(tx: EntityManager, id: string) {
  return tx.findOneOrFail(OperationEntity, { where: { id }, lock: { mode: 'pessimistic_write' } });
}

/** The field request, locked for the rest of `tx`. */
export function lockFieldRequest(tx: EntityManager, id: string) {
  return tx.findOneOrFail(FieldRequestEntity, {
    where: { id },
    lock: { mode: 'pessimistic_write' },
  });
}

/** Members on an operation shift at `at` (optionally only at some units). */
export async function onShiftNow(
  manager: EntityManager,
  operationId: string,
  at: Date,
  unitIds?: string[],
): Promise<OperationShiftEntity[]> {
  if (unitIds?.length === 0) {
    return [];
  }
  const qb = manager
    .getRepository(OperationShiftEntity)
    .createQueryBuilder('s')
    .where('s.operation_id = :operationId AND s.removed_at IS NULL', { operationId })
    .andWhere('s.starts_at <= :at AND s.ends_at > :at', { at })
    .orderBy('s.unit_id')
    .addOrderBy('s.user_id');
  if (unitIds) {
    qb.andWhere('s.unit_id IN (:...unitIds)', { unitIds });
  }
  return qb.getMany();
}
