import { randomUUID } from 'node:crypto';
import type { JWK } from 'jose';
import { ProblemError, type Principal } from '@samverkan/shared';
import {
  DeviceCryptoError,
  recoveryHolder,
  verifyDeviceBinding,
  type BoxHolder,
} from '@samverkan/sdk/src/crypto/device-keys';
import type { EntityManager } from 'typeorm';
import type { UnitEntity } from '../entities';
import {
  boxesStoredEvent,
  checkApprovable,
  checkApproval,
  checkBoxUploads,
  decideApprove,
  decideEnrol,
  decideRecoveryKey,
  decideRevoke,
  keyBoxesFor,
  liveTargets,
  publicDeviceKey,
  revocationTargets,
  type BoxUpload,
} from '../domain/devices';
import { DirectoryProblems as P } from '../domain/errors';
import { DirectoryEvents as E } from '../events/directory-events';
import type { AuditTarget, DirectoryContext, PendingEvent } from '../services/context';
import type { UnitsService } from '../services/units.service';
import { isOwnOrgAdmin, mayRevoke, type DeviceAccess } from './access';
import type { DeviceEntity } from './device.entity';
import { verifyDpopProof, DPOP_MAX_AGE_SECONDS, type VerifiedProof } from './dpop';
import { createDevicesRepository, type DevicesRepository } from './repository';
import { deviceView, recoveryKeyView } from './views';

/**
 * Revokes, inside the caller's transaction, the devices of a person removed from a unit (the
 * members table knows people by subject). Returns the events to publish with the removal.
 */
export async function revokeDevicesOfMember(
  tx: EntityManager,
  unitId: string,
  userId: string,
  actor: Principal,
): Promise<PendingEvent[]> {
  const repo = createDevicesRepository(tx.connection);
  const locked = await repo.lockMemberStandings(tx, unitId, userId);
  const now = new Date();
  const events: PendingEvent[] = [];
  for (const standing of locked) {
    const { revoked, event } = decideRevoke(
      standing.device!,
      [standing],
      actor,
      'removed from the unit',
      now,
    );
    await repo.saveStandings(tx, revoked);
    events.push(event);
  }
  return events;
}

/**
 * The writes on devices, key boxes and recovery keys (docs/architecture.md#keys-and-trust), each
 * authorize → load → decide (domain/devices.ts, pure) → persist (repository.ts) with its outbox
 * and audit rows in one transaction (`ctx.pipeline.transact`). The hub only stores and relays:
 * boxes are sealed by clients to device keys, bindings are signed by clients with the unit's
 * signing key (checked here against the unit's published keys, so a client's mistake is refused
 * early; clients check again).
 */
export function createDeviceCommands(
  ctx: DirectoryContext,
  units: UnitsService,
  repo: DevicesRepository,
  access: DeviceAccess,
) {
  let proofsSincePrune = 0;

  async function loadDevice(id: string): Promise<DeviceEntity> {
    const device = await repo.device(id);
    if (!device) {
      throw new ProblemError(P.deviceNotFound, `No device ${id}`);
    }
    return device;
  }

  /** Org admin of the unit's organisation (null), or an approved device of the unit; else refused. */
  async function unitKeyHolder(
    principal: Principal,
    proof: VerifiedProof | undefined,
    unit: UnitEntity,
    target: AuditTarget,
  ): Promise<DeviceEntity | null> {
    if (isOwnOrgAdmin(principal, unit.organisationId)) {
      return null;
    }
    const device = await access.approvedDeviceOf(principal, proof, unit.id);
    if (!device) {
      await ctx.pipeline.deny(
        principal,
        target,
        proof
          ? "Only the unit's approved devices (with their DPoP proof) or its organisation admin may do this"
          : "Send the DPoP proof of your device approved for this unit, or act as the unit's organisation admin",
      );
    }
    return device!;
  }

  /** Verifies a binding against the unit's active signing keys; it must name the approver. */
  async function checkBinding(
    binding: string,
    unitId: string,
    holder: BoxHolder,
    expectedPerson: { iss: string; sub: string } | undefined,
    approver: Principal,
  ) {
    const keys = (await repo.unitSigningKeys(unitId)).map((r) => ({ ...r.jwk, kid: r.kid }) as JWK);
    try {
      const claims = await verifyDeviceBinding(binding, keys, {
        unitId,
        holder,
        person: expectedPerson,
      });
      if (claims.approvedBy?.iss !== approver.iss || claims.approvedBy?.sub !== approver.sub) {
        throw new DeviceCryptoError('binding_invalid', 'the binding names another approver');
      }
      return claims;
    } catch (err) {
      if (err instanceof DeviceCryptoError) {
        throw new ProblemError(P.deviceBindingInvalid, err.message);
      }
      throw err;
    }
  }

  return {
    /**
     * Verifies a request's DPoP proof and records its jti, so the same proof is never accepted
     * twice (any replica: the table is shared).
     */
    async proofOf(request: {
      headers: Record<string, unknown>;
      method: string;
      url: string;
    }): Promise<VerifiedProof> {
      const auth = String(request.headers.authorization ?? '');
      const proof = await verifyDpopProof({
        proof: request.headers.dpop,
        method: request.method,
        path: request.url.split('?')[0]!,
        accessToken: auth.replace(/^Bearer +/i, ''),
      });
      if (!(await repo.recordProof(proof.jti, proof.sigKid))) {
        throw new ProblemError(P.deviceProofInvalid, 'This DPoP proof was already used');
      }
      proofsSincePrune += 1;
      if (proofsSincePrune >= 100) {
        proofsSincePrune = 0;
        // Older proofs are refused by their iat anyway; their ids need not be kept.
        await repo.pruneProofs(new Date(Date.now() - 2 * DPOP_MAX_AGE_SECONDS * 1000));
      }
      return proof;
    },

    async enrol(
      principal: Principal,
      proof: VerifiedProof,
      input: { label: string; encryptionKey: unknown; signingKey: unknown; unitIds?: string[] },
    ) {
      const target = {
        action: 'device.enrol',
        objectType: 'device',
        objectId: null,
        objectOrg: principal.org,
      };
      const enc = await publicDeviceKey(input.encryptionKey, 'X25519', 'encryptionKey');
      const sig = await publicDeviceKey(input.signingKey, 'Ed25519', 'signingKey');
      if (sig.kid !== proof.sigKid) {
        throw new ProblemError(
          P.deviceProofInvalid,
          'The DPoP proof must be signed with the signing key being enrolled',
        );
      }
      // Authorize: the units named must be ones whose keys the caller holds; without a list, all
      // of those the token names.
      let unitIds = input.unitIds;
      if (unitIds) {
        for (const unitId of unitIds) {
          await units.find(unitId);
          if (!(await access.holdsKeysOf(principal, unitId))) {
            await ctx.pipeline.deny(
              principal,
              { ...target, detail: { unitId } },
              `You are not a member of unit ${unitId} with a case-handling role`,
            );
          }
        }
      } else {
        unitIds = [];
        for (const unitId of principal.units) {
          if (await access.holdsKeysOf(principal, unitId)) {
            unitIds.push(unitId);
          }
        }
        if (unitIds.length === 0) {
          await ctx.pipeline.deny(
            principal,
            target,
            'You are not a member of any unit with a case-handling role',
          );
        }
      }
      const decision = decideEnrol({
        id: randomUUID(),
        actor: principal,
        label: input.label,
        enc,
        sig,
        unitIds,
        keyTaken: await repo.keyTaken(sig.kid, enc.kid),
        now: new Date(),
      });
      return ctx.pipeline.transact(
        principal,
        { ...target, objectId: decision.device.id, detail: { unitIds } },
        async (tx) => {
          if (!(await repo.insertDevice(tx, decision.device, decision.units))) {
            // The same key enrolled at the same moment by another request: one of them wins.
            throw new ProblemError(P.deviceExists, 'This device key is already enrolled');
          }
          return {
            result: deviceView(decision.device, decision.units),
            events: [decision.event],
          };
        },
      );
    },

    async approve(
      principal: Principal,
      proof: VerifiedProof | undefined,
      deviceId: string,
      input: { unitId: string; binding: string; box: string },
    ) {
      const device = await loadDevice(deviceId);
      const unit = await units.find(input.unitId);
      const target = {
        action: 'device.approve',
        objectType: 'device',
        objectId: deviceId,
        objectOrg: unit.organisationId,
        detail: { unitId: unit.id },
      };
      const approverDevice = await unitKeyHolder(principal, proof, unit, target);
      checkApprovable(await repo.standing(deviceId, unit.id), deviceId, unit.id);
      const claims = await checkBinding(
        input.binding,
        unit.id,
        { id: deviceId, encryptionKid: device.encKid, signingKid: device.sigKid },
        { iss: device.issuer, sub: device.subject },
        principal,
      );
      checkApproval({
        device,
        claimedApproverDevice: claims.approvedByDevice ?? null,
        approverDevice: approverDevice?.id ?? null,
        box: input.box,
      });
      return ctx.pipeline.transact(principal, target, async (tx) => {
        const decision = decideApprove({
          locked: await repo.lockStanding(tx, deviceId, unit.id),
          device,
          unit,
          actor: principal,
          approverDevice: approverDevice?.id ?? null,
          binding: input.binding,
          box: input.box,
          boxId: randomUUID(),
          now: new Date(),
        });
        await repo.saveStandings(tx, [decision.deviceUnit]);
        await repo.insertBoxes(tx, [decision.box]);
        return {
          result: deviceView(device, await repo.standings(deviceId, tx)),
          events: [decision.event],
        };
      });
    },

    async revoke(
      principal: Principal,
      deviceId: string,
      input: { reason: string; unitId?: string },
    ) {
      const device = await loadDevice(deviceId);
      const targets = revocationTargets(await repo.standings(deviceId), deviceId, input.unitId);
      const unitEntities = await Promise.all(targets.map((t) => units.find(t.unitId)));
      const target = {
        action: 'device.revoke',
        objectType: 'device',
        objectId: deviceId,
        objectOrg: unitEntities[0]?.organisationId ?? device.organisationId,
        detail: { unitIds: targets.map((t) => t.unitId) },
      };
      for (const [i, standing] of targets.entries()) {
        if (!mayRevoke(principal, device, standing, unitEntities[i]!.organisationId)) {
          await ctx.pipeline.deny(
            principal,
            target,
            "Only the device's person, its approver or the unit's organisation admin may revoke it",
          );
        }
      }
      const live = liveTargets(targets, deviceId);
      return ctx.pipeline.transact(principal, target, async (tx) => {
        const locked = await repo.lockLiveStandings(
          tx,
          deviceId,
          live.map((l) => l.unitId),
        );
        const decision = decideRevoke(device, locked, principal, input.reason, new Date());
        await repo.saveStandings(tx, decision.revoked);
        return {
          result: deviceView(device, await repo.standings(deviceId, tx)),
          events: [decision.event],
        };
      });
    },

    /** Boxes of a new key ring for the remaining holders, after a rotation. */
    async storeBoxes(
      principal: Principal,
      proof: VerifiedProof | undefined,
      unitId: string,
      input: { boxes: BoxUpload[] },
    ) {
      const unit = await units.find(unitId);
      const target = {
        action: 'unit.key_boxes_store',
        objectType: 'unit',
        objectId: unitId,
        objectOrg: unit.organisationId,
      };
      await unitKeyHolder(principal, proof, unit, target);
      const checked = checkBoxUploads(
        unitId,
        input.boxes,
        await repo.boxHolderKids(unitId, input.boxes),
      );
      return ctx.pipeline.transact(
        principal,
        { ...target, detail: { holders: checked.map((c) => c.holderId) } },
        async (tx) => {
          await repo.insertBoxes(
            tx,
            keyBoxesFor(
              unitId,
              checked,
              checked.map(() => randomUUID()),
              principal,
              new Date(),
            ),
          );
          const { rotationRequired } = await repo.rotationState(unitId, tx);
          return {
            result: { unitId, stored: checked.length, rotationRequired },
            events: [boxesStoredEvent(unit, checked, rotationRequired)],
          };
        },
      );
    },

    async setRecoveryKey(
      principal: Principal,
      proof: VerifiedProof | undefined,
      unitId: string,
      input: { jwk: unknown; binding: string; box: string },
    ) {
      const unit = await units.find(unitId);
      const target = {
        action: 'unit.recovery_key_set',
        objectType: 'unit',
        objectId: unitId,
        objectOrg: unit.organisationId,
      };
      await unitKeyHolder(principal, proof, unit, target);
      const key = await publicDeviceKey(input.jwk, 'X25519', 'jwk');
      await checkBinding(input.binding, unitId, recoveryHolder(key.kid), undefined, principal);
      const decision = decideRecoveryKey({
        unit,
        key,
        binding: input.binding,
        box: input.box,
        boxId: randomUUID(),
        exists: await repo.recoveryKeyExists(key.kid),
        actor: principal,
        now: new Date(),
      });
      return ctx.pipeline.transact(
        principal,
        { ...target, detail: { kid: key.kid } },
        async (tx) => {
          await repo.replaceRecoveryKey(tx, decision.recoveryKey);
          await repo.insertBoxes(tx, [decision.box]);
          return {
            result: recoveryKeyView(decision.recoveryKey, decision.box.createdAt),
            events: [decision.event],
          };
        },
      );
    },

    /**
     * The recovery box, for the organisation admin restoring the unit's keys. A read, but one the
     * organisation must learn of: audited and announced like a change.
     */
    async recoveryBox(principal: Principal, unitId: string) {
      const unit = await units.find(unitId);
      const target = {
        action: 'unit.recovery_box_fetch',
        objectType: 'unit',
        objectId: unitId,
        objectOrg: unit.organisationId,
      };
      if (!isOwnOrgAdmin(principal, unit.organisationId)) {
        await ctx.pipeline.deny(
          principal,
          target,
          "Only the unit's organisation admin recovers its keys",
        );
      }
      const recovery = await repo.currentRecoveryKey(unitId);
      const box = recovery ? await repo.newestBox('recovery', recovery.kid, unitId) : null;
      if (!recovery || !box) {
        throw new ProblemError(P.recoveryKeyNotFound, `Unit ${unitId} has no recovery key`);
      }
      return ctx.pipeline.transact(
        principal,
        { ...target, detail: { kid: recovery.kid } },
        async () => ({
          result: {
            ...recoveryKeyView(recovery, box.createdAt),
            organisationId: unit.organisationId,
            box: box.box,
          },
          events: [
            {
              type: E.deviceRecoveryBoxFetched,
              data: {
                unitId,
                organisationId: unit.organisationId,
                kid: recovery.kid,
                fetchedBy: { issuer: principal.iss, subject: principal.sub },
              },
            },
          ],
        }),
      );
    },
  };
}

export type DeviceCommands = ReturnType<typeof createDeviceCommands>;
