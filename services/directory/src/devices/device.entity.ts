import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * A person's device (browser, CLI) with the public halves of its own keys; the private halves
 * never leave it. Its standing with each unit is a DeviceUnitEntity.
 */
@Entity({ name: 'devices' })
@Index('devices_person_idx', ['issuer', 'subject'])
export class DeviceEntity {
  @PrimaryColumn({ type: 'uuid' })
  id: string;

  /** the person, by token issuer and subject */
  @Column({ type: 'varchar', length: 500 })
  issuer: string;

  @Column({ type: 'varchar', length: 200 })
  subject: string;

  @Column({ name: 'organisation_id', type: 'uuid' })
  organisationId: string;

  @Column({ type: 'varchar', length: 100 })
  label: string;

  /** RFC 7638 thumbprint of the X25519 encryption key */
  @Index('devices_enc_kid_key', { unique: true })
  @Column({ name: 'enc_kid', type: 'varchar', length: 100 })
  encKid: string;

  /** RFC 7638 thumbprint of the Ed25519 signing key (the DPoP key) */
  @Index('devices_sig_kid_key', { unique: true })
  @Column({ name: 'sig_kid', type: 'varchar', length: 100 })
  sigKid: string;

  @Column({ name: 'enc_jwk', type: 'jsonb' })
  encJwk: Record<string, string>;

  @Column({ name: 'sig_jwk', type: 'jsonb' })
  sigJwk: Record<string, string>;

  @Column({ name: 'enrolled_at', type: 'timestamptz' })
  enrolledAt: Date;
}
