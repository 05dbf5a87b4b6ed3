import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** A follow-up message on a referral, encrypted like the referral itself. */
@Entity({ name: 'referral_messages' })
@Index('referral_messages_referral_idx', ['referralId', 'createdAt'])
export class ReferralMessageEntity {
  @PrimaryColumn({ type: 'uuid' })
  id: string;

  @Column({ name: 'referral_id', type: 'uuid' })
  referralId: string;

  @Column({ name: 'sender_unit_id', type: 'uuid' })
  senderUnitId: string;

  @Column({ type: 'jsonb' })
  envelope: Record<string, unknown>;

  @Column({ name: 'envelope_size', type: 'integer' })
  envelopeSize: number;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
