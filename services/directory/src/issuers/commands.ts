import { randomUUID } from 'node:crypto';
import { ProblemError, type Principal } from '@samverkan/shared';
import { DirectoryProblems as P } from '../domain/errors';
import {
  checkedIssuer,
  checkOrganisationsFound,
  issuerEvent,
  newIssuer,
  patchedIssuer,
  type IssuerInput,
} from '../domain/issuers';
import type { IssuerEntity } from '../entities';
import { DirectoryEvents as E } from '../events/directory-events';
import type { DirectoryContext } from '../services/context';
import { issuerView } from '../services/views';
import type { IssuersRepository } from './repository';

/**
 * The writes on trusted issuers (hub administrators only, checked by the caller's
 * `requireHubAdmin`): load → decide (domain/issuers.ts, pure) → persist (repository.ts) with
 * outbox and audit rows in one transaction; then the auth plugin's cache is cleared.
 */
export function createIssuerCommands(
  ctx: DirectoryContext,
  repo: IssuersRepository,
  requireHubAdmin: (principal: Principal, action: string, id: string | null) => Promise<void>,
  find: (id: string) => Promise<IssuerEntity>,
  onChange: () => void,
) {
  return {
    async create(
      principal: Principal,
      input: IssuerInput & { issuer: string; organisationIds: string[]; keySource: 'jwks' | 'pem' },
    ) {
      const id = randomUUID();
      await requireHubAdmin(principal, 'issuer.create', id);
      const row = newIssuer(id, input);
      checkOrganisationsFound(
        row.organisationIds,
        await repo.countOrganisations(row.organisationIds),
      );
      if (await repo.byIssuer(row.issuer)) {
        throw new ProblemError(P.issuerExists);
      }
      const result = await ctx.pipeline.transact(
        principal,
        { action: 'issuer.create', objectType: 'issuer', objectId: id },
        async (tx) => {
          const saved = await repo.insert(tx, row);
          return { result: issuerView(saved), events: [issuerEvent(E.issuerCreated, saved)] };
        },
      );
      onChange();
      return result;
    },

    async update(principal: Principal, id: string, patch: IssuerInput) {
      await requireHubAdmin(principal, 'issuer.update', id);
      const result = await ctx.pipeline.transact(
        principal,
        {
          action: 'issuer.update',
          objectType: 'issuer',
          objectId: id,
          detail: { fields: Object.keys(patch) },
        },
        async (tx) => {
          const locked = await repo.lock(tx, id);
          if (!locked) {
            throw new ProblemError(P.issuerNotFound, `No issuer ${id}`);
          }
          const row = patchedIssuer(locked, patch);
          if (patch.organisationIds !== undefined) {
            checkOrganisationsFound(
              row.organisationIds,
              await repo.countOrganisations(row.organisationIds, tx),
            );
          }
          const saved = await repo.save(tx, checkedIssuer(row));
          return { result: issuerView(saved), events: [issuerEvent(E.issuerUpdated, saved)] };
        },
      );
      onChange();
      return result;
    },

    async remove(principal: Principal, id: string) {
      await requireHubAdmin(principal, 'issuer.delete', id);
      const row = await find(id);
      await ctx.pipeline.transact(
        principal,
        {
          action: 'issuer.delete',
          objectType: 'issuer',
          objectId: id,
          detail: { issuer: row.issuer },
        },
        async (tx) => {
          await repo.delete(tx, id);
          return { result: undefined, events: [issuerEvent(E.issuerDeleted, row)] };
        },
      );
      onChange();
    },
  };
}
