import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * Read model of the directory's trusted token issuers, fed by `samverkan.directory.issuer.*`, in
 * each service's own schema (the services other than the directory cannot read its tables).
 */
@Entity({ name: 'trusted_issuers' })
export class TrustedIssuerEntity {
  @PrimaryColumn({ type: 'varchar', length: 500 })
  issuer: string;

  @Column({ name: 'organisation_ids', type: 'uuid', array: true })
  organisationIds: string[];

  @Column({ name: 'key_source', type: 'varchar', length: 5 })
  keySource: 'jwks' | 'pem';

  @Column({ name: 'public_key_pem', type: 'text', nullable: true })
  publicKeyPem: string | null;

  @Column({ type: 'text', array: true })
  algorithms: string[];

  /** `active`, or `disabled` (also when the directory deleted it) */
  @Column({ type: 'varchar', length: 10 })
  status: string;

  @Column({ name: 'event_at', type: 'timestamptz' })
  eventAt: Date;
}
