import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

/** An identity provider whose tokens the hub accepts, and the organisations it may speak for. */
@Entity({ name: 'issuers' })
export class IssuerEntity {
  @PrimaryColumn({ type: 'uuid' })
  id: string;

  @Column({ type: 'varchar', length: 500, unique: true })
  issuer: string;

  @Column({ name: 'organisation_ids', type: 'uuid', array: true })
  organisationIds: string[];

  @Column({ name: 'key_source', type: 'varchar', length: 5 })
  keySource: 'jwks' | 'pem';

  @Column({ name: 'public_key_pem', type: 'text', nullable: true })
  publicKeyPem: string | null;

  @Column({ type: 'text', array: true })
  algorithms: string[];

  @Column({ type: 'varchar', length: 10, default: 'active' })
  status: 'active' | 'disabled';

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
