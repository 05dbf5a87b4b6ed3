import type { DirectoryContext } from '../services/context';
import type { UnitsService } from '../services/units.service';
import { createDeviceAccess } from './access';
import { createDeviceCommands } from './commands';
import { createDeviceQueries } from './queries';
import { createDevicesRepository } from './repository';

export { revokeDevicesOfMember } from './commands';
export { AUDIT_KEY_ROLES, CASE_HANDLING_ROLES } from '../domain/devices';
export { deviceUnitView, deviceView } from './views';

/**
 * Devices, their key boxes and the units' recovery keys (docs/architecture.md#keys-and-trust),
 * one module per concern: commands.ts (the writes), queries.ts (the reads), access.ts (who holds
 * a unit's keys), repository.ts (every statement), domain/devices.ts (the rules, pure).
 */
export function createDevicesService(ctx: DirectoryContext, units: UnitsService) {
  const repo = createDevicesRepository(ctx.dataSource);
  const access = createDeviceAccess(repo);
  return {
    ...createDeviceCommands(ctx, units, repo, access),
    ...createDeviceQueries(ctx, units, repo, access),
  };
}

export type DevicesService = ReturnType<typeof createDevicesService>;
