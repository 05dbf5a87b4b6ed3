import { hasRole, type Principal } from '@samverkan/shared';
import type { FieldRequestAction } from './field-requests';

/**
 * Who may see and act on an operation and its field requests (docs/architecture.md#operation-weeks),
 * as plain rules over what was loaded: the caller, the caller's acting units (the read model's
 * answer), the operation and its participants. No Fastify, no TypeORM.
 */

/** How the caller relates to one operation. */
export interface OperationAccess {
  /** the caller's units the directory places in the caller's organisation (case-handling roles) */
  units: string[];
  /** an officer or coordinator of the organiser unit: runs the operation */
  organiser: boolean;
  /** may see the operation at all */
  canSee: boolean;
}

export interface OperationFacts {
  organiserUnitId: string;
  organiserOrganisationId: string;
  coordinatorUnitId: string | null;
}

export interface ParticipantFacts {
  unitId: string;
  organisationId: string;
}

/**
 * Seeing an operation: members of its organiser, coordinator and invited units, officers of the
 * organiser's organisation (they make field requests), and the organisation administrators of
 * those units. (operations.repository.ts `visibleOperationIds` is the same rule as SQL.)
 */
export function operationAccess(
  principal: Principal,
  units: string[],
  op: OperationFacts,
  participants: ParticipantFacts[],
): OperationAccess {
  const mine = new Set(units);
  const organiser = mine.has(op.organiserUnitId) && hasRole(principal, 'officer', 'coordinator');
  const orgAdmin = hasRole(principal, 'org_admin');
  const canSee =
    mine.has(op.organiserUnitId) ||
    (op.coordinatorUnitId !== null && mine.has(op.coordinatorUnitId)) ||
    participants.some((p) => mine.has(p.unitId)) ||
    (hasRole(principal, 'officer') &&
      units.length > 0 &&
      principal.org === op.organiserOrganisationId) ||
    (orgAdmin &&
      (principal.org === op.organiserOrganisationId ||
        participants.some((p) => p.organisationId === principal.org)));
  return { units, organiser, canSee };
}

/**
 * Who moves a field request on: the claimer (as the claiming unit) goes en route, on site and
 * completes; an officer of the requester's unit cancels.
 */
export function mayActOnFieldRequest(
  principal: Principal,
  units: string[],
  request: { requesterUnitId: string; claimedBy: string | null; claimedByUnitId: string | null },
  action: FieldRequestAction,
): boolean {
  return action === 'cancel'
    ? hasRole(principal, 'officer') && units.includes(request.requesterUnitId)
    : isClaimer(principal, units, request);
}

/** The member who claimed the request, acting for the claiming unit. */
export function isClaimer(
  principal: Principal,
  units: string[],
  request: { claimedBy: string | null; claimedByUnitId: string | null },
): boolean {
  return (
    request.claimedBy === principal.sub &&
    request.claimedByUnitId !== null &&
    units.includes(request.claimedByUnitId)
  );
}
