import { ProblemError, type Principal } from '@samverkan/shared';
import { DirectoryProblems as P } from '../domain/errors';
import type { DirectoryContext } from '../services/context';
import type { UnitsService } from '../services/units.service';
import { isOwnOrgAdmin, samePerson, type DeviceAccess } from './access';
import type { VerifiedProof } from './dpop';
import type { DevicesRepository } from './repository';
import { deviceUnitView, deviceView, iso, recoveryKeyView } from './views';

/** The reads on devices and key boxes; those that hand out key boxes are audited. */
export function createDeviceQueries(
  ctx: DirectoryContext,
  units: UnitsService,
  repo: DevicesRepository,
  access: DeviceAccess,
) {
  return {
    async listMine(principal: Principal) {
      const rows = await repo.devicesOf(principal.iss, principal.sub);
      const standings = await repo.standingsOf(rows.map((d) => d.id));
      return { items: rows.map((d) => deviceView(d, standings)) };
    },

    /** The newest box of each unit the proven device is approved for; every fetch is audited. */
    async keyBoxes(principal: Principal, proof: VerifiedProof) {
      const device = await repo.deviceBySigningKey(proof.sigKid);
      const target = {
        action: 'device.key_boxes_fetch',
        objectType: 'device',
        objectId: device?.id ?? null,
        objectOrg: device?.organisationId ?? principal.org,
      };
      if (!device || !samePerson(principal, device.issuer, device.subject)) {
        await ctx.pipeline.deny(
          principal,
          { ...target, objectId: null, detail: { sigKid: proof.sigKid } },
          new ProblemError(P.deviceNotEnrolled, 'Enrol this device first (POST /v1/devices)'),
        );
      }
      const d = device!;
      const rows = await repo.standings(d.id);
      if (rows.length > 0 && rows.every((r) => r.status === 'revoked')) {
        await ctx.pipeline.deny(
          principal,
          target,
          new ProblemError(P.deviceRevoked, `Device ${d.id} is revoked for all its units`),
        );
      }
      const items = [];
      const served: string[] = [];
      for (const du of rows.filter((r) => r.status === 'approved')) {
        // Removal from the unit revokes at once; this also covers a token that still lists it.
        if (!(await access.holdsKeysOf(principal, du.unitId))) {
          continue;
        }
        const box = await repo.newestBox('device', d.id, du.unitId);
        if (!box) {
          continue;
        }
        const unit = await units.find(du.unitId);
        served.push(du.unitId);
        items.push({
          id: box.id,
          unitId: du.unitId,
          organisationId: unit.organisationId,
          box: box.box,
          binding: du.binding!,
          createdAt: box.createdAt.toISOString(),
          createdBy: { issuer: box.createdByIssuer, subject: box.createdBySubject },
        });
      }
      await ctx.pipeline.recordRead(principal, { ...target, detail: { unitIds: served } });
      return {
        deviceId: d.id,
        units: rows
          .map((r) => ({ unitId: r.unitId, status: r.status }))
          .sort((a, b) => a.unitId.localeCompare(b.unitId)),
        items,
      };
    },

    async unitDevices(principal: Principal, proof: VerifiedProof | undefined, unitId: string) {
      const unit = await units.find(unitId);
      const target = {
        action: 'unit.devices_list',
        objectType: 'unit',
        objectId: unitId,
        objectOrg: unit.organisationId,
      };
      if (!isOwnOrgAdmin(principal, unit.organisationId)) {
        if (!(await access.isApprover(principal, unitId))) {
          await ctx.pipeline.deny(
            principal,
            target,
            "Only the unit's approvers (members with an approved device) and its organisation admin see its devices",
          );
        }
      }
      const [rows, boxedAt, recovery, { lastRevocationAt, rotationRequired }] = await Promise.all([
        repo.unitStandings(unitId),
        repo.boxTimes(unitId),
        repo.currentRecoveryKey(unitId),
        repo.rotationState(unitId),
      ]);
      return {
        unitId,
        organisationId: unit.organisationId,
        rotationRequired,
        lastRevocationAt: iso(lastRevocationAt),
        items: rows.map((du) => ({
          deviceId: du.deviceId,
          label: du.device!.label,
          person: { issuer: du.device!.issuer, subject: du.device!.subject },
          encryptionKey: du.device!.encJwk,
          signingKey: du.device!.sigJwk,
          ...deviceUnitView(du),
          boxedAt: iso(boxedAt.get(du.deviceId) ?? null),
        })),
        recoveryKey: recovery ? recoveryKeyView(recovery, boxedAt.get(recovery.kid) ?? null) : null,
      };
    },
  };
}
