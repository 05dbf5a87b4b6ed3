import { Column, JoinColumn, ManyToOne, Entity, Index, PrimaryColumn } from 'typeorm';
import { UnitEntity } from './unit.entity';

/** A unit's public encryption (X25519) or signing (Ed25519) key, signed by its organisation's root key. */
@Entity({ name: 'unit_keys' })
@Index('unit_keys_unit_status_idx', ['unitId', 'status'])
export class UnitKeyEntity {
  /** RFC 7638 thumbprint of the public JWK */
  @PrimaryColumn({ type: 'varchar', length: 100 })
  kid: string;

  @Column({ name: 'unit_id', type: 'uuid' })
  unitId: string;

  @ManyToOne(() => UnitEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'unit_id' })
  unit?: UnitEntity;

  @Column({ name: 'organisation_id', type: 'uuid' })
  organisationId: string;

  @Column({ type: 'varchar', length: 3 })
  use: 'enc' | 'sig';

  @Column({ type: 'varchar', length: 20 })
  alg: 'ECDH-ES+A256KW' | 'EdDSA';

  @Column({ type: 'jsonb' })
  jwk: Record<string, string>;

  /** the compact JWS by the root key, kept so that clients can verify it themselves */
  @Column({ type: 'text' })
  signed: string;

  @Column({ name: 'root_kid', type: 'varchar', length: 100 })
  rootKid: string;

  @Column({ type: 'varchar', length: 10 })
  status: 'active' | 'retired' | 'revoked';

  @Column({ name: 'published_at', type: 'timestamptz' })
  publishedAt: Date;

  @Column({ name: 'retired_at', type: 'timestamptz', nullable: true })
  retiredAt: Date | null;

  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true })
  revokedAt: Date | null;

  @Column({ name: 'revocation_reason', type: 'varchar', length: 500, nullable: true })
  revocationReason: string | null;
}
