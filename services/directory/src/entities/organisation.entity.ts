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
