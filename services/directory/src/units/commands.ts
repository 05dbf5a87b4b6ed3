import { randomUUID } from 'node:crypto';
import { canAdministerOrganisation, type Principal } from '@samverkan/shared';
import type { EntityManager } from 'typeorm';
import { distinctNameAmong } from '../domain/organisations';
import {
  appliedInput,
  checkOnCallUnit,
  checkOneAuditUnit,
  checkOrganisationTakesUnits,
  checkUnitFields,
  finishedUnit,
  newUnit,
  unitEvent,
  type UnitInput,
} from '../domain/units';
import type { OrganisationEntity, UnitEntity } from '../entities';
import { DirectoryEvents as E } from '../events/directory-events';
import { createOrganisationsRepository } from '../organisations/repository';
import type { DirectoryContext } from '../services/context';
import { unitView } from '../services/views';
import type { UnitsRepository } from './units.repository';

/**
 * The writes on units, each authorize (the organisation's administrators) → load → decide
 * (domain/units.ts, pure) → persist (units.repository.ts), with outbox and audit rows in the
 * same transaction.
 */
export function createUnitCommands(
  ctx: DirectoryContext,
  repo: UnitsRepository,
  find: (id: string) => Promise<UnitEntity>,
) {
  const organisations = createOrganisationsRepository(ctx.dataSource);

  /** The unit's rules, with what they need read in the change's transaction. */
  async function checked(
    tx: EntityManager,
    unit: UnitEntity,
    org: OrganisationEntity,
  ): Promise<UnitEntity> {
    checkUnitFields(unit);
    checkOnCallUnit(
      unit,
      unit.onCallUnitId === null || unit.onCallUnitId === unit.id
        ? null
        : await repo.onCallCandidate(tx, unit.onCallUnitId),
    );
    const name = distinctNameAmong(unit.name, await organisations.otherNames(tx, org.id));
    return finishedUnit(unit, name, org);
  }

  return {
    async create(
      principal: Principal,
      input: UnitInput & { organisationId: string; name: string },
      id: string = randomUUID(),
    ) {
      const target = {
        action: 'unit.create',
        objectType: 'unit',
        objectId: id,
        objectOrg: input.organisationId,
      };
      // Permission first: a caller who may not create units learns nothing about the organisation.
      if (!canAdministerOrganisation(principal, input.organisationId)) {
        await ctx.pipeline.deny(principal, target);
      }
      const org = checkOrganisationTakesUnits(
        await repo.organisation(input.organisationId),
        input.organisationId,
      );
      return ctx.pipeline.transact(principal, target, async (tx) => {
        const unit = await checked(
          tx,
          appliedInput(newUnit(id, org.id, input.purpose), input) as UnitEntity,
          org,
        );
        checkOneAuditUnit(unit, org, (await repo.auditUnitIdOf(tx, org.id)) !== null);
        const saved = await repo.insert(tx, unit);
        return {
          result: unitView(saved, org, [], await repo.auditUnitIdOf(tx, org.id)),
          events: [unitEvent(E.unitCreated, saved, org)],
        };
      });
    },

    async update(principal: Principal, id: string, patch: UnitInput) {
      const existing = await find(id);
      const target = {
        action: 'unit.update',
        objectType: 'unit',
        objectId: id,
        objectOrg: existing.organisationId,
      };
      if (!canAdministerOrganisation(principal, existing.organisationId)) {
        await ctx.pipeline.deny(principal, target);
      }
      return ctx.pipeline.transact(
        principal,
        { ...target, detail: { fields: Object.keys(patch) } },
        async (tx) => {
          const locked = await repo.lockUnit(tx, id);
          const org = (await repo.organisation(locked.organisationId, tx))!;
          const unit = await checked(tx, appliedInput(locked, patch), org);
          const saved = await repo.save(tx, unit);
          return {
            result: unitView(saved, org, [], await repo.auditUnitIdOf(tx, org.id)),
            events: [unitEvent(E.unitUpdated, saved, org)],
          };
        },
      );
    },
  };
}
