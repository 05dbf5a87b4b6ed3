import { Column, Entity, Index, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';

/**
 * Tables every service has in its own schema: the transactional outbox, the hash-chained audit
 * log, idempotency records for writes, the record of events a consumer has handled, and the
 * dead letters of events that could not be handled. No schema is named here: each service's
 * DataSource supplies its own.
 */

const bigintAsNumber = {
  to: (v: number | undefined) => v,
  from: (v: string | null) => (v === null ? null : Number(v)),
};

@Entity({ name: 'outbox' })
@Index('outbox_unpublished_idx', ['position'], { where: 'published_at IS NULL' })
export class OutboxEventEntity {
  // bigint arrives as a string from pg; only raw SQL reads it
  @PrimaryGeneratedColumn('increment', { type: 'bigint' })
  position: string;

  @Column({ type: 'uuid', unique: true })
  id: string;

  @Column({ type: 'varchar', length: 200 })
  type: string;

  @Column({ type: 'jsonb' })
  payload: Record<string, unknown>;

  @Column({ type: 'jsonb', default: () => "'{}'" })
  headers: Record<string, string>;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt: Date;

  @Column({ name: 'published_at', type: 'timestamptz', nullable: true })
  publishedAt: Date | null;

  @Column({ type: 'integer', default: 0 })
  attempts: number;

  @Column({ name: 'locked_until', type: 'timestamptz', nullable: true })
  lockedUntil: Date | null;

  @Column({ name: 'last_error', type: 'text', nullable: true })
  lastError: string | null;
}

@Entity({ name: 'audit_log' })
// A GIN index for the auditors' `:org = ANY(party_orgs)`; made by the migrations, not by TypeORM.
@Index('audit_log_party_orgs_gin', { synchronize: false })
// A referral's access log reads its entries by object.
@Index('audit_log_object_idx', ['objectType', 'objectId'])
export class AuditEntryEntity {
  @PrimaryColumn({ type: 'bigint', transformer: bigintAsNumber })
  seq: number;

  @Column({ type: 'uuid', unique: true })
  id: string;

  @Column({ type: 'timestamptz' })
  at: Date;

  @Column({ name: 'actor_sub', type: 'varchar', length: 200 })
  actorSub: string;

  @Index('audit_log_actor_org_idx')
  @Column({ name: 'actor_org', type: 'varchar', length: 64, nullable: true })
  actorOrg: string | null;

  @Column({ name: 'actor_issuer', type: 'varchar', length: 500, nullable: true })
  actorIssuer: string | null;

  @Column({ type: 'varchar', length: 100 })
  action: string;

  @Column({ name: 'object_type', type: 'varchar', length: 50 })
  objectType: string;

  @Column({ name: 'object_id', type: 'varchar', length: 200, nullable: true })
  objectId: string | null;

  @Index('audit_log_object_org_idx')
  @Column({ name: 'object_org', type: 'varchar', length: 64, nullable: true })
  objectOrg: string | null;

  @Column({ type: 'varchar', length: 10 })
  outcome: 'allowed' | 'denied';

  @Column({ type: 'jsonb', default: () => "'{}'" })
  detail: Record<string, unknown>;

  /**
   * The organisations of every party of the object (a referral's sender, recipient and copy
   * units, an operation's organiser and participants), so each party's auditors see the entry.
   */
  @Column({
    name: 'party_orgs',
    type: 'varchar',
    length: 64,
    array: true,
    default: () => "'{}'",
  })
  partyOrgs: string[];

  @Column({ name: 'prev_hash', type: 'char', length: 64 })
  prevHash: string;

  @Column({ type: 'char', length: 64 })
  hash: string;
}

/**
 * The recorded head of each hash chain in the schema (`audit_log`, and the directory's `key_log`),
 * written in the same transaction as every append. A guard trigger refuses to delete it or move it
 * backwards, so rows cut off the end of a chain show as missing instead of leaving a shorter chain
 * that still verifies, and the next entry never reuses a sequence number.
 */
@Entity({ name: 'chain_heads' })
export class ChainHeadEntity {
  @PrimaryColumn({ type: 'varchar', length: 50 })
  chain: string;

  @Column({ type: 'bigint', transformer: bigintAsNumber })
  seq: number;

  @Column({ type: 'char', length: 64 })
  hash: string;

  @Column({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}

/**
 * A signed statement "at `at`, chain `chain` had `seq` entries ending in `head_hash`" (docs/audit.md),
 * as a compact JWS by the service's audit key; also published on the event stream, so that copies
 * live outside this database.
 */
@Entity({ name: 'chain_checkpoints' })
@Index('chain_checkpoints_chain_seq_idx', ['chain', 'seq'])
export class ChainCheckpointEntity {
  @PrimaryColumn({ type: 'uuid' })
  id: string;

  @Column({ type: 'varchar', length: 50 })
  chain: string;

  @Column({ type: 'bigint', transformer: bigintAsNumber })
  seq: number;

  @Column({ name: 'head_hash', type: 'char', length: 64 })
  headHash: string;

  @Column({ type: 'timestamptz' })
  at: Date;

  @Column({ type: 'varchar', length: 100 })
  kid: string;

  @Column({ name: 'public_jwk', type: 'jsonb' })
  publicJwk: Record<string, unknown>;

  @Column({ type: 'text' })
  jws: string;
}

@Entity({ name: 'idempotency_keys' })
export class IdempotencyRecordEntity {
  @PrimaryColumn({ type: 'varchar', length: 700 })
  principal: string;

  @PrimaryColumn({ type: 'varchar', length: 200 })
  key: string;

  @Column({ name: 'request_hash', type: 'char', length: 64 })
  requestHash: string;

  @Column({ type: 'varchar', length: 10 })
  state: 'pending' | 'done';

  @Column({ name: 'response_status', type: 'integer', nullable: true })
  responseStatus: number | null;

  @Column({ name: 'response_body', type: 'text', nullable: true })
  responseBody: string | null;

  @Column({ name: 'response_type', type: 'varchar', length: 200, nullable: true })
  responseType: string | null;

  @Index('idempotency_keys_created_idx')
  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt: Date;

  @Column({ name: 'locked_until', type: 'timestamptz', nullable: true })
  lockedUntil: Date | null;
}

@Entity({ name: 'processed_events' })
export class ProcessedEventEntity {
  @PrimaryColumn({ type: 'varchar', length: 100 })
  consumer: string;

  @PrimaryColumn({ name: 'event_id', type: 'uuid' })
  eventId: string;

  @Column({ name: 'processed_at', type: 'timestamptz', default: () => 'now()' })
  processedAt: Date;
}

@Entity({ name: 'dead_letters' })
export class DeadLetterEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'varchar', length: 100 })
  consumer: string;

  @Column({ name: 'event_id', type: 'varchar', length: 100, nullable: true })
  eventId: string | null;

  @Column({ type: 'varchar', length: 300 })
  subject: string;

  @Column({ type: 'text' })
  payload: string;

  @Column({ type: 'text' })
  reason: string;

  @Column({ type: 'integer' })
  deliveries: number;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt: Date;

  @Column({ name: 'replayed_at', type: 'timestamptz', nullable: true })
  replayedAt: Date | null;
}

export const PLATFORM_ENTITIES = [
  OutboxEventEntity,
  AuditEntryEntity,
  ChainHeadEntity,
  ChainCheckpointEntity,
  IdempotencyRecordEntity,
  ProcessedEventEntity,
  DeadLetterEntity,
];
