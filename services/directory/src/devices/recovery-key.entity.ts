import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * A unit recovery key: the public half of an X25519 key made on a client, whose secret was shown
 * once and is kept offline. One more key box holder; the newest one of a unit is the active one.
 */
@Entity({ name: 'unit_recovery_keys' })
@Index('unit_recovery_keys_unit_idx', ['unitId', 'createdAt'])
export class RecoveryKeyEntity {
  @PrimaryColumn({ type: 'varchar', length: 100 })
  kid: string;

  @Column({ name: 'unit_id', type: 'uuid' })
  unitId: string;

  @Column({ type: 'jsonb' })
  jwk: Record<string, string>;

  @Column({ type: 'text' })
  binding: string;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'created_by_issuer', type: 'varchar', length: 500 })
  createdByIssuer: string;

  @Column({ name: 'created_by_subject', type: 'varchar', length: 200 })
  createdBySubject: string;

  /** set when a newer recovery key replaced it */
  @Column({ name: 'replaced_at', type: 'timestamptz', nullable: true })
  replacedAt: Date | null;
}
