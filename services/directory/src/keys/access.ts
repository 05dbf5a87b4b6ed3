import { canAdministerOrganisation, hasRole, type Principal } from '@samverkan/shared';

/**
 * Who may change keys (docs/architecture.md#keys-and-trust): an organisation's root keys are
 * registered and revoked by hub administrators only (after comparing the fingerprint out of band);
 * a unit's keys by whoever administers its organisation; key-log checkpoints on demand by hub
 * administrators and auditors. Reading keys and the key log needs only a signed-in caller.
 */
export const keyAccess = {
  mayManageRootKeys(principal: Principal): boolean {
    return principal.hubAdmin;
  },

  mayManageUnitKeys(principal: Principal, unit: { organisationId: string }): boolean {
    return canAdministerOrganisation(principal, unit.organisationId);
  },

  mayCheckpointKeyLog(principal: Principal): boolean {
    return principal.hubAdmin || hasRole(principal, 'auditor');
  },
};
