import { Column, JoinColumn, ManyToOne, Entity, Index, PrimaryColumn } from 'typeorm';
import { OrganisationEntity } from './organisation.entity';

/** An organisation's root signing key (Ed25519); it signs the organisation's unit keys. */
@Entity({ name: 'root_keys' })
export class RootKeyEntity {
  /** RFC 7638 thumbprint of the public JWK; also its fingerprint */
  @PrimaryColumn({ type: 'varchar', length: 100 })
  kid: string;

  @Index('root_keys_organisation_idx')
  @Column({ name: 'organisation_id', type: 'uuid' })
  organisationId: string;

  @ManyToOne(() => OrganisationEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'organisation_id' })
  organisation?: OrganisationEntity;

  @Column({ type: 'jsonb' })
  jwk: Record<string, string>;

  @Column({ type: 'varchar', length: 10 })
  status: 'active' | 'revoked';

  @Column({ name: 'registered_at', type: 'timestamptz' })
  registeredAt: Date;

  @Column({ name: 'registered_by', type: 'varchar', length: 200 })
  registeredBy: string;

  /** the registering hub admin's token issuer (null on rows written before it was recorded) */
  @Column({ name: 'registered_by_issuer', type: 'varchar', length: 500, nullable: true })
  registeredByIssuer: string | null;

  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true })
  revokedAt: Date | null;

  @Column({ name: 'revocation_reason', type: 'varchar', length: 500, nullable: true })
  revocationReason: string | null;
}
