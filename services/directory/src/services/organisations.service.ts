import { randomUUID } from 'node:crypto';
import {
  canAdministerOrganisation,
  countyOfMunicipality,
  isCountyCode,
  isMunicipalityCode,
  normaliseOrganisationNumber,
  policeRegionOfCounty,
  ProblemError,
  type Principal,
} from '@samverkan/shared';
import type { EntityManager } from 'typeorm';
import { OrganisationEntity } from '../entities';
import { nameIdCursor, nextNameIdCursor } from '../domain/cursor';
import { DirectoryProblems as P } from '../domain/errors';
import { DirectoryEvents as E } from '../events/directory-events';
import type { DirectoryContext } from './context';
import { distinctName } from './distinct-names';
import { organisationView } from './views';

export interface OrganisationInput {
  name?: string;
  kind?: string;
  organisationNumber?: string;
  countyCode?: string;
  municipalityCode?: string | null;
  policeRegion?: string | null;
  parentId?: string | null;
  website?: string | null;
  status?: 'active' | 'inactive';
}

export interface OrganisationQuery {
  kind?: string;
  county?: string;
  q?: string;
  limit: number;
  cursor?: string;
}

async function checkPlace(tx: EntityManager, o: OrganisationEntity): Promise<void> {
  if (!isCountyCode(o.countyCode)) {
    throw new ProblemError(P.countyUnknown, `No county has code ${o.countyCode}`);
  }
  if (o.municipalityCode !== null) {
    if (!isMunicipalityCode(o.municipalityCode)) {
      throw new ProblemError(
        P.municipalityUnknown,
        `No municipality has code ${o.municipalityCode}`,
      );
    }
    if (countyOfMunicipality(o.municipalityCode) !== o.countyCode) {
      throw new ProblemError(
        P.countyMismatch,
        `Municipality ${o.municipalityCode} is not in county ${o.countyCode}`,
      );
    }
  }
  if (o.policeRegion !== null && policeRegionOfCounty(o.countyCode) !== o.policeRegion) {
    throw new ProblemError(
      P.policeRegionMismatch,
      `Police region ${o.policeRegion} does not cover county ${o.countyCode}`,
    );
  }
  if (o.parentId !== null) {
    if (o.parentId === o.id) {
      throw new ProblemError(P.parentInvalid, 'An organisation cannot be its own parent');
    }
    // Walk up: the parent must exist and the chain must not loop back to this organisation.
    let cursor: string | null = o.parentId;
    for (let depth = 0; cursor !== null; depth += 1) {
      const parent: OrganisationEntity | null = await tx.findOneBy(OrganisationEntity, {
        id: cursor,
      });
      if (!parent) {
        throw new ProblemError(P.parentInvalid, `No organisation ${cursor}`);
      }
      if (parent.parentId === o.id || depth > 10) {
        throw new ProblemError(P.parentInvalid, 'The parent chain would form a loop');
      }
      cursor = parent.parentId;
    }
  }
}

export function createOrganisationsService(ctx: DirectoryContext) {
  const repo = ctx.dataSource.getRepository(OrganisationEntity);

  async function find(id: string): Promise<OrganisationEntity> {
    const org = await repo.findOneBy({ id });
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
      const after = nameIdCursor.decode(query.cursor);
      const qb = repo
        .createQueryBuilder('o')
        .orderBy('o.name', 'ASC')
        .addOrderBy('o.id', 'ASC')
        .take(query.limit + 1);
      if (query.kind) {
        qb.andWhere('o.kind = :kind', { kind: query.kind });
      }
      if (query.county) {
        qb.andWhere('o.county_code = :county', { county: query.county });
      }
      if (query.q) {
        qb.andWhere("o.name ILIKE :q ESCAPE '\\'", {
          q: `%${query.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`,
        });
      }
      if (after) {
        qb.andWhere('(o.name, o.id) > (:n, :i)', { n: after.name, i: after.id });
      }
      const rows = await qb.getMany();
      return {
        items: rows.slice(0, query.limit).map(organisationView),
        nextCursor: nextNameIdCursor(rows, query.limit),
      };
    },

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
      if (!principal.hubAdmin) {
        await ctx.pipeline.deny(
          principal,
          target,
          'Only a hub administrator registers organisations',
        );
      }
      const organisationNumber = normaliseOrganisationNumber(input.organisationNumber);
      if (!organisationNumber) {
        throw new ProblemError(
          P.organisationNumberInvalid,
          'Ten digits with a valid check digit, e.g. 212000-0464',
        );
      }
      return ctx.pipeline.transact(principal, target, async (tx) => {
        const org = tx.create(OrganisationEntity, {
          id,
          name: await distinctName(tx, input.name, id),
          kind: input.kind,
          organisationNumber,
          countyCode: input.countyCode,
          municipalityCode: input.municipalityCode ?? null,
          policeRegion: input.policeRegion ?? null,
          parentId: input.parentId ?? null,
          website: input.website ?? null,
          status: 'active',
        });
        await checkPlace(tx, org);
        await tx.insert(OrganisationEntity, org);
        const saved = await tx.findOneByOrFail(OrganisationEntity, { id });
        return {
          result: organisationView(saved),
          events: [
            {
              type: E.organisationCreated,
              data: { organisationId: id, kind: saved.kind, name: saved.name },
            },
          ],
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
      if (!principal.hubAdmin) {
        await ctx.pipeline.deny(
          principal,
          target,
          'Only a hub administrator verifies organisation numbers',
        );
      }
      return ctx.pipeline.transact(principal, target, async (tx) => {
        const org = await tx.findOneOrFail(OrganisationEntity, {
          where: { id },
          lock: { mode: 'pessimistic_write' },
        });
        org.numberVerifiedAt = new Date();
        org.numberVerifiedByIssuer = principal.iss;
        org.numberVerifiedBy = principal.sub;
        await tx.save(OrganisationEntity, org);
        const saved = await tx.findOneByOrFail(OrganisationEntity, { id });
        return {
          result: organisationView(saved),
          events: [
            {
              type: E.organisationUpdated,
              data: { organisationId: id, kind: saved.kind, name: saved.name },
            },
          ],
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
      if (!canAdministerOrganisation(principal, id)) {
        await ctx.pipeline.deny(principal, target);
      }
      if (patch.name !== undefined && !principal.hubAdmin) {
        // The name is what people go by in unit search: an organisation admin renaming theirs
        // to look like another's was how impersonation began.
        await ctx.pipeline.deny(principal, target, new ProblemError(P.organisationRenameHubOnly));
      }
      if (patch.status !== undefined && !principal.hubAdmin) {
        await ctx.pipeline.deny(
          principal,
          target,
          'Only a hub administrator activates or deactivates organisations',
        );
      }
      return ctx.pipeline.transact(
        principal,
        { ...target, detail: { fields: Object.keys(patch) } },
        async (tx) => {
          const org = await tx.findOneOrFail(OrganisationEntity, {
            where: { id },
            lock: { mode: 'pessimistic_write' },
          });
          for (const key of [
            'name',
            'countyCode',
            'municipalityCode',
            'policeRegion',
            'parentId',
            'website',
            'status',
          ] as const) {
            if (patch[key] !== undefined) {
              (org as unknown as Record<string, unknown>)[key] = patch[key];
            }
          }
          if (patch.name !== undefined) {
            org.name = await distinctName(tx, patch.name, id);
          }
          await checkPlace(tx, org);
          await tx.save(OrganisationEntity, org);
          const saved = await tx.findOneByOrFail(OrganisationEntity, { id });
          return {
            result: organisationView(saved),
            events: [
              {
                type: E.organisationUpdated,
                data: { organisationId: id, kind: saved.kind, name: saved.name },
              },
            ],
          };
        },
      );
    },
  };
}

export type OrganisationsService = ReturnType<typeof createOrganisationsService>;
