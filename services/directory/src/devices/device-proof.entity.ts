import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** DPoP proof ids seen recently, so that a captured proof cannot be replayed (RFC 9449 §11.1). */
@Entity({ name: 'device_proofs' })
@Index('device_proofs_seen_idx', ['seenAt'])
export class DeviceProofEntity {
  @PrimaryColumn({ type: 'varchar', length: 200 })
  jti: string;

  @Column({ name: 'sig_kid', type: 'varchar', length: 100 })
  sigKid: string;

  @Column({ name: 'seen_at', type: 'timestamptz' })
  seenAt: Date;
}
