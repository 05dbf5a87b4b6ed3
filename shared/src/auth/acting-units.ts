import type { Principal, Role } from './principal';

/** The roles with which a member handles cases for a unit (referrals, field requests, operations). */
export const CASE_HANDLING_ROLES: readonly Role[] = ['caseworker', 'officer', 'coordinator'];

/** What the directory (or a service's read model of it) says about one unit the token claims. */
export interface ClaimedUnit {
  unitId: string;
  /** the unit's organisation; undefined when the directory does not know the unit */
  organisationId: string | undefined;
  /** the roles of the token's subject as a member of the unit now; null when not a member */
  memberRoles: readonly string[] | null;
}

/**
 * The one rule for "is this person acting for this unit" (docs/architecture.md#identity-and-access), used by every
 * service: a unit counts only while
 * - the token claims it (`units`),
 * - the directory places it in the organisation the token's issuer spoke for (`org`) — an
 *   issuer trusted for one organisation cannot make its users members of another's units,
 * - the directory lists the subject as a member of it now, with one of `roles` (by default a
 *   case-handling role) — so removing a member takes effect as soon as the directory's event
 *   arrives, whatever tokens the person still holds.
 * The caller looks the claimed units up (`ClaimedUnit`); this decides.
 */
export function actingUnitsOf(
  principal: Pick<Principal, 'org' | 'units'>,
  claimed: Iterable<ClaimedUnit>,
  roles: readonly string[] = CASE_HANDLING_ROLES,
): string[] {
  const found = new Map<string, ClaimedUnit>();
  for (const unit of claimed) {
    found.set(unit.unitId, unit);
  }
  return principal.units.filter((unitId) => {
    const unit = found.get(unitId);
    return (
      unit !== undefined &&
      unit.organisationId === principal.org &&
      unit.memberRoles !== null &&
      unit.memberRoles.some((role) => roles.includes(role))
    );
  });
}
