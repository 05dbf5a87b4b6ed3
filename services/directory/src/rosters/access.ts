import { canAdministerOrganisation, type Principal } from '@samverkan/shared';

/**
 * Who may see and change rosters. Need-to-know: who works at a unit (and when) is told to the
 * unit's own organisation and the hub's administrators only. Staff of protected housing can be
 * threatened; everyone else learns whether someone is on duty and how to reach the unit (on-duty,
 * contacts). Joint operations show their own staffing to their participants (referrals service).
 */
export const rosterAccess = {
  seesNames(principal: Principal, organisationId: string): boolean {
    return principal.org === organisationId || principal.hubAdmin;
  },

  mayAdminister(principal: Principal, organisationId: string): boolean {
    return canAdministerOrganisation(principal, organisationId);
  },
};
