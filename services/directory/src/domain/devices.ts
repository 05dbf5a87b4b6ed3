import { calculateJwkThumbprint, decodeProtectedHeader } from 'jose';
import { ProblemError, type Principal } from '@samverkan/shared';
import { KEY_BOX_JWE_TYP, okpPublicJwk } from '@samverkan/sdk/src/crypto/device-keys';
import type { DeviceEntity } from '../devices/device.entity';
import type { DeviceUnitEntity } from '../devices/device-unit.entity';
import type { KeyBoxEntity } from '../devices/key-box.entity';
import type { RecoveryKeyEntity } from '../devices/recovery-key.entity';
import { DirectoryEvents as E } from '../events/directory-events';
import type { PendingEvent } from '../services/context';
import { DirectoryProblems as P } from './errors';

/**
 * The rules of devices, their key boxes and the units' recovery keys, as pure decisions: each
 * takes what was loaded and the input and either refuses (a 4xx `ProblemError`) or answers the
 * rows to write and the events to publish. No I/O: the commands (devices/commands.ts) load,
 * authorize (devices/access.ts), call these, and persist through devices/repository.ts.
 */

/** Roles that handle cases: only their holders may put a unit's keys on a device. */
export const CASE_HANDLING_ROLES = ['caseworker', 'officer', 'coordinator'] as const;
/** Who holds an audit unit's keys. */
export const AUDIT_KEY_ROLES = ['auditor'] as const;

/**
 * Whether a member with these roles holds the unit's keys: a case-handling role, or, in an
 * organisation's audit unit, `auditor` (its keys open only the justifications the organisation
 * sends; docs/envelope.md "Sealed notes").
 */
export function holdsUnitKeys(unitPurpose: string, roles: readonly string[]): boolean {
  const holding: readonly string[] =
    unitPurpose === 'audit' ? AUDIT_KEY_ROLES : CASE_HANDLING_ROLES;
  return roles.some((r) => holding.includes(r));
}

type Person = { iss: string; sub: string };

const person = (p: Person) => ({ issuer: p.iss, subject: p.sub });

/** The key id a compact JWE box is sealed to, after checking its shape. */
export function boxRecipientKid(box: string): string {
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

export interface PublicDeviceKey {
  kid: string;
  jwk: Record<string, string>;
}

/** A device's (or recovery) public key as stored: never a private key; kid = RFC 7638 thumbprint. */
export async function publicDeviceKey(
  jwk: unknown,
  crv: 'X25519' | 'Ed25519',
  name: string,
): Promise<PublicDeviceKey> {
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
    jwk: { kty: 'OKP', crv, x: pub.x!, kid, use, alg: use === 'enc' ? 'ECDH-ES+A256KW' : 'EdDSA' },
  };
}

function newKeyBox(
  unitId: string,
  holderType: 'device' | 'recovery',
  holderId: string,
  box: string,
  id: string,
  actor: Person,
  now: Date,
): KeyBoxEntity {
  return {
    id,
    unitId,
    holderType,
    holderId,
    box,
    createdAt: now,
    createdByIssuer: actor.iss,
    createdBySubject: actor.sub,
  };
}

// --- enrol ---------------------------------------------------------------------------------

export interface EnrolDecision {
  device: DeviceEntity;
  units: DeviceUnitEntity[];
  event: PendingEvent;
}

export function decideEnrol(input: {
  id: string;
  actor: Principal;
  label: string;
  enc: PublicDeviceKey;
  sig: PublicDeviceKey;
  unitIds: string[];
  /** a device already holds one of these keys */
  keyTaken: boolean;
  now: Date;
}): EnrolDecision {
  if (input.keyTaken) {
    throw new ProblemError(P.deviceExists, 'This device key is already enrolled');
  }
  const { id, actor, now } = input;
  const device: DeviceEntity = {
    id,
    issuer: actor.iss,
    subject: actor.sub,
    organisationId: actor.org,
    label: input.label,
    encKid: input.enc.kid,
    sigKid: input.sig.kid,
    encJwk: input.enc.jwk,
    sigJwk: input.sig.jwk,
    enrolledAt: now,
  };
  const units = input.unitIds.map((unitId): DeviceUnitEntity => ({
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
  }));
  return {
    device,
    units,
    event: {
      type: E.deviceEnrolled,
      data: {
        deviceId: id,
        organisationId: actor.org,
        person: person(actor),
        unitIds: input.unitIds,
      },
    },
  };
}

// --- approve -------------------------------------------------------------------------------

/** Before the binding is checked: the device must be pending for the unit. */
export function checkApprovable(
  current: DeviceUnitEntity | null,
  deviceId: string,
  unitId: string,
): void {
  if (!current) {
    throw new ProblemError(P.deviceNotFound, `Device ${deviceId} is not enrolled for ${unitId}`);
  }
  if (current.status !== 'pending') {
    throw new ProblemError(
      P.deviceStateConflict,
      `Device ${deviceId} is ${current.status} for unit ${unitId}`,
    );
  }
}

/** After the binding's signature was verified: what it names must be who approves, and the box its device's. */
export function checkApproval(input: {
  device: DeviceEntity;
  claimedApproverDevice: string | null;
  approverDevice: string | null;
  box: string;
}): void {
  if (input.claimedApproverDevice !== input.approverDevice) {
    throw new ProblemError(
      P.deviceBindingInvalid,
      'The binding names another approving device than the one that sent it',
    );
  }
  if (boxRecipientKid(input.box) !== input.device.encKid) {
    throw new ProblemError(P.keyBoxMalformed, "The box is not sealed to the device's key");
  }
}

export interface ApproveDecision {
  deviceUnit: DeviceUnitEntity;
  box: KeyBoxEntity;
  event: PendingEvent;
}

/** On the device's standing read under FOR UPDATE: still pending, it becomes approved. */
export function decideApprove(input: {
  locked: DeviceUnitEntity | null;
  device: DeviceEntity;
  unit: { id: string; organisationId: string };
  actor: Principal;
  approverDevice: string | null;
  binding: string;
  box: string;
  boxId: string;
  now: Date;
}): ApproveDecision {
  const { locked, device, unit, actor, now } = input;
  if (!locked || locked.status !== 'pending') {
    throw new ProblemError(P.deviceStateConflict, `Device ${device.id} is no longer pending`);
  }
  return {
    deviceUnit: {
      ...locked,
      status: 'approved',
      approvedAt: now,
      approvedByIssuer: actor.iss,
      approvedBySubject: actor.sub,
      approvedByDevice: input.approverDevice,
      binding: input.binding,
    },
    box: newKeyBox(unit.id, 'device', device.id, input.box, input.boxId, actor, now),
    event: {
      type: E.deviceApproved,
      data: {
        deviceId: device.id,
        unitId: unit.id,
        organisationId: unit.organisationId,
        person: { issuer: device.issuer, subject: device.subject },
        approvedBy: person(actor),
        approvedByDevice: input.approverDevice,
      },
    },
  };
}

// --- revoke --------------------------------------------------------------------------------

/** The standings a revocation names: all of the device's, or its standing with one unit. */
export function revocationTargets(
  rows: DeviceUnitEntity[],
  deviceId: string,
  unitId: string | undefined,
): DeviceUnitEntity[] {
  const targets = rows.filter((r) => !unitId || r.unitId === unitId);
  if (unitId && targets.length === 0) {
    throw new ProblemError(
      P.deviceNotFound,
      `Device ${deviceId} is not enrolled for unit ${unitId}`,
    );
  }
  return targets;
}

/** The targets not yet revoked; refuses when there is none. */
export function liveTargets(targets: DeviceUnitEntity[], deviceId: string): DeviceUnitEntity[] {
  const live = targets.filter((t) => t.status !== 'revoked');
  if (live.length === 0) {
    throw new ProblemError(P.deviceStateConflict, `Device ${deviceId} is already revoked`);
  }
  return live;
}

export interface RevokeDecision {
  revoked: DeviceUnitEntity[];
  event: PendingEvent;
}

/**
 * Revokes the device's standings read under FOR UPDATE. A unit it was approved for must rotate
 * its keys (the device holds them), which the event says.
 */
export function decideRevoke(
  device: DeviceEntity,
  locked: DeviceUnitEntity[],
  actor: Person,
  reason: string,
  now: Date,
): RevokeDecision {
  const rotationRequired = locked.filter((l) => l.status === 'approved').map((l) => l.unitId);
  return {
    revoked: locked.map((du) => ({
      ...du,
      status: 'revoked',
      revokedAt: now,
      revokedByIssuer: actor.iss,
      revokedBySubject: actor.sub,
      revocationReason: reason,
    })),
    event: {
      type: E.deviceRevoked,
      data: {
        deviceId: device.id,
        organisationId: device.organisationId,
        person: { issuer: device.issuer, subject: device.subject },
        unitIds: locked.map((l) => l.unitId),
        revokedBy: person(actor),
        rotationRequired,
      },
    },
  };
}

// --- key boxes after a rotation ------------------------------------------------------------

export interface BoxUpload {
  holder: 'device' | 'recovery';
  holderId: string;
  box: string;
}

/**
 * Each box must be sealed to the key of an approved device or of the current recovery key of
 * the unit (`holderKids`: `device:<id>` or `recovery:<kid>` → the key id its box is sealed to).
 */
export function checkBoxUploads(
  unitId: string,
  boxes: BoxUpload[],
  holderKids: ReadonlyMap<string, string>,
): BoxUpload[] {
  for (const b of boxes) {
    const kid = boxRecipientKid(b.box);
    const expectedKid = holderKids.get(`${b.holder}:${b.holderId}`);
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
  }
  return boxes;
}

export function keyBoxesFor(
  unitId: string,
  boxes: BoxUpload[],
  ids: string[],
  actor: Person,
  now: Date,
): KeyBoxEntity[] {
  return boxes.map((b, i) => newKeyBox(unitId, b.holder, b.holderId, b.box, ids[i]!, actor, now));
}

export function boxesStoredEvent(
  unit: { id: string; organisationId: string },
  boxes: BoxUpload[],
  rotationRequired: boolean,
): PendingEvent {
  return {
    type: E.deviceKeyBoxesStored,
    data: {
      unitId: unit.id,
      organisationId: unit.organisationId,
      deviceIds: boxes.filter((c) => c.holder === 'device').map((c) => c.holderId),
      recoveryKey: boxes.some((c) => c.holder === 'recovery'),
      rotationRequired,
    },
  };
}

// --- recovery key --------------------------------------------------------------------------

export interface RecoveryKeyDecision {
  recoveryKey: RecoveryKeyEntity;
  box: KeyBoxEntity;
  event: PendingEvent;
}

/** A new recovery key (it replaces the unit's current one) with the unit's keys boxed to it. */
export function decideRecoveryKey(input: {
  unit: { id: string; organisationId: string };
  key: PublicDeviceKey;
  binding: string;
  box: string;
  boxId: string;
  /** the key is registered already */
  exists: boolean;
  actor: Person;
  now: Date;
}): RecoveryKeyDecision {
  const { unit, key, actor, now } = input;
  if (boxRecipientKid(input.box) !== key.kid) {
    throw new ProblemError(P.keyBoxMalformed, 'The box is not sealed to the recovery key');
  }
  if (input.exists) {
    throw new ProblemError(P.deviceExists, 'This recovery key is already registered');
  }
  return {
    recoveryKey: {
      kid: key.kid,
      unitId: unit.id,
      jwk: key.jwk,
      binding: input.binding,
      createdAt: now,
      createdByIssuer: actor.iss,
      createdBySubject: actor.sub,
      replacedAt: null,
    },
    box: newKeyBox(unit.id, 'recovery', key.kid, input.box, input.boxId, actor, now),
    event: {
      type: E.deviceRecoveryKeySet,
      data: { unitId: unit.id, organisationId: unit.organisationId, kid: key.kid },
    },
  };
}
