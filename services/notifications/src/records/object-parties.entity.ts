import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * The units of every party of a referral, field request or operation, as the referrals service's
 * events name them: a read model, so that each audit entry this service writes about one of them
 * (an escalation, a purge) carries the organisations of all its parties (docs/audit.md), and so
 * that a purge event finds what to purge. Unit ids only; nothing about a person.
 */
@Entity({ name: 'object_parties' })
export class ObjectPartiesEntity {
  /** `referral`, `field_request` or `operation` */
  @PrimaryColumn({ name: 'object_type', type: 'varchar', length: 30 })
  objectType: string;

  @PrimaryColumn({ name: 'object_id', type: 'uuid' })
  objectId: string;

  @Column({ name: 'unit_ids', type: 'uuid', array: true })
  unitIds: string[];

  /** when the referrals service purged the object's sealed content (and this service its texts) */
  @Column({ name: 'purged_at', type: 'timestamptz', nullable: true })
  purgedAt: Date | null;

  @Column({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
