import { ProblemError } from '@samverkan/shared';
import { nameIdCursor, nextNameIdCursor } from '../domain/cursor';
import { DirectoryProblems as P } from '../domain/errors';
import type { OrganisationEntity } from '../entities';
import { createOrganisationCommands } from '../organisations/commands';
import {
  createOrganisationsRepository,
  type OrganisationListQuery,
} from '../organisations/repository';
import type { DirectoryContext } from './context';
import { organisationView } from './views';

export type { OrganisationInput } from '../domain/organisations';

export interface OrganisationQuery extends OrganisationListQuery {
  cursor?: string;
}

/**
 * Organisations: the reads here, the writes in organisations/commands.ts, who may make them in
 * organisations/access.ts, every statement in organisations/repository.ts, the rules (pure) in
 * domain/organisations.ts.
 */
export function createOrganisationsService(ctx: DirectoryContext) {
  const repo = createOrganisationsRepository(ctx.dataSource);

  async function find(id: string): Promise<OrganisationEntity> {
    const org = await repo.find(id);
    if (!org) {
      throw new ProblemError(P.organisationNotFound, `No organisation ${id}`);
    }
    return org;
  }

  return {
    find,

    async get(id: string) {
      return organisationView(await find(id));
    },

    async list(query: OrganisationQuery) {
      const rows = await repo.list(query, nameIdCursor.decode(query.cursor));
      return {
        items: rows.slice(0, query.limit).map(organisationView),
        nextCursor: nextNameIdCursor(rows, query.limit),
      };
    },

    ...createOrganisationCommands(ctx, repo, find),
  };
}

export type OrganisationsService = ReturnType<typeof createOrganisationsService>;
