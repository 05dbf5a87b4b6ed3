import type { DeviceUnitEntity } from './device-unit.entity';
import type { DeviceEntity } from './device.entity';
import type { RecoveryKeyEntity } from './recovery-key.entity';

/** How the API shows devices, their standings and recovery keys (openapi/directory.yaml). */

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

export function recoveryKeyView(r: RecoveryKeyEntity, boxedAt: Date | null) {
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

export { iso };
