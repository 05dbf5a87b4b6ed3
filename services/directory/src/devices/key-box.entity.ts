import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * A unit's private keys sealed (JWE) to one holder: a device or the unit's recovery key. The hub
 * stores it and cannot open it. Boxes are kept (a newer one supersedes, never overwrites).
 */
@Entity({ name: 'key_boxes' })
@Index('key_boxes_holder_idx', ['holderId', 'unitId', 'createdAt'])
export class KeyBoxEntity {
  @PrimaryColumn({ type: 'uuid' })
  id: string;

  @Column({ name: 'unit_id', type: 'uuid' })
  unitId: string;

  @Column({ name: 'holder_type', type: 'varchar', length: 10 })
  holderType: 'device' | 'recovery';

  /** the device id, or the recovery key's kid */
  @Column({ name: 'holder_id', type: 'varchar', length: 100 })
  holderId: string;

  @Column({ type: 'text' })
  box: string;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'created_by_issuer', type: 'varchar', length: 500 })
  createdByIssuer: string;

  @Column({ name: 'created_by_subject', type: 'varchar', length: 200 })
  createdBySubject: string;
}
