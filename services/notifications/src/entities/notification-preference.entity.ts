import { Column, Entity, PrimaryColumn } from 'typeorm';

/** A person's channels for one notification kind; kinds without a row use the defaults. */
@Entity({ name: 'notification_preferences' })
export class NotificationPreferenceEntity {
  @PrimaryColumn({ name: 'user_organisation_id', type: 'uuid' })
  userOrganisationId: string;

  @PrimaryColumn({ name: 'user_id', type: 'varchar', length: 200 })
  userId: string;

  @PrimaryColumn({ type: 'varchar', length: 40 })
  kind: string;

  @Column({ type: 'text', array: true })
  channels: string[];

  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' })
  updatedAt: Date;
}
