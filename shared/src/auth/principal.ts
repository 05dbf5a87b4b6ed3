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
