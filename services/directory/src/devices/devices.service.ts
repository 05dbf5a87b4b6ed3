import { randomUUID } from 'node:crypto';
import { calculateJwkThumbprint, decodeProtectedHeader, type JWK } from 'jose';
import { ProblemError, type Principal } from '@samverkan/shared';
import {
  DeviceCryptoError,
  KEY_BOX_JWE_TYP,
  okpPublicJwk,
  recoveryHolder,
  verifyDeviceBinding,
  type BoxHolder,
} from '@samverkan/sdk/src/crypto/device-keys';
import { In, IsNull, LessThan, Not, type EntityManager } from 'typeorm';
import { MemberEntity, UnitEntity, UnitKeyEntity } from '../entities';
import { DirectoryProblems as P } from '../domain/errors';
import { DirectoryEvents as E } from '../events/directory-events';
import type { AuditTarget, DirectoryContext, PendingEvent } from '../services/context';
import type { UnitsService } from '../services/units.service';
import { verifyDpopProof, DPOP_MAX_AGE_SECONDS, type VerifiedProof } from './dpop';
import {
  DeviceEntity,
  DeviceProofEntity,
  DeviceUnitEntity,
  KeyBoxEntity,
  RecoveryKeyEntity,
} from './entities';

/** Roles that handle cases: only their holders may put a unit's keys on a device. */
export const CASE_HANDLING_ROLES = ['caseworker', 'officer', 'coordinator'] as const;
/** Who holds an audit unit's keys. */
export const AUDIT_KEY_ROLES = ['auditor'] as const;

const iso = (d: Date | null) => (d ? d.toISOString() : null);
const person = (issuer: string | null, subject: string | null) =>
  issuer !== null && subject !== null ? { issuer, subject } : null;

export function deviceUnitView(du: DeviceUnitEntity) {
  return {
    unitId: du.unitId,
    status: du.status,
    enrolledAt: du.enrolledAt.toISOString(),
    approvedAt: iso(du.approvedAt),
    approvedBy: person(du.approvedByIssuer, du.approvedBySubject),
    approvedByDevice: du.approvedByDevice,
    binding: du.binding,
    revokedAt: iso(du.revokedAt),
    revokedBy: person(du.revokedByIssuer, du.revokedBySubject),
    revocationReason: du.revocationReason,
  };
}

export function deviceView(d: DeviceEntity, units: DeviceUnitEntity[]) {
  return {
    id: d.id,
    label: d.label,
    person: { issuer: d.issuer, subject: d.subject },
    organisationId: d.organisationId,
    encryptionKey: d.encJwk,
    signingKey: d.sigJwk,
    enrolledAt: d.enrolledAt.toISOString(),
    units: units
      .filter((u) => u.deviceId === d.id)
      .sort((a, b) => a.unitId.localeCompare(b.unitId))
      .map(deviceUnitView),
  };
}

function recoveryKeyView(r: RecoveryKeyEntity, boxedAt: Date | null) {
  return {
    unitId: r.unitId,
    kid: r.kid,
    jwk: r.jwk,
    binding: r.binding,
    createdAt: r.createdAt.toISOString(),
    createdBy: { issuer: r.createdByIssuer, subject: r.createdBySubject },
    boxedAt: iso(boxedAt),
  };
}

function samePerson(principal: Principal, issuer: string | null, subject: string | null): boolean {
  return principal.iss === issuer && principal.sub === subject;
}

/** The organisation's own admin (not the hub operator: it never holds an agency's unit keys). */
function isOwnOrgAdmin(principal: Principal, organisationId: string): boolean {
  return principal.org === organisationId && principal.roles.includes('org_admin');
}

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
  const rows = await tx
    .getRepository(DeviceUnitEntity)
    .createQueryBuilder('du')
    .innerJoinAndSelect('du.device', 'd')
    .where('du.unit_id = :unitId AND d.subject = :userId AND du.status <> :revoked', {
      unitId,
      userId,
      revoked: 'revoked',
    })
    .setLock('pessimistic_write', undefined, ['du'])
    .getMany();
  const events: PendingEvent[] = [];
  for (const du of rows) {
    const wasApproved = du.status === 'approved';
    markRevoked(du, actor, 'removed from the unit');
    const { device, ...row } = du;
    await tx.save(DeviceUnitEntity, row);
    events.push(revokedEvent(device!, [unitId], actor, wasApproved ? [unitId] : []));
  }
  return events;
}

function markRevoked(du: DeviceUnitEntity, actor: Principal, reason: string): void {
  du.status = 'revoked';
  du.revokedAt = new Date();
  du.revokedByIssuer = actor.iss;
  du.revokedBySubject = actor.sub;
  du.revocationReason = reason;
}

function revokedEvent(
  device: DeviceEntity,
  unitIds: string[],
  actor: Principal,
  rotationRequired: string[],
): PendingEvent {
  return {
    type: E.deviceRevoked,
    data: {
      deviceId: device.id,
      organisationId: device.organisationId,
      person: { issuer: device.issuer, subject: device.subject },
      unitIds,
      revokedBy: { issuer: actor.iss, subject: actor.sub },
      rotationRequired,
    },
  };
}

/** The key id a compact JWE box is sealed to, after checking its shape. */
function boxRecipientKid(box: string): string {
  const parts = box.split('.');
  let header: ReturnType<typeof decodeProtectedHeader> | undefined;
  try {
    header = parts.length === 5 ? decodeProtectedHeader(box) : undefined;
  } catch {
    header = undefined;
  }
  if (
    !header ||
    header.typ !== KEY_BOX_JWE_TYP ||
    header.alg !== 'ECDH-ES+A256KW' ||
    header.enc !== 'A256GCM' ||
    typeof header.kid !== 'string' ||
    parts.some((p) => !/^[A-Za-z0-9_-]*$/.test(p))
  ) {
    throw new ProblemError(
      P.keyBoxMalformed,
      'A key box is a compact JWE (typ unit-key-box+jwe, ECDH-ES+A256KW, A256GCM) naming its kid',
    );
  }
  return header.kid;
}

async function publicDeviceKey(jwk: unknown, crv: 'X25519' | 'Ed25519', name: string) {
  if (jwk && typeof jwk === 'object' && 'd' in jwk) {
    throw new ProblemError(
      P.deviceKeyMalformed,
      `${name} holds a private key; it was refused and not stored. Send only the public key`,
    );
  }
  const pub = okpPublicJwk(jwk, crv);
  if (!pub) {
    throw new ProblemError(P.deviceKeyMalformed, `${name} must be a public ${crv} OKP JWK`);
  }
  const kid = await calculateJwkThumbprint(pub, 'sha256');
  const use = crv === 'X25519' ? 'enc' : 'sig';
  return {
    kid,
    jwk: {
      kty: 'OKP',
      crv,
      x: pub.x!,
      kid,
      use,
      alg: use === 'enc' ? 'ECDH-ES+A256KW' : 'EdDSA',
    } as Record<string, string>,
  };
}

/**
 * Devices, their key boxes and the units' recovery keys (docs/architecture.md#keys-and-trust). The hub only
 * stores and relays: boxes are sealed by clients to device keys, bindings are signed by clients
 * with the unit's signing key (checked here against the unit's published keys, so a client's
 * mistake is refused early; clients check again).
 */
export function createDevicesService(ctx: DirectoryContext, units: UnitsService) {
  const ds = ctx.dataSource;
  const devices = ds.getRepository(DeviceEntity);
  const deviceUnits = ds.getRepository(DeviceUnitEntity);
  const boxes = ds.getRepository(KeyBoxEntity);
  const recoveryKeys = ds.getRepository(RecoveryKeyEntity);
  const proofs = ds.getRepository(DeviceProofEntity);
  let proofsSincePrune = 0;

  /**
   * A member of the unit by the directory (not only by the token) with a role that holds its
   * keys: a case-handling role, or, in an organisation's audit unit, `auditor` (its keys open
   * only the justifications the organisation sends; docs/envelope.md "Sealed notes").
   */
  async function isCaseMember(principal: Principal, unitId: string): Promise<boolean> {
    if (!principal.units.includes(unitId)) {
      return false;
    }
    const [member, unit] = await Promise.all([
      ds.getRepository(MemberEntity).findOneBy({ unitId, userId: principal.sub }),
      ds.getRepository(UnitEntity).findOne({
        select: { id: true, purpose: true },
        where: { id: unitId },
      }),
    ]);
    if (!member || !unit) {
      return false;
    }
    const holding: readonly string[] =
      unit.purpose === 'audit' ? AUDIT_KEY_ROLES : CASE_HANDLING_ROLES;
    return member.roles.some((r) => holding.includes(r));
  }

  async function loadDevice(id: string): Promise<DeviceEntity> {
    const device = await devices.findOneBy({ id });
    if (!device) {
      throw new ProblemError(P.deviceNotFound, `No device ${id}`);
    }
    return device;
  }

  /** The caller's device that signed the proof, approved for the unit, or undefined. */
  async function approvedDeviceOf(
    principal: Principal,
    proof: VerifiedProof | undefined,
    unitId: string,
  ): Promise<DeviceEntity | undefined> {
    if (!proof) {
      return undefined;
    }
    const device = await devices.findOneBy({ sigKid: proof.sigKid });
    if (!device || !samePerson(principal, device.issuer, device.subject)) {
      return undefined;
    }
    const du = await deviceUnits.findOneBy({ deviceId: device.id, unitId, status: 'approved' });
    return du && (await isCaseMember(principal, unitId)) ? device : undefined;
  }

  /** Org admin of the unit's organisation, or an approved device of the unit; else refused. */
  async function unitKeyHolder(
    principal: Principal,
    proof: VerifiedProof | undefined,
    unit: UnitEntity,
    target: AuditTarget,
  ): Promise<DeviceEntity | null> {
    if (isOwnOrgAdmin(principal, unit.organisationId)) {
      return null;
    }
    const device = await approvedDeviceOf(principal, proof, unit.id);
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

  /** The unit's signing keys a binding may be signed with: the active ones. */
  async function unitSigningKeys(unitId: string): Promise<JWK[]> {
    const rows = await ds
      .getRepository(UnitKeyEntity)
      .findBy({ unitId, use: 'sig', status: 'active' });
    return rows.map((r) => ({ ...r.jwk, kid: r.kid }) as JWK);
  }

  async function checkBinding(
    binding: string,
    unitId: string,
    holder: BoxHolder,
    expectedPerson: { iss: string; sub: string } | undefined,
    approver: Principal,
  ) {
    try {
      const claims = await verifyDeviceBinding(binding, await unitSigningKeys(unitId), {
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

  /**
   * Whether the unit's keys are older than its last revocation. Inside a write, pass the write's
   * transaction: embedded PGlite has one connection, so a query on another one would wait for the
   * transaction that waits for it (the key-box upload of a rotation stalled until the pool gave up).
   */
  async function rotationState(unitId: string, manager: EntityManager = ds.manager) {
    const last = (await manager
      .getRepository(DeviceUnitEntity)
      .createQueryBuilder('du')
      .select('max(du.revoked_at)', 'at')
      .where('du.unit_id = :unitId AND du.approved_at IS NOT NULL AND du.revoked_at IS NOT NULL', {
        unitId,
      })
      .getRawOne()) as { at: Date | string | null } | undefined;
    const lastRevocationAt = last?.at ? new Date(last.at) : null;
    const stale = lastRevocationAt
      ? await manager.getRepository(UnitKeyEntity).countBy({
          unitId,
          status: 'active',
          publishedAt: LessThan(lastRevocationAt),
        })
      : 0;
    return { lastRevocationAt, rotationRequired: stale > 0 };
  }

  async function unitsOf(deviceIds: string[]) {
    return deviceIds.length === 0 ? [] : deviceUnits.findBy({ deviceId: In(deviceIds) });
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
      const inserted = (await ds.query(
        `INSERT INTO ${proofs.metadata.tablePath} (jti, sig_kid, seen_at) VALUES ($1, $2, now())
         ON CONFLICT (jti) DO NOTHING RETURNING jti`,
        [proof.jti, proof.sigKid],
      )) as unknown[];
      if (inserted.length === 0) {
        throw new ProblemError(P.deviceProofInvalid, 'This DPoP proof was already used');
      }
      proofsSincePrune += 1;
      if (proofsSincePrune >= 100) {
        proofsSincePrune = 0;
        // Older proofs are refused by their iat anyway; their ids need not be kept.
        await proofs.delete({
          seenAt: LessThan(new Date(Date.now() - 2 * DPOP_MAX_AGE_SECONDS * 1000)),
        });
      }
      return proof;
    },

    async enrol(
      principal: Principal,
      proof: VerifiedProof,
      input: {
        label: string;
        encryptionKey: unknown;
        signingKey: unknown;
        unitIds?: string[];
      },
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
      let unitIds = input.unitIds;
      if (unitIds) {
        for (const unitId of unitIds) {
          await units.find(unitId);
          if (!(await isCaseMember(principal, unitId))) {
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
          if (await isCaseMember(principal, unitId)) {
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
      if (await devices.findOne({ where: [{ sigKid: sig.kid }, { encKid: enc.kid }] })) {
        throw new ProblemError(P.deviceExists, 'This device key is already enrolled');
      }
      const id = randomUUID();
      return ctx.pipeline.transact(
        principal,
        { ...target, objectId: id, detail: { unitIds } },
        async (tx) => {
          const now = new Date();
          const device = tx.create(DeviceEntity, {
            id,
            issuer: principal.iss,
            subject: principal.sub,
            organisationId: principal.org,
            label: input.label,
            encKid: enc.kid,
            sigKid: sig.kid,
            encJwk: enc.jwk,
            sigJwk: sig.jwk,
            enrolledAt: now,
          });
          try {
            await tx.insert(DeviceEntity, device);
          } catch (err) {
            // The same key enrolled at the same moment by another request: one of them wins.
            if ((err as { driverError?: { code?: string } }).driverError?.code === '23505') {
              throw new ProblemError(P.deviceExists, 'This device key is already enrolled');
            }
            throw err;
          }
          const rows = unitIds.map((unitId) =>
            tx.create(DeviceUnitEntity, {
              deviceId: id,
              unitId,
              status: 'pending',
              enrolledAt: now,
              approvedAt: null,
              approvedByIssuer: null,
              approvedBySubject: null,
              approvedByDevice: null,
              binding: null,
              revokedAt: null,
              revokedByIssuer: null,
              revokedBySubject: null,
              revocationReason: null,
            }),
          );
          await tx.insert(DeviceUnitEntity, rows);
          return {
            result: deviceView(device, rows),
            events: [
              {
                type: E.deviceEnrolled,
                data: {
                  deviceId: id,
                  organisationId: principal.org,
                  person: { issuer: principal.iss, subject: principal.sub },
                  unitIds,
                },
              },
            ],
          };
        },
      );
    },

    async listMine(principal: Principal) {
      const rows = await devices.find({
        where: { issuer: principal.iss, subject: principal.sub },
        order: { enrolledAt: 'DESC', id: 'ASC' },
        take: 200,
      });
      const du = await unitsOf(rows.map((d) => d.id));
      return { items: rows.map((d) => deviceView(d, du)) };
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
      const current = await deviceUnits.findOneBy({ deviceId, unitId: unit.id });
      if (!current) {
        throw new ProblemError(
          P.deviceNotFound,
          `Device ${deviceId} is not enrolled for ${unit.id}`,
        );
      }
      if (current.status !== 'pending') {
        throw new ProblemError(
          P.deviceStateConflict,
          `Device ${deviceId} is ${current.status} for unit ${unit.id}`,
        );
      }
      const claims = await checkBinding(
        input.binding,
        unit.id,
        { id: deviceId, encryptionKid: device.encKid, signingKid: device.sigKid },
        { iss: device.issuer, sub: device.subject },
        principal,
      );
      if ((claims.approvedByDevice ?? null) !== (approverDevice?.id ?? null)) {
        throw new ProblemError(
          P.deviceBindingInvalid,
          'The binding names another approving device than the one that sent it',
        );
      }
      if (boxRecipientKid(input.box) !== device.encKid) {
        throw new ProblemError(P.keyBoxMalformed, "The box is not sealed to the device's key");
      }
      return ctx.pipeline.transact(principal, target, async (tx) => {
        const du = await tx.findOne(DeviceUnitEntity, {
          where: { deviceId, unitId: unit.id },
          lock: { mode: 'pessimistic_write' },
        });
        if (!du || du.status !== 'pending') {
          throw new ProblemError(P.deviceStateConflict, `Device ${deviceId} is no longer pending`);
        }
        const now = new Date();
        du.status = 'approved';
        du.approvedAt = now;
        du.approvedByIssuer = principal.iss;
        du.approvedBySubject = principal.sub;
        du.approvedByDevice = approverDevice?.id ?? null;
        du.binding = input.binding;
        await tx.save(DeviceUnitEntity, du);
        await tx.insert(KeyBoxEntity, {
          id: randomUUID(),
          unitId: unit.id,
          holderType: 'device',
          holderId: deviceId,
          box: input.box,
          createdAt: now,
          createdByIssuer: principal.iss,
          createdBySubject: principal.sub,
        });
        const all = await tx.findBy(DeviceUnitEntity, { deviceId });
        return {
          result: deviceView(device, all),
          events: [
            {
              type: E.deviceApproved,
              data: {
                deviceId,
                unitId: unit.id,
                organisationId: unit.organisationId,
                person: { issuer: device.issuer, subject: device.subject },
                approvedBy: { issuer: principal.iss, subject: principal.sub },
                approvedByDevice: approverDevice?.id ?? null,
              },
            },
          ],
        };
      });
    },

    async revoke(
      principal: Principal,
      deviceId: string,
      input: { reason: string; unitId?: string },
    ) {
      const device = await loadDevice(deviceId);
      const rows = await deviceUnits.findBy({ deviceId });
      const targets = rows.filter((r) => !input.unitId || r.unitId === input.unitId);
      if (input.unitId && targets.length === 0) {
        throw new ProblemError(
          P.deviceNotFound,
          `Device ${deviceId} is not enrolled for unit ${input.unitId}`,
        );
      }
      const unitEntities = await Promise.all(targets.map((t) => units.find(t.unitId)));
      const target = {
        action: 'device.revoke',
        objectType: 'device',
        objectId: deviceId,
        objectOrg: unitEntities[0]?.organisationId ?? device.organisationId,
        detail: { unitIds: targets.map((t) => t.unitId) },
      };
      const own = samePerson(principal, device.issuer, device.subject);
      for (const [i, du] of targets.entries()) {
        const allowed =
          own ||
          samePerson(principal, du.approvedByIssuer, du.approvedBySubject) ||
          isOwnOrgAdmin(principal, unitEntities[i]!.organisationId);
        if (!allowed) {
          await ctx.pipeline.deny(
            principal,
            target,
            "Only the device's person, its approver or the unit's organisation admin may revoke it",
          );
        }
      }
      const live = targets.filter((t) => t.status !== 'revoked');
      if (live.length === 0) {
        throw new ProblemError(P.deviceStateConflict, `Device ${deviceId} is already revoked`);
      }
      return ctx.pipeline.transact(principal, target, async (tx) => {
        const locked = await tx.find(DeviceUnitEntity, {
          where: {
            deviceId,
            unitId: In(live.map((l) => l.unitId)),
            status: Not('revoked'),
          },
          lock: { mode: 'pessimistic_write' },
        });
        const rotationRequired = locked.filter((l) => l.status === 'approved').map((l) => l.unitId);
        for (const du of locked) {
          markRevoked(du, principal, input.reason);
          await tx.save(DeviceUnitEntity, du);
        }
        const all = await tx.findBy(DeviceUnitEntity, { deviceId });
        return {
          result: deviceView(device, all),
          events: [
            revokedEvent(
              device,
              locked.map((l) => l.unitId),
              principal,
              rotationRequired,
            ),
          ],
        };
      });
    },

    /** The newest box of each unit the proven device is approved for; every fetch is audited. */
    async keyBoxes(principal: Principal, proof: VerifiedProof) {
      const device = await devices.findOneBy({ sigKid: proof.sigKid });
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
      const rows = await deviceUnits.findBy({ deviceId: d.id });
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
        if (!(await isCaseMember(principal, du.unitId))) {
          continue;
        }
        const [box] = await boxes.find({
          where: { holderType: 'device', holderId: d.id, unitId: du.unitId },
          order: { createdAt: 'DESC' },
          take: 1,
        });
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
      await ctx.audit.append({
        ...target,
        actor: principal,
        outcome: 'allowed',
        detail: { unitIds: served },
      });
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
        // An approver: a case-handling member with an approved device for the unit.
        const mine = await deviceUnits
          .createQueryBuilder('du')
          .innerJoin('du.device', 'd')
          .where(
            'du.unit_id = :unitId AND du.status = :approved AND d.issuer = :iss AND d.subject = :sub',
            { unitId, approved: 'approved', iss: principal.iss, sub: principal.sub },
          )
          .getCount();
        if (mine === 0 || !(await isCaseMember(principal, unitId))) {
          await ctx.pipeline.deny(
            principal,
            target,
            "Only the unit's approvers (members with an approved device) and its organisation admin see its devices",
          );
        }
      }
      const rows = await deviceUnits.find({
        where: { unitId },
        relations: { device: true },
        order: { enrolledAt: 'ASC' },
        take: 1000,
      });
      const boxTimes = (await boxes
        .createQueryBuilder('b')
        .select('b.holder_id', 'holderId')
        .addSelect('max(b.created_at)', 'at')
        .where('b.unit_id = :unitId', { unitId })
        .groupBy('b.holder_id')
        .getRawMany()) as Array<{ holderId: string; at: Date | string }>;
      const boxedAt = new Map(boxTimes.map((b) => [b.holderId, new Date(b.at)]));
      const [recovery] = await recoveryKeys.find({
        where: { unitId, replacedAt: IsNull() },
        order: { createdAt: 'DESC' },
        take: 1,
      });
      const { lastRevocationAt, rotationRequired } = await rotationState(unitId);
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

    /** Boxes of a new key ring for the remaining holders, after a rotation. */
    async storeBoxes(
      principal: Principal,
      proof: VerifiedProof | undefined,
      unitId: string,
      input: { boxes: Array<{ holder: 'device' | 'recovery'; holderId: string; box: string }> },
    ) {
      const unit = await units.find(unitId);
      const target = {
        action: 'unit.key_boxes_store',
        objectType: 'unit',
        objectId: unitId,
        objectOrg: unit.organisationId,
      };
      await unitKeyHolder(principal, proof, unit, target);
      const checked: Array<{ holder: 'device' | 'recovery'; holderId: string; box: string }> = [];
      for (const b of input.boxes) {
        const kid = boxRecipientKid(b.box);
        let expectedKid: string | undefined;
        if (b.holder === 'device') {
          const du = await deviceUnits.findOne({
            where: { deviceId: b.holderId, unitId, status: 'approved' },
            relations: { device: true },
          });
          expectedKid = du?.device?.encKid;
        } else {
          const rk = await recoveryKeys.findOneBy({
            kid: b.holderId,
            unitId,
            replacedAt: IsNull(),
          });
          expectedKid = rk?.kid;
        }
        if (!expectedKid) {
          throw new ProblemError(
            P.keyBoxHolderInvalid,
            `${b.holder} ${b.holderId} is not an approved device or the recovery key of unit ${unitId}`,
          );
        }
        if (kid !== expectedKid) {
          throw new ProblemError(
            P.keyBoxMalformed,
            `The box for ${b.holder} ${b.holderId} is not sealed to its key`,
          );
        }
        checked.push(b);
      }
      return ctx.pipeline.transact(
        principal,
        { ...target, detail: { holders: checked.map((c) => c.holderId) } },
        async (tx) => {
          const now = new Date();
          for (const b of checked) {
            await tx.insert(KeyBoxEntity, {
              id: randomUUID(),
              unitId,
              holderType: b.holder,
              holderId: b.holderId,
              box: b.box,
              createdAt: now,
              createdByIssuer: principal.iss,
              createdBySubject: principal.sub,
            });
          }
          const { rotationRequired } = await rotationState(unitId, tx);
          return {
            result: { unitId, stored: checked.length, rotationRequired },
            events: [
              {
                type: E.deviceKeyBoxesStored,
                data: {
                  unitId,
                  organisationId: unit.organisationId,
                  deviceIds: checked.filter((c) => c.holder === 'device').map((c) => c.holderId),
                  recoveryKey: checked.some((c) => c.holder === 'recovery'),
                  rotationRequired,
                },
              },
            ],
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
      if (boxRecipientKid(input.box) !== key.kid) {
        throw new ProblemError(P.keyBoxMalformed, 'The box is not sealed to the recovery key');
      }
      if (await recoveryKeys.findOneBy({ kid: key.kid })) {
        throw new ProblemError(P.deviceExists, 'This recovery key is already registered');
      }
      return ctx.pipeline.transact(
        principal,
        { ...target, detail: { kid: key.kid } },
        async (tx) => {
          const now = new Date();
          await tx.update(RecoveryKeyEntity, { unitId, replacedAt: IsNull() }, { replacedAt: now });
          const row = tx.create(RecoveryKeyEntity, {
            kid: key.kid,
            unitId,
            jwk: key.jwk,
            binding: input.binding,
            createdAt: now,
            createdByIssuer: principal.iss,
            createdBySubject: principal.sub,
            replacedAt: null,
          });
          await tx.insert(RecoveryKeyEntity, row);
          await tx.insert(KeyBoxEntity, {
            id: randomUUID(),
            unitId,
            holderType: 'recovery',
            holderId: key.kid,
            box: input.box,
            createdAt: now,
            createdByIssuer: principal.iss,
            createdBySubject: principal.sub,
          });
          return {
            result: recoveryKeyView(row, now),
            events: [
              {
                type: E.deviceRecoveryKeySet,
                data: { unitId, organisationId: unit.organisationId, kid: key.kid },
              },
            ],
          };
        },
      );
    },

    /** The recovery box, for the organisation admin restoring the unit's keys; audited. */
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
      const [recovery] = await recoveryKeys.find({
        where: { unitId, replacedAt: IsNull() },
        order: { createdAt: 'DESC' },
        take: 1,
      });
      const [box] = recovery
        ? await boxes.find({
            where: { holderType: 'recovery', holderId: recovery.kid, unitId },
            order: { createdAt: 'DESC' },
            take: 1,
          })
        : [];
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

export type DevicesService = ReturnType<typeof createDevicesService>;
