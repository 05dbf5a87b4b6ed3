import { Column, JoinColumn, ManyToOne, Entity, Index, PrimaryColumn } from 'typeorm';
import { UnitEntity } from './unit.entity';

@Entity({ name: 'members' })
export class MemberEntity {
  @PrimaryColumn({ name: 'unit_id', type: 'uuid' })
  unitId: string;

  @ManyToOne(() => UnitEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'unit_id' })
  unit?: UnitEntity;

  @Index('members_user_idx')
  @PrimaryColumn({ name: 'user_id', type: 'varchar', length: 200 })
  userId: string;

  @Column({ type: 'text', array: true })
  roles: string[];

  @Column({ name: 'added_at', type: 'timestamptz' })
  addedAt: Date;

  /** subject of the person who added the member */
  @Column({ name: 'added_by', type: 'varchar', length: 200 })
  addedBy: string;

  /** their token issuer (null on rows written before it was recorded) */
  @Column({ name: 'added_by_issuer', type: 'varchar', length: 500, nullable: true })
  addedByIssuer: string | null;
}
