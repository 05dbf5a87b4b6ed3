import {
  canAdministerOrganisation,
  CommonProblems,
  ProblemError,
  type Principal,
} from '@samverkan/shared';
import { DirectoryProblems as P } from '../domain/errors';
import type { OrganisationInput } from '../domain/organisations';

/**
 * Who may change organisations: hub administrators register them, verify their numbers, rename
 * and (de)activate them; an organisation's own admin changes the rest of its record.
 */
export const organisationAccess = {
  mayRegister(principal: Principal): boolean {
    return principal.hubAdmin;
  },

  mayVerifyNumber(principal: Principal): boolean {
    return principal.hubAdmin;
  },

  /** Why the caller may not make this change, or undefined when it may. */
  updateRefusal(
    principal: Principal,
    organisationId: string,
    patch: OrganisationInput,
  ): string | ProblemError | undefined {
    if (!canAdministerOrganisation(principal, organisationId)) {
      return new ProblemError(CommonProblems.forbidden);
    }
    if (patch.name !== undefined && !principal.hubAdmin) {
      // The name is what people go by in unit search: an organisation admin renaming theirs
      // to look like another's was how impersonation began.
      return new ProblemError(P.organisationRenameHubOnly);
    }
    if (patch.status !== undefined && !principal.hubAdmin) {
      return 'Only a hub administrator activates or deactivates organisations';
    }
    return undefined;
  },
};
