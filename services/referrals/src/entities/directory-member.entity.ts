import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * Unit members as the directory's `unit.member_*` events tell them: whom a unit may put on an
 * operation shift. A removed member is kept, inactive, so that an older event arriving late
 * cannot bring them back.
 */
@Entity({ name: 'directory_members' })
@Index('directory_members_user_idx', ['userId'])
export class DirectoryMemberEntity {
  @PrimaryColumn({ name: 'unit_id', type: 'uuid' })
  unitId: string;

  @PrimaryColumn({ name: 'user_id', type: 'varchar', length: 200 })
  userId: string;

  @Column({ type: 'text', array: true, default: () => "'{}'" })
  roles: string[];

  @Column({ type: 'boolean' })
  active: boolean;

  @Column({ name: 'event_at', type: 'timestamptz' })
  eventAt: Date;
}
