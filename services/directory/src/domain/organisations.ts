import {
  countyOfMunicipality,
  isCountyCode,
  isMunicipalityCode,
  normaliseOrganisationNumber,
  policeRegionOfCounty,
  ProblemError,
} from '@samverkan/shared';
import type { OrganisationEntity } from '../entities/organisation.entity';
import { DirectoryEvents as E } from '../events/directory-events';
import type { PendingEvent } from '../services/context';
import { DirectoryProblems as P } from './errors';
import { cleanName, nameSkeleton } from './names';

/**
 * The rules of organisations, as pure decisions on what was loaded: where an organisation is
 * (county, municipality, police region, parent), what its name may be, and what a change writes.
 */

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

/** An ancestor as loaded: the parent first, then its parent, … (repository `ancestors`). */
export interface Ancestor {
  id: string;
  parentId: string | null;
}

/** The greatest depth of parents followed before a chain is taken for a loop. */
export const MAX_PARENT_DEPTH = 10;

/**
 * The organisation's place must be consistent: a known county, a municipality in it, the police
 * region that covers it, and a parent that exists without the chain of parents looping back.
 */
export type Place = Pick<
  OrganisationEntity,
  'id' | 'countyCode' | 'municipalityCode' | 'policeRegion' | 'parentId'
>;

export function checkPlace(o: Place, ancestors: Ancestor[]): void {
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
      const parent: Ancestor | undefined = ancestors[depth];
      if (!parent || parent.id !== cursor) {
        throw new ProblemError(P.parentInvalid, `No organisation ${cursor}`);
      }
      if (parent.parentId === o.id || depth > MAX_PARENT_DEPTH) {
        throw new ProblemError(P.parentInvalid, 'The parent chain would form a loop');
      }
      cursor = parent.parentId;
    }
  }
}

/**
 * The stored form of a name (cleanName), refused when nothing visible is left or when it can be
 * mistaken for the name of another organisation or of another organisation's unit (same
 * skeleton): an organisation must not be able to pass itself off as another in unit search.
 * Names within one organisation are that organisation's own business. `others` are the names of
 * every other organisation and of their units.
 */
export function distinctNameAmong(raw: string, others: ReadonlyArray<{ name: string }>): string {
  const name = cleanName(raw);
  const skeleton = nameSkeleton(name);
  if (skeleton === '') {
    throw new ProblemError(P.nameConfusable, 'The name has no visible letters or digits');
  }
  const clash = others.find((other) => nameSkeleton(other.name) === skeleton);
  if (clash) {
    throw new ProblemError(
      P.nameConfusable,
      `"${name}" can be mistaken for "${cleanName(clash.name)}" of another organisation; choose a name that reads differently`,
    );
  }
  return name;
}

export function validOrganisationNumber(raw: string): string {
  const organisationNumber = normaliseOrganisationNumber(raw);
  if (!organisationNumber) {
    throw new ProblemError(
      P.organisationNumberInvalid,
      'Ten digits with a valid check digit, e.g. 212000-0464',
    );
  }
  return organisationNumber;
}

const PATCHABLE = [
  'name',
  'countyCode',
  'municipalityCode',
  'policeRegion',
  'parentId',
  'website',
  'status',
] as const;

/** The organisation after a patch: each field given replaces the stored one. */
export function patchedOrganisation(
  locked: OrganisationEntity,
  patch: OrganisationInput,
): OrganisationEntity {
  const org = { ...locked };
  for (const key of PATCHABLE) {
    if (patch[key] !== undefined) {
      (org as unknown as Record<string, unknown>)[key] = patch[key];
    }
  }
  return org;
}

export function organisationEvent(
  type: typeof E.organisationCreated | typeof E.organisationUpdated,
  o: OrganisationEntity,
): PendingEvent {
  return { type, data: { organisationId: o.id, kind: o.kind, name: o.name } };
}

export type NewOrganisation = Omit<
  OrganisationEntity,
  'createdAt' | 'updatedAt' | 'numberVerifiedAt' | 'numberVerifiedBy' | 'numberVerifiedByIssuer'
>;

/** A new organisation, active, with its number in its normal form. */
export function newOrganisation(
  id: string,
  name: string,
  input: Required<Pick<OrganisationInput, 'kind' | 'organisationNumber' | 'countyCode'>> &
    OrganisationInput,
): NewOrganisation {
  return {
    id,
    name,
    kind: input.kind,
    organisationNumber: validOrganisationNumber(input.organisationNumber),
    countyCode: input.countyCode,
    municipalityCode: input.municipalityCode ?? null,
    policeRegion: input.policeRegion ?? null,
    parentId: input.parentId ?? null,
    website: input.website ?? null,
    status: 'active',
  };
}
