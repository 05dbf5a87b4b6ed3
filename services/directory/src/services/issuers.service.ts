import {
  cachedIssuerSource,
  trustedIssuerFrom,
  ProblemError,
  type IssuerSource,
  type Principal,
} from '@samverkan/shared';
import { DirectoryProblems as P } from '../domain/errors';
import type { IssuerEntity } from '../entities';
import { createIssuerCommands } from '../issuers/commands';
import { createIssuersRepository } from '../issuers/repository';
import type { DirectoryContext } from './context';
import { issuerView } from './views';

export type { IssuerInput } from '../domain/issuers';

/**
 * Trusted token issuers, managed by hub administrators: the reads here, the writes in
 * issuers/commands.ts, every statement in issuers/repository.ts, the rules in domain/issuers.ts.
 */
export function createIssuersService(ctx: DirectoryContext, onChange: () => void) {
  const repo = createIssuersRepository(ctx.dataSource);

  async function find(id: string): Promise<IssuerEntity> {
    const row = await repo.find(id);
    if (!row) {
      throw new ProblemError(P.issuerNotFound, `No issuer ${id}`);
    }
    return row;
  }

  async function requireHubAdmin(principal: Principal, action: string, objectId: string | null) {
    if (!principal.hubAdmin) {
      await ctx.pipeline.deny(
        principal,
        { action, objectType: 'issuer', objectId },
        'Only a hub administrator manages token issuers',
      );
    }
  }

  return {
    async list(principal: Principal) {
      await requireHubAdmin(principal, 'issuer.list', null);
      return { items: (await repo.all()).map(issuerView) };
    },

    async get(principal: Principal, id: string) {
      await requireHubAdmin(principal, 'issuer.read', id);
      return issuerView(await find(id));
    },

    ...createIssuerCommands(ctx, repo, requireHubAdmin, find, onChange),
  };
}

/**
 * The directory's issuer table as a source for the auth plugin, cached briefly. Changes made here
 * clear the cache at once; other replicas see them within the TTL.
 */
export function createIssuerSource(
  ctx: Pick<DirectoryContext, 'dataSource'>,
  ttlMs = 10_000,
): IssuerSource & { clear(): void } {
  const repo = createIssuersRepository(ctx.dataSource);
  return cachedIssuerSource(async (issuer) => {
    const row = await repo.activeByIssuer(issuer);
    return row ? trustedIssuerFrom(row) : undefined;
  }, ttlMs);
}
