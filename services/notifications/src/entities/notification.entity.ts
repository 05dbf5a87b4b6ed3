import { Column, Entity, Index, PrimaryGeneratedColumn, Unique } from 'typeorm';

/**
 * One notification for one person (organisation and subject: never the subject alone). `seq`
 * orders a person's notifications and is the SSE event id (`Last-Event-ID`); the triggering
 * event's id, the person and the kind are unique together, so a redelivered event creates
 * nothing twice.
 */
@Entity({ name: 'notifications' })
@Unique('notifications_event_person_kind_uq', ['eventId', 'userOrganisationId', 'userId', 'kind'])
@Index('notifications_person_seq_idx', ['userOrganisationId', 'userId', 'seq'])
@Index('notifications_object_idx', ['objectType', 'objectId'])
// (user_organisation_id, user_id) INCLUDE (what the counts read) WHERE outstanding (not archived,
// unread or unacknowledged): migration 1797090200000
@Index('notifications_outstanding_idx', { synchronize: false })
export class NotificationEntity {
  /** bigint: TypeORM hands it over as a string */
  @PrimaryGeneratedColumn({ type: 'bigint' })
  seq: string;

  @Column({ type: 'uuid', unique: true })
  id: string;

  /** the organisation of the person it is for (the organisation of the unit that made them a recipient) */
  @Column({ name: 'user_organisation_id', type: 'uuid' })
  userOrganisationId: string;

  @Column({ name: 'user_id', type: 'varchar', length: 200 })
  userId: string;

  @Column({ name: 'unit_id', type: 'uuid', nullable: true })
  unitId: string | null;

  @Column({ type: 'varchar', length: 40 })
  kind: string;

  @Column({ type: 'varchar', length: 10 })
  severity: string;

  @Column({ type: 'varchar', length: 200 })
  title: string;

  @Column({ type: 'varchar', length: 500 })
  body: string;

  @Column({ type: 'varchar', length: 200 })
  link: string;

  @Column({ name: 'object_type', type: 'varchar', length: 30 })
  objectType: string;

  @Column({ name: 'object_id', type: 'uuid' })
  objectId: string;

  /** the event that caused it (for escalations: the escalation timer's id) */
  @Column({ name: 'event_id', type: 'uuid' })
  eventId: string;

  @Column({ name: 'requires_ack', type: 'boolean', default: false })
  requiresAck: boolean;

  @Column({ type: 'text', array: true, default: () => "'{}'" })
  channels: string[];

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt: Date;

  @Column({ name: 'seen_at', type: 'timestamptz', nullable: true })
  seenAt: Date | null;

  @Column({ name: 'read_at', type: 'timestamptz', nullable: true })
  readAt: Date | null;

  @Column({ name: 'acknowledged_at', type: 'timestamptz', nullable: true })
  acknowledgedAt: Date | null;

  @Column({ name: 'archived_at', type: 'timestamptz', nullable: true })
  archivedAt: Date | null;
}
