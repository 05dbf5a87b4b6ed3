import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * The referrals service's read model of the directory, fed by directory events (never by reading
 * the directory's tables): what routing, sharing rules, envelope checks and escalation need.
 */
@Entity({ name: 'directory_units' })
export class DirectoryUnitEntity {
  @PrimaryColumn({ name: 'unit_id', type: 'uuid' })
  unitId: string;

  @Column({ name: 'organisation_id', type: 'uuid' })
  organisationId: string;

  @Column({ name: 'organisation_kind', type: 'varchar', length: 30 })
  organisationKind: string;

  @Column({ type: 'varchar', length: 10 })
  status: 'active' | 'inactive';

  /** `audit`: the organisation's audit unit, never addressed; its keys seal justifications */
  @Column({ type: 'varchar', length: 10, default: 'service' })
  purpose: 'service' | 'audit';

  @Column({ name: 'on_call_unit_id', type: 'uuid', nullable: true })
  onCallUnitId: string | null;

  @Column({ type: 'text', array: true, default: () => "'{}'" })
  coverage: string[];

  @Column({ name: 'active_encryption_kids', type: 'text', array: true, default: () => "'{}'" })
  activeEncryptionKids: string[];

  /** time of the unit event applied last; older events are ignored */
  @Column({ name: 'unit_event_at', type: 'timestamptz', nullable: true })
  unitEventAt: Date | null;

  /** time of the key event applied last */
  @Column({ name: 'keys_event_at', type: 'timestamptz', nullable: true })
  keysEventAt: Date | null;
}
