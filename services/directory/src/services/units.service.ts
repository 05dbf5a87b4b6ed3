import { ProblemError } from '@samverkan/shared';
import { nameIdCursor, nextNameIdCursor } from '../domain/cursor';
import { DirectoryProblems as P } from '../domain/errors';
import type { UnitEntity } from '../entities';
import { createUnitCommands } from '../units/commands';
import { createUnitsRepository, type UnitQuery } from '../units/units.repository';
import type { DirectoryContext } from './context';

export type { UnitInput } from '../domain/units';
export type { UnitQuery } from '../units/units.repository';

/**
 * Units: the reads here, the writes in units/commands.ts, every statement in
 * units/units.repository.ts, the rules (pure) in domain/units.ts.
 */
export function createUnitsService(ctx: DirectoryContext) {
  const reads = createUnitsRepository(ctx.dataSource);

  async function find(id: string): Promise<UnitEntity> {
    const unit = await reads.unit(id);
    if (!unit) {
      throw new ProblemError(P.unitNotFound, `No unit ${id}`);
    }
    return unit;
  }

  return {
    find,

    async get(id: string) {
      const view = await reads.view(id);
      if (!view) {
        throw new ProblemError(P.unitNotFound, `No unit ${id}`);
      }
      return view;
    },

    /** Unit search: every filter narrows (AND); `capability` may repeat and all must match. */
    async search(query: UnitQuery & { cursor?: string }) {
      const after = nameIdCursor.decode(query.cursor);
      const rows = await reads.search(query, after ? { n: after.name, i: after.id } : undefined);
      return { items: rows.slice(0, query.limit), nextCursor: nextNameIdCursor(rows, query.limit) };
    },

    ...createUnitCommands(ctx, reads, find),
  };
}

export type UnitsService = ReturnType<typeof createUnitsService>;
