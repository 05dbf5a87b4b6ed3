import { randomUUID } from 'node:crypto';
import {
  canAdministerOrganisation,
  countyOfMunicipality,
  isIanaTimeZone,
  isLanguageCode,
  isMunicipalityCode,
  ProblemError,
  type Principal,
} from '@samverkan/shared';
import type { EntityManager } from 'typeorm';
import { OrganisationEntity, UnitEntity } from '../entities';
import type { ContactRoute, WeeklyOpening } from '../entities/unit.entity';
import { nameIdCursor, nextNameIdCursor } from '../domain/cursor';
import { DirectoryProblems as P } from '../domain/errors';
import { DirectoryEvents as E } from '../events/directory-events';
import type { DirectoryContext } from './context';
import { distinctName } from './distinct-names';
import { createUnitsRepository, type UnitQuery } from '../units/units.repository';
import { unitView } from './views';

export interface UnitInput {
  organisationId?: string;
  name?: string;
  description?: string;
  capabilities?: string[];
  coverage?: string[];
  ageBands?: string[];
  genders?: string[];
  languages?: string[];
  openingHours?: { timeZone: string; open247: boolean; weekly: WeeklyOpening[] };
  contacts?: ContactRoute[];
  status?: 'active' | 'inactive';
  onCallUnitId?: string | null;
  /** set on creation only: `audit` makes the organisation's audit unit */
  purpose?: 'service' | 'audit';
}

export type { UnitQuery } from '../units/units.repository';

const uniqueSorted = (values: string[]) => [...new Set(values)].sort();

function applyInput(unit: UnitEntity, input: UnitInput): void {
  if (input.name !== undefined) {
    unit.name = input.name;
  }
  if (input.description !== undefined) {
    unit.description = input.description;
  }
  if (input.capabilities !== undefined) {
    unit.capabilities = uniqueSorted(input.capabilities);
  }
  if (input.coverage !== undefined) {
    unit.coverage = uniqueSorted(input.coverage);
  }
  if (input.ageBands !== undefined) {
    unit.ageBands = uniqueSorted(input.ageBands);
  }
  if (input.genders !== undefined) {
    unit.genders = uniqueSorted(input.genders);
  }
  if (input.languages !== undefined) {
    unit.languages = uniqueSorted(input.languages);
  }
  if (input.openingHours !== undefined) {
    unit.timeZone = input.openingHours.timeZone;
    unit.open247 = input.openingHours.open247;
    unit.weeklyHours = input.openingHours.weekly;
  }
  if (input.contacts !== undefined) {
    unit.contacts = input.contacts;
  }
  if (input.status !== undefined) {
    unit.status = input.status;
  }
  if (input.onCallUnitId !== undefined) {
    unit.onCallUnitId = input.onCallUnitId;
  }
}

async function checkUnit(
  tx: EntityManager,
  unit: UnitEntity,
  org: OrganisationEntity,
): Promise<void> {
  for (const code of unit.coverage) {
    if (!isMunicipalityCode(code)) {
      throw new ProblemError(P.municipalityUnknown, `No municipality has code ${code}`);
    }
  }
  for (const code of unit.languages) {
    if (!isLanguageCode(code)) {
      throw new ProblemError(P.languageUnknown, `${code} is not an ISO 639 language code`);
    }
  }
  if (!isIanaTimeZone(unit.timeZone)) {
    throw new ProblemError(
      P.timeZoneUnknown,
      `${unit.timeZone} is not an IANA time zone (e.g. Europe/Stockholm)`,
    );
  }
  const seen = new Set<string>();
  for (const h of unit.weeklyHours) {
    const key = `${h.day} ${h.opens}`;
    if (seen.has(key)) {
      throw new ProblemError(P.openingHoursInvalid, `Two periods open on ${h.day} at ${h.opens}`);
    }
    seen.add(key);
  }
  if (unit.onCallUnitId !== null) {
    const onCall =
      unit.onCallUnitId === unit.id
        ? null
        : await tx.findOneBy(UnitEntity, { id: unit.onCallUnitId });
    if (!onCall || onCall.status !== 'active') {
      throw new ProblemError(
        P.onCallUnitInvalid,
        `Unit ${unit.onCallUnitId} cannot be the on-call unit`,
      );
    }
    // Escalations go to the on-call unit's staff: another organisation's unit cannot open the
    // item, and an organisation admin must not be able to route another's alerts to itself.
    if (onCall.organisationId !== unit.organisationId || onCall.purpose === 'audit') {
      throw new ProblemError(
        P.onCallUnitInvalid,
        `Unit ${unit.onCallUnitId} belongs to another organisation; the on-call unit must be one of your own organisation's units`,
      );
    }
  }
  unit.name = await distinctName(tx, unit.name, org.id);
  unit.counties = uniqueSorted(unit.coverage.map((c) => countyOfMunicipality(c)!));
  unit.searchText = [unit.name, unit.description, org.name].join(' ');
}

/** The organisation's audit unit, read inside the change's transaction. */
async function auditUnitIdOf(tx: EntityManager, organisationId: string): Promise<string | null> {
  const unit = await tx.findOne(UnitEntity, {
    select: { id: true },
    where: { organisationId, purpose: 'audit' },
  });
  return unit?.id ?? null;
}

/** What unit events carry: enough for another service's read model (routing, escalation). */
function unitEventData(unit: UnitEntity, org: OrganisationEntity) {
  return {
    unitId: unit.id,
    organisationId: org.id,
    organisationKind: org.kind,
    status: unit.status,
    onCallUnitId: unit.onCallUnitId,
    coverage: unit.coverage,
    purpose: unit.purpose,
  };
}

export function createUnitsService(ctx: DirectoryContext) {
  const repo = ctx.dataSource.getRepository(UnitEntity);

  async function find(id: string): Promise<UnitEntity> {
    const unit = await repo.findOneBy({ id });
    if (!unit) {
      throw new ProblemError(P.unitNotFound, `No unit ${id}`);
    }
    return unit;
  }

  const reads = createUnitsRepository(ctx.dataSource);

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
      const org = await ctx.dataSource
        .getRepository(OrganisationEntity)
        .findOneBy({ id: input.organisationId });
      if (!org) {
        throw new ProblemError(P.organisationNotFound, `No organisation ${input.organisationId}`);
      }
      if (org.status !== 'active') {
        throw new ProblemError(P.organisationInactive);
      }
      return ctx.pipeline.transact(principal, target, async (tx) => {
        const unit = tx.create(UnitEntity, {
          id,
          organisationId: org.id,
          description: '',
          languages: [],
          contacts: [],
          status: 'active',
          onCallUnitId: null,
          purpose: input.purpose ?? 'service',
        });
        applyInput(unit, input);
        await checkUnit(tx, unit, org);
        if (
          unit.purpose === 'audit' &&
          (await tx.existsBy(UnitEntity, { organisationId: org.id, purpose: 'audit' }))
        ) {
          throw new ProblemError(
            P.auditUnitExists,
            `Organisation ${org.name} has an audit unit already; it holds one set of audit keys`,
          );
        }
        await tx.insert(UnitEntity, unit);
        const saved = await tx.findOneByOrFail(UnitEntity, { id });
        return {
          result: unitView(saved, org, [], await auditUnitIdOf(tx, org.id)),
          events: [{ type: E.unitCreated, data: unitEventData(saved, org) }],
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
          const unit = await tx.findOneOrFail(UnitEntity, {
            where: { id },
            lock: { mode: 'pessimistic_write' },
          });
          const org = await tx.findOneByOrFail(OrganisationEntity, { id: unit.organisationId });
          applyInput(unit, patch);
          await checkUnit(tx, unit, org);
          await tx.save(UnitEntity, unit);
          const saved = await tx.findOneByOrFail(UnitEntity, { id });
          return {
            result: unitView(saved, org, [], await auditUnitIdOf(tx, org.id)),
            events: [{ type: E.unitUpdated, data: unitEventData(saved, org) }],
          };
        },
      );
    },
  };
}

export type UnitsService = ReturnType<typeof createUnitsService>;
