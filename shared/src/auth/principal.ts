export const ROLES = [
  'caseworker',
  'officer',
  'coordinator',
  'org_admin',
  'analyst',
  'auditor',
  'hub_admin',
] as const;
export type Role = (typeof ROLES)[number];

/** The caller, as established from a verified token. */
export interface Principal {
  sub: string;
  iss: string;
  org: string;
  units: string[];
  roles: Role[];
  /** `hub_admin` counts only for users of the hub operator's own organisation */
  hubAdmin: boolean;
  /** when the token expires (seconds since the epoch): long-lived answers (streams) end then */
  exp?: number;
}

export function hasRole(principal: Principal, ...roles: Role[]): boolean {
  return roles.some((r) => principal.roles.includes(r));
}

/** An organisation's own administrator, or a hub administrator. */
export function canAdministerOrganisation(principal: Principal, organisationId: string): boolean {
  return (
    principal.hubAdmin ||
    (principal.org === organisationId && principal.roles.includes('org_admin'))
  );
}

export function isMemberOfAny(principal: Principal, unitIds: Iterable<string>): boolean {
  for (const id of unitIds) {
    if (principal.units.includes(id)) {
      return true;
    }
  }
  return false;
}

/**
 * A person, as every service keys what belongs to someone (an inbox, preferences, a claim):
 * the organisation a trusted issuer spoke for and the subject within it — never `sub` alone,
 * since two identity providers may well use the same subject. The directory's members are the
 * same pair: a member of a unit is a person of the unit's organisation.
 */
export interface Person {
  organisationId: string;
  userId: string;
}

export function personOf(principal: Pick<Principal, 'org' | 'sub'>): Person {
  return { organisationId: principal.org, userId: principal.sub };
}

/** One string per person (for maps, locks and wake-ups); the organisation id has no spaces. */
export function personKey(person: Person): string {
  return `${person.organisationId} ${person.userId}`;
}

export function samePerson(a: Person, b: Person): boolean {
  return a.organisationId === b.organisationId && a.userId === b.userId;
}
