import { Column, CreateDateColumn, Entity, Index, PrimaryColumn, UpdateDateColumn } from 'typeorm';

@Entity({ name: 'organisations' })
export class OrganisationEntity {
  @PrimaryColumn({ type: 'uuid' })
  id: string;

  @Column({ type: 'varchar', length: 200 })
  name: string;

  @Index('organisations_kind_idx')
  @Column({ type: 'varchar', length: 30 })
  kind: string;

  /** not unique: parts of one authority (police regions) share its number */
  @Column({ name: 'organisation_number', type: 'char', length: 10 })
  organisationNumber: string;

  /** when a hub admin last checked the number against the official register; null: unverified */
  @Column({ name: 'number_verified_at', type: 'timestamptz', nullable: true })
  numberVerifiedAt: Date | null;

  /** that hub admin, as token issuer and subject */
  @Column({ name: 'number_verified_by_issuer', type: 'varchar', length: 500, nullable: true })
  numberVerifiedByIssuer: string | null;

  @Column({ name: 'number_verified_by', type: 'varchar', length: 200, nullable: true })
  numberVerifiedBy: string | null;

  @Column({ name: 'municipality_code', type: 'char', length: 4, nullable: true })
  municipalityCode: string | null;

  @Index('organisations_county_idx')
  @Column({ name: 'county_code', type: 'char', length: 2 })
  countyCode: string;

  @Column({ name: 'police_region', type: 'varchar', length: 20, nullable: true })
  policeRegion: string | null;

  @Column({ name: 'parent_id', type: 'uuid', nullable: true })
  parentId: string | null;

  @Column({ type: 'varchar', length: 500, nullable: true })
  website: string | null;

  @Column({ type: 'varchar', length: 10, default: 'active' })
  status: 'active' | 'inactive';

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
