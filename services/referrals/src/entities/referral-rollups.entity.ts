import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * What the boxes and the statistics read instead of the referrals themselves at scale (issue 15,
 * bench/referrals-scale). All three are kept by triggers on `referrals` in the transaction of
 * the change that moves them (migration 1797053000000-ReferralRollups), so they are exact under
 * concurrency, rollbacks and retries; nothing in the service writes them.
 */

/** How many referrals of each status and urgency a unit's inbox (copies included) or outbox holds. */
@Entity({ name: 'referral_box_counts' })
export class ReferralBoxCountEntity {
  @PrimaryColumn({ name: 'unit_id', type: 'uuid' })
  unitId: string;

  /** `inbox` or `outbox` */
  @PrimaryColumn({ type: 'varchar', length: 6 })
  box: string;

  @PrimaryColumn({ type: 'varchar', length: 20 })
  status: string;

  @PrimaryColumn({ type: 'varchar', length: 10 })
  urgency: string;

  @Column({ type: 'integer' })
  n: number;
}

/**
 * A month's referrals (Swedish calendar month of sending) by every statistics dimension: how many,
 * the sum of their record keys (domain/cell-key.ts: a cell key is that sum modulo 2^32, so sums
 * add up across months) and how many were acknowledged.
 */
@Entity({ name: 'referral_statistics_months' })
export class ReferralStatisticsMonthEntity {
  /** the first day of the month */
  @PrimaryColumn({ type: 'date' })
  month: string;

  @PrimaryColumn({ type: 'varchar', length: 40 })
  category: string;

  @PrimaryColumn({ type: 'varchar', length: 12 })
  gender: string;

  @PrimaryColumn({ name: 'age_band', type: 'varchar', length: 10 })
  ageBand: string;

  @PrimaryColumn({ name: 'citizenship_group', type: 'varchar', length: 10 })
  citizenshipGroup: string;

  /** the referral's outcome, `none` while it has none */
  @PrimaryColumn({ type: 'varchar', length: 20 })
  outcome: string;

  @PrimaryColumn({ name: 'municipality_code', type: 'char', length: 4 })
  municipalityCode: string;

  @Column({ type: 'integer' })
  n: number;

  /** the sum of the record keys (each in [0, 2^32)) */
  @Column({ type: 'bigint' })
  keysum: string;

  @Column({ type: 'integer' })
  acknowledged: number;
}

/**
 * The times to acknowledgement of a month's cell, as a histogram in tenths of a minute (the
 * precision the statistics publish), so that medians over any months and dimensions are exact to
 * that precision without reading the referrals.
 */
@Entity({ name: 'referral_statistics_acknowledgements' })
export class ReferralStatisticsAcknowledgementEntity {
  @PrimaryColumn({ type: 'date' })
  month: string;

  @PrimaryColumn({ type: 'varchar', length: 40 })
  category: string;

  @PrimaryColumn({ type: 'varchar', length: 12 })
  gender: string;

  @PrimaryColumn({ name: 'age_band', type: 'varchar', length: 10 })
  ageBand: string;

  @PrimaryColumn({ name: 'citizenship_group', type: 'varchar', length: 10 })
  citizenshipGroup: string;

  @PrimaryColumn({ type: 'varchar', length: 20 })
  outcome: string;

  @PrimaryColumn({ name: 'municipality_code', type: 'char', length: 4 })
  municipalityCode: string;

  /** minutes from sending to acknowledgement, in tenths, rounded */
  @PrimaryColumn({ name: 'minutes_tenths', type: 'integer' })
  minutesTenths: number;

  @Column({ type: 'integer' })
  n: number;
}

/**
 * The record-key secret the statistics rollup was built with (derived from the service's audit
 * key; the service writes it at start and rebuilds the rollup when it differs). The triggers
 * read it to key new referrals. One row.
 */
@Entity({ name: 'referral_statistics_secret' })
export class ReferralStatisticsSecretEntity {
  @PrimaryColumn({ type: 'smallint' })
  id: number;

  @Column({ type: 'varchar', length: 128 })
  secret: string;

  @Column({ name: 'set_at', type: 'timestamptz' })
  setAt: Date;
}

export const REFERRAL_ROLLUP_ENTITIES = [
  ReferralBoxCountEntity,
  ReferralStatisticsMonthEntity,
  ReferralStatisticsAcknowledgementEntity,
  ReferralStatisticsSecretEntity,
];
