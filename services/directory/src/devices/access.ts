import type { Principal } from '@samverkan/shared';
import { holdsUnitKeys } from '../domain/devices';
import type { DeviceEntity } from './device.entity';
import type { VerifiedProof } from './dpop';
import type { DevicesRepository } from './repository';

/**
 * Who may act on devices and on a unit's keys: the one place that answers "does this person hold
 * this unit's keys" and "is this the organisation's own admin" for devices.
 */

export function samePerson(
  principal: Principal,
  issuer: string | null,
  subject: string | null,
): boolean {
  return principal.iss === issuer && principal.sub === subject;
}

/** The organisation's own admin (not the hub operator: it never holds an agency's unit keys). */
export function isOwnOrgAdmin(principal: Principal, organisationId: string): boolean {
  return principal.org === organisationId && principal.roles.includes('org_admin');
}

/** Whether the caller may revoke this standing: the device's person, its approver, or the unit's organisation admin. */
export function mayRevoke(
  principal: Principal,
  device: DeviceEntity,
  standing: { approvedByIssuer: string | null; approvedBySubject: string | null },
  unitOrganisationId: string,
): boolean {
  return (
    samePerson(principal, device.issuer, device.subject) ||
    samePerson(principal, standing.approvedByIssuer, standing.approvedBySubject) ||
    isOwnOrgAdmin(principal, unitOrganisationId)
  );
}

export function createDeviceAccess(repo: DevicesRepository) {
  /**
   * A member of the unit by the token and by the directory (removal from a unit acts at once,
   * also while a token still lists it) with a role that holds its keys.
   */
  async function holdsKeysOf(principal: Principal, unitId: string): Promise<boolean> {
    if (!principal.units.includes(unitId)) {
      return false;
    }
    const membership = await repo.membership(unitId, principal.sub);
    return membership !== null && holdsUnitKeys(membership.unitPurpose, membership.roles);
  }

  return {
    holdsKeysOf,

    /** The caller's device that signed the proof, approved for the unit, or undefined. */
    async approvedDeviceOf(
      principal: Principal,
      proof: VerifiedProof | undefined,
      unitId: string,
    ): Promise<DeviceEntity | undefined> {
      if (!proof) {
        return undefined;
      }
      const device = await repo.deviceBySigningKey(proof.sigKid);
      if (!device || !samePerson(principal, device.issuer, device.subject)) {
        return undefined;
      }
      return (await repo.approvedFor(device.id, unitId)) && (await holdsKeysOf(principal, unitId))
        ? device
        : undefined;
    },

    /** An approver of the unit: a member holding its keys with an approved device for it. */
    async isApprover(principal: Principal, unitId: string): Promise<boolean> {
      return (
        (await repo.hasApprovedDevice(unitId, principal.iss, principal.sub)) &&
        (await holdsKeysOf(principal, unitId))
      );
    },
  };
}

export type DeviceAccess = ReturnType<typeof createDeviceAccess>;
