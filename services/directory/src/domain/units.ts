import {
  countyOfMunicipality,
  isIanaTimeZone,
  isLanguageCode,
  isMunicipalityCode,
  ProblemError,
} from '@samverkan/shared';
import type { OrganisationEntity } from '../entities/organisation.entity';
import type { ContactRoute, UnitEntity, WeeklyOpening } from '../entities/unit.entity';
import { DirectoryEvents as E } from '../events/directory-events';
import type { PendingEvent } from '../services/context';
import { DirectoryProblems as P } from './errors';

/** The rules of units, as pure decisions on what was loaded. */

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

const uniqueSorted = (values: string[]) => [...new Set(values)].sort();

/** Units are created only in an organisation that exists and is active. */
export function checkOrganisationTakesUnits(
  org: OrganisationEntity | null,
  organisationId: string,
): OrganisationEntity {
  if (!org) {
    throw new ProblemError(P.organisationNotFound, `No organisation ${organisationId}`);
  }
  if (org.status !== 'active') {
    throw new ProblemError(P.organisationInactive);
  }
  return org;
}

/** A new unit's defaults, before its input is applied. */
export function newUnit(
  id: string,
  organisationId: string,
  purpose: 'service' | 'audit' = 'service',
): Partial<UnitEntity> {
  return {
    id,
    organisationId,
    description: '',
    languages: [],
    contacts: [],
    status: 'active',
    onCallUnitId: null,
    purpose,
  };
}

/** The unit with the input's fields applied (lists each value once, sorted). */
export function appliedInput<U extends Partial<UnitEntity>>(unit: U, input: UnitInput): U {
  const u = { ...unit };
  if (input.name !== undefined) {
    u.name = input.name;
  }
  if (input.description !== undefined) {
    u.description = input.description;
  }
  if (input.capabilities !== undefined) {
    u.capabilities = uniqueSorted(input.capabilities);
  }
  if (input.coverage !== undefined) {
    u.coverage = uniqueSorted(input.coverage);
  }
  if (input.ageBands !== undefined) {
    u.ageBands = uniqueSorted(input.ageBands);
  }
  if (input.genders !== undefined) {
    u.genders = uniqueSorted(input.genders);
  }
  if (input.languages !== undefined) {
    u.languages = uniqueSorted(input.languages);
  }
  if (input.openingHours !== undefined) {
    u.timeZone = input.openingHours.timeZone;
    u.open247 = input.openingHours.open247;
    u.weeklyHours = input.openingHours.weekly;
  }
  if (input.contacts !== undefined) {
    u.contacts = input.contacts;
  }
  if (input.status !== undefined) {
    u.status = input.status;
  }
  if (input.onCallUnitId !== undefined) {
    u.onCallUnitId = input.onCallUnitId;
  }
  return u;
}

/** Codes that must be known, a real time zone, no two periods opening at the same moment. */
export function checkUnitFields(unit: UnitEntity): void {
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
}

/**
 * The on-call unit (loaded; null when it is the unit itself or does not exist) must be another
 * active service unit of the same organisation.
 */
export function checkOnCallUnit(
  unit: Pick<UnitEntity, 'onCallUnitId' | 'organisationId'>,
  onCall: Pick<UnitEntity, 'status' | 'organisationId' | 'purpose'> | null,
): void {
  if (unit.onCallUnitId === null) {
    return;
  }
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

/** An organisation holds one set of audit keys: one audit unit. */
export function checkOneAuditUnit(
  unit: Pick<UnitEntity, 'purpose'>,
  org: Pick<OrganisationEntity, 'name'>,
  hasAuditUnit: boolean,
): void {
  if (unit.purpose === 'audit' && hasAuditUnit) {
    throw new ProblemError(
      P.auditUnitExists,
      `Organisation ${org.name} has an audit unit already; it holds one set of audit keys`,
    );
  }
}

/** What is derived: the stored name (checked distinct), counties from coverage, search text. */
export function finishedUnit(unit: UnitEntity, name: string, org: OrganisationEntity): UnitEntity {
  return {
    ...unit,
    name,
    counties: uniqueSorted(unit.coverage.map((c) => countyOfMunicipality(c)!)),
    searchText: [name, unit.description, org.name].join(' '),
  };
}

/** What unit events carry: enough for another service's read model (routing, escalation). */
export function unitEvent(
  type: typeof E.unitCreated | typeof E.unitUpdated,
  unit: UnitEntity,
  org: OrganisationEntity,
): PendingEvent {
  return {
    type,
    data: {
      unitId: unit.id,
      organisationId: org.id,
      organisationKind: org.kind,
      status: unit.status,
      onCallUnitId: unit.onCallUnitId,
      coverage: unit.coverage,
      purpose: unit.purpose,
    },
  };
}
