import { randomUUID } from 'node:crypto';
import type { Principal } from '@samverkan/shared';
import type { EntityManager } from 'typeorm';
import {
  checkPlace,
  distinctNameAmong,
  newOrganisation,
  organisationEvent,
  patchedOrganisation,
  validOrganisationNumber,
  type OrganisationInput,
  type Place,
} from '../domain/organisations';
import { DirectoryEvents as E } from '../events/directory-events';
import type { DirectoryContext } from '../services/context';
import { organisationView } from '../services/views';
import { organisationAccess } from './access';
import type { OrganisationsRepository } from './repository';

/**
 * The writes on organisations, each authorize (access.ts) → load → decide
 * (domain/organisations.ts, pure) → persist (repository.ts), with outbox and audit rows in the
 * same transaction (`ctx.pipeline.transact`).
 */
export function createOrganisationCommands(
  ctx: DirectoryContext,
  repo: OrganisationsRepository,
  find: (id: string) => Promise<unknown>,
) {
  async function checkPlaceIn(tx: EntityManager, o: Place): Promise<void> {
    checkPlace(
      o,
      o.parentId !== null && o.parentId !== o.id ? await repo.ancestors(tx, o.parentId, o.id) : [],
    );
  }

  return {
    async create(
      principal: Principal,
      input: Required<
        Pick<OrganisationInput, 'name' | 'kind' | 'organisationNumber' | 'countyCode'>
      > &
        OrganisationInput,
      id: string = randomUUID(),
    ) {
      const target = {
        action: 'organisation.create',
        objectType: 'organisation',
        objectId: id,
        objectOrg: id,
      };
      if (!organisationAccess.mayRegister(principal)) {
        await ctx.pipeline.deny(
          principal,
          target,
          'Only a hub administrator registers organisations',
        );
      }
      const organisationNumber = validOrganisationNumber(input.organisationNumber);
      return ctx.pipeline.transact(principal, target, async (tx) => {
        const name = distinctNameAmong(input.name, await repo.otherNames(tx, id));
        const org = newOrganisation(id, name, { ...input, organisationNumber });
        await checkPlaceIn(tx, org);
        const saved = await repo.insert(tx, org);
        return {
          result: organisationView(saved),
          events: [organisationEvent(E.organisationCreated, saved)],
        };
      });
    },

    /**
     * A hub admin records that the organisation number was checked against the official
     * register: unit search then shows it as verified, with when and by whom.
     */
    async verifyNumber(principal: Principal, id: string) {
      const target = {
        action: 'organisation.number_verify',
        objectType: 'organisation',
        objectId: id,
        objectOrg: id,
      };
      await find(id);
      if (!organisationAccess.mayVerifyNumber(principal)) {
        await ctx.pipeline.deny(
          principal,
          target,
          'Only a hub administrator verifies organisation numbers',
        );
      }
      return ctx.pipeline.transact(principal, target, async (tx) => {
        const org = await repo.lock(tx, id);
        const saved = await repo.save(tx, {
          ...org,
          numberVerifiedAt: new Date(),
          numberVerifiedByIssuer: principal.iss,
          numberVerifiedBy: principal.sub,
        });
        return {
          result: organisationView(saved),
          events: [organisationEvent(E.organisationUpdated, saved)],
        };
      });
    },

    async update(principal: Principal, id: string, patch: OrganisationInput) {
      const target = {
        action: 'organisation.update',
        objectType: 'organisation',
        objectId: id,
        objectOrg: id,
      };
      await find(id);
      const refusal = organisationAccess.updateRefusal(principal, id, patch);
      if (refusal) {
        await ctx.pipeline.deny(principal, target, refusal);
      }
      return ctx.pipeline.transact(
        principal,
        { ...target, detail: { fields: Object.keys(patch) } },
        async (tx) => {
          const org = patchedOrganisation(await repo.lock(tx, id), patch);
          if (patch.name !== undefined) {
            org.name = distinctNameAmong(patch.name, await repo.otherNames(tx, id));
          }
          await checkPlaceIn(tx, org);
          const saved = await repo.save(tx, org);
          return {
            result: organisationView(saved),
            events: [organisationEvent(E.organisationUpdated, saved)],
          };
        },
      );
    },
  };
}
