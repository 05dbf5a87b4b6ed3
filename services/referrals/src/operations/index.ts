import type { ReferralsService } from '../referrals';
import type { ReferralsContext } from '../services/context';
import type { OperationAccessRules } from './access';
import { createFieldRequestCommands } from './field-requests.commands';
import { createFieldRequestQueries } from './field-requests.queries';
import { createOperationCommands } from './operations.commands';
import { createOperationQueries } from './operations.queries';
import { createTallies } from './tallies';

export { createOperationAccess, type OperationAccess, type OperationAccessRules } from './access';
export { FieldRequestWatcher } from './field-request-watcher';
export type { FieldRequestCreate } from './field-requests.model';
export type { OperationCreate, ShiftCreate } from './operations.model';
export { onShiftNow } from './operations.repository';

/** Operation weeks: the operation, its participants and shifts (docs/architecture.md#operation-weeks). */
export function createOperationsService(ctx: ReferralsContext, rules: OperationAccessRules) {
  return { ...createOperationCommands(ctx, rules), ...createOperationQueries(ctx, rules) };
}

export type OperationsService = ReturnType<typeof createOperationsService>;

/** Field requests during an operation and their encounter tallies. */
export function createFieldRequestsService(
  ctx: ReferralsContext,
  rules: OperationAccessRules,
  envelopes: ReferralsService['rules'],
) {
  return {
    ...createFieldRequestCommands(ctx, rules, envelopes),
    ...createFieldRequestQueries(ctx, rules),
    ...createTallies(ctx, rules),
  };
}

export type FieldRequestsService = ReturnType<typeof createFieldRequestsService>;
