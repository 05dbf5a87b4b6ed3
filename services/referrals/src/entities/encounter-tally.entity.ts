import { Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';

export interface PeopleMetCell {
  gender: string;
  ageBand: string;
  citizenshipGroup: string;
  count: number;
}

/** The numbers recorded after a field request: counts only, never who. */
@Entity({ name: 'encounter_tallies' })
@Index('encounter_tallies_operation_idx', ['operationId'])
export class EncounterTallyEntity {
  @PrimaryColumn({ name: 'field_request_id', type: 'uuid' })
  fieldRequestId: string;

  @Column({ name: 'operation_id', type: 'uuid' })
  operationId: string;

  @Column({ name: 'people_met', type: 'jsonb' })
  peopleMet: PeopleMetCell[];

  @Column({ name: 'support_offered', type: 'integer' })
  supportOffered: number;

  @Column({ name: 'support_accepted', type: 'integer' })
  supportAccepted: number;

  @Column({ name: 'protected_housing_arranged', type: 'integer' })
  protectedHousingArranged: number;

  @Column({ name: 'buyers_met', type: 'integer' })
  buyersMet: number;

  @Column({ name: 'buyers_offered_clinic', type: 'integer' })
  buyersOfferedClinic: number;

  @Column({ name: 'referral_ids', type: 'uuid', array: true, default: () => "'{}'" })
  referralIds: string[];

  @CreateDateColumn({ name: 'recorded_at', type: 'timestamptz' })
  recordedAt: Date;
}
