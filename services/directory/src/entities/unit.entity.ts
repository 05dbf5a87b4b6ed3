import {
  Column,
  JoinColumn,
  ManyToOne,
  CreateDateColumn,
  Entity,
  Index,
  PrimaryColumn,
  UpdateDateColumn,
} from 'typeorm';
import { OrganisationEntity } from './organisation.entity';

export interface WeeklyOpening {
  day: 'mon' | 'tue' | 'wed' | 'thu' | 'fri' | 'sat' | 'sun';
  opens: string;
  closes: string;
}

export interface ContactRoute {
  kind: 'phone' | 'email' | 'secure_email' | 'web' | 'postal_address';
  value: string;
  label?: string;
}

/** A unit is a function that receives referrals (never a person). */
@Entity({ name: 'units' })
// Created in the migration (GIN and full-text indexes TypeORM cannot describe).
@Index('units_capabilities_gin', { synchronize: false })
@Index('units_coverage_gin', { synchronize: false })
@Index('units_counties_gin', { synchronize: false })
@Index('units_search_fts', { synchronize: false })
@Index('units_one_audit_unit_per_organisation', { synchronize: false })
export class UnitEntity {
  @PrimaryColumn({ type: 'uuid' })
  id: string;

  @Index('units_organisation_idx')
  @Column({ name: 'organisation_id', type: 'uuid' })
  organisationId: string;

  @ManyToOne(() => OrganisationEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'organisation_id' })
  organisation?: OrganisationEntity;

  @Column({ type: 'varchar', length: 200 })
  name: string;

  @Column({ type: 'varchar', length: 2000, default: '' })
  description: string;

  @Column({ type: 'text', array: true, default: () => "'{}'" })
  capabilities: string[];

  @Column({ type: 'text', array: true, default: () => "'{}'" })
  coverage: string[];

  /** derived from coverage */
  @Column({ type: 'text', array: true, default: () => "'{}'" })
  counties: string[];

  @Column({ name: 'age_bands', type: 'text', array: true, default: () => "'{}'" })
  ageBands: string[];

  @Column({ type: 'text', array: true, default: () => "'{}'" })
  genders: string[];

  @Column({ type: 'text', array: true, default: () => "'{}'" })
  languages: string[];

  @Column({ name: 'time_zone', type: 'varchar', length: 64 })
  timeZone: string;

  @Column({ name: 'open_247', type: 'boolean', default: false })
  open247: boolean;

  @Column({ name: 'weekly_hours', type: 'jsonb', default: () => "'[]'" })
  weeklyHours: WeeklyOpening[];

  @Column({ type: 'jsonb', default: () => "'[]'" })
  contacts: ContactRoute[];

  @Column({ type: 'varchar', length: 10, default: 'active' })
  status: 'active' | 'inactive';

  /**
   * `service` receives referrals; `audit` is the organisation's audit unit (at most one): it
   * never receives referrals, its keys open only the sealed justifications of referrals its
   * organisation sends, and its members are the organisation's auditors.
   */
  @Column({ type: 'varchar', length: 10, default: 'service' })
  purpose: 'service' | 'audit';

  @Column({ name: 'on_call_unit_id', type: 'uuid', nullable: true })
  onCallUnitId: string | null;

  /** name, description and organisation name, for Swedish full-text search */
  @Column({ name: 'search_text', type: 'text', default: '' })
  searchText: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
