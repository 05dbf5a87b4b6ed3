import { createKeyCommands } from '../keys/commands';
import { createKeyQueries } from '../keys/queries';
import { createKeysRepository } from '../keys/repository';
import type { DirectoryContext } from './context';
import type { OrganisationsService } from './organisations.service';
import type { UnitsService } from './units.service';

export { KEY_LOG_CHAIN } from '../keys/repository';

/**
 * Root keys, unit keys and the key log (docs/architecture.md#keys-and-trust), one module per
 * concern: keys/commands.ts (the writes), keys/queries.ts (the reads and the log's checks),
 * keys/access.ts (who may change keys), keys/repository.ts (every statement, and the key log's
 * chain link), domain/key-changes.ts (the rules, pure).
 */
export function createKeysService(
  ctx: DirectoryContext,
  organisations: OrganisationsService,
  units: UnitsService,
) {
  const repo = createKeysRepository(ctx.dataSource);
  return {
    ...createKeyCommands(ctx, organisations, units, repo),
    ...createKeyQueries(ctx, organisations, units, repo),
  };
}

export type KeysService = ReturnType<typeof createKeysService>;
