import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { UnitEntity } from '../entities/unit.entity';
import { DeviceEntity } from './device.entity';

export type DeviceUnitStatus = 'pending' | 'approved' | 'revoked';

/** A device's standing with one unit: pending, approved (it holds a key box) or revoked. */
@Entity({ name: 'device_units' })
@Index('device_units_unit_status_idx', ['unitId', 'status'])
export class DeviceUnitEntity {
  @PrimaryColumn({ name: 'device_id', type: 'uuid' })
  deviceId: string;

  @ManyToOne(() => DeviceEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'device_id' })
  device?: DeviceEntity;

  @PrimaryColumn({ name: 'unit_id', type: 'uuid' })
  unitId: string;

  @ManyToOne(() => UnitEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'unit_id' })
  unit?: UnitEntity;

  @Column({ type: 'varchar', length: 10 })
  status: DeviceUnitStatus;

  @Column({ name: 'enrolled_at', type: 'timestamptz' })
  enrolledAt: Date;

  @Column({ name: 'approved_at', type: 'timestamptz', nullable: true })
  approvedAt: Date | null;

  @Column({ name: 'approved_by_issuer', type: 'varchar', length: 500, nullable: true })
  approvedByIssuer: string | null;

  @Column({ name: 'approved_by_subject', type: 'varchar', length: 200, nullable: true })
  approvedBySubject: string | null;

  @Column({ name: 'approved_by_device', type: 'uuid', nullable: true })
  approvedByDevice: string | null;

  /** the approver's compact JWS (device-binding+jwt), signed with the unit's signing key */
  @Column({ type: 'text', nullable: true })
  binding: string | null;

  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true })
  revokedAt: Date | null;

  @Column({ name: 'revoked_by_issuer', type: 'varchar', length: 500, nullable: true })
  revokedByIssuer: string | null;

  @Column({ name: 'revoked_by_subject', type: 'varchar', length: 200, nullable: true })
  revokedBySubject: string | null;

  @Column({ name: 'revocation_reason', type: 'varchar', length: 500, nullable: true })
  revocationReason: string | null;
}
