import { Column, Entity, PrimaryColumn } from 'typeorm';

const bigintAsNumber = { to: (v: number) => v, from: (v: string) => Number(v) };

/** Append-only, hash-chained record of every key change; clients can replay and verify it. */
@Entity({ name: 'key_log' })
export class KeyLogEntryEntity {
  @PrimaryColumn({ type: 'bigint', transformer: bigintAsNumber })
  seq: number;

  @Column({ type: 'timestamptz' })
  at: Date;

  @Column({ type: 'varchar', length: 30 })
  action:
    'root_key_registered' | 'root_key_revoked' | 'key_published' | 'key_retired' | 'key_revoked';

  @Column({ name: 'organisation_id', type: 'uuid' })
  organisationId: string;

  @Column({ name: 'unit_id', type: 'uuid', nullable: true })
  unitId: string | null;

  @Column({ type: 'varchar', length: 100 })
  kid: string;

  @Column({ type: 'varchar', length: 3, nullable: true })
  use: 'enc' | 'sig' | null;

  @Column({ type: 'jsonb' })
  document: Record<string, unknown>;

  @Column({ type: 'varchar', length: 200 })
  actor: string;

  /** the actor's token issuer; null on entries written before it was recorded */
  @Column({ name: 'actor_issuer', type: 'varchar', length: 500, nullable: true })
  actorIssuer: string | null;

  @Column({ name: 'prev_hash', type: 'char', length: 64 })
  prevHash: string;

  @Column({ type: 'char', length: 64 })
  hash: string;
}
