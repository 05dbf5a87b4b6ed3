import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** One step of a referral's timeline: what happened, by which unit, when. No personal data. */
@Entity({ name: 'referral_events' })
@Index('referral_events_referral_idx', ['referralId', 'at'])
export class ReferralEventEntity {
  @PrimaryColumn({ type: 'uuid' })
  id: string;

  @Column({ name: 'referral_id', type: 'uuid' })
  referralId: string;

  @Column({ type: 'timestamptz' })
  at: Date;

  @Column({ type: 'varchar', length: 40 })
  event: string;

  @Column({ name: 'actor_unit_id', type: 'uuid', nullable: true })
  actorUnitId: string | null;

  @Column({ type: 'jsonb', default: () => "'{}'" })
  detail: Record<string, unknown>;
}
