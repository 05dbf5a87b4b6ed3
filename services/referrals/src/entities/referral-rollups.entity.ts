import { Column, Entity, Index, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';

/**
 * What the boxes and the statistics read instead of the referrals themselves at scale (issue 15,
 * bench/referrals-scale). All of them are kept by triggers on `referrals` in the transaction of
 * the change that moves them (migrations 1797053000000-ReferralRollups, 1797060000000-StaticReferralRollups), so they are exact under
 * concurrency, rollbacks and retries.
 *
 * The counters are append-only: a change adds rows of +n/−n and a reader sums a key's rows, so
 * writers never wait for each other on a counter row (nor deadlock crosswise); the rollup
 * compactor (services/rollup-compactor.ts) folds each key's rows into one now and then.
 */

/** How many referrals of each status and urgency a unit's inbox (copies included) or outbox holds. */
@Entity({ name: 'referral_box_counts' })
@Index('referral_box_counts_unit_idx', ['unitId', 'box'])
export class ReferralBoxCountEntity {
  @PrimaryGeneratedColumn('identity', { type: 'bigint' })
  id: string;

  @Column({ name: 'unit_id', type: 'uuid' })
  unitId: string;

  /** `inbox` or `outbox` */
  @Column({ type: 'varchar', length: 6 })
  box: string;

  @Column({ type: 'varchar', length: 20 })
  status: string;

  @Column({ type: 'varchar', length: 10 })
  urgency: string;

  @Column({ type: 'integer' })
  n: number;
}

/**
 * A referral in the inbox of a unit it is copied to (a unit of `copy_unit_ids` that is not its
 * recipient), in the box's page order: a unit's page of copies is the first entries of its range,
 * however many copies other units have.
 */
@Entity({ name: 'referral_copy_entries' })
export class ReferralCopyEntryEntity {
  @PrimaryColumn({ name: 'unit_id', type: 'uuid' })
  unitId: string;

  @PrimaryColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @PrimaryColumn({ name: 'referral_id', type: 'uuid' })
  referralId: string;
}

/**
 * A statistics cell: a Swedish calendar month of sending and the referral's dimensions, the key of
 * both statistics rollups.
 */
abstract class StatisticsCell {
  @PrimaryGeneratedColumn('identity', { type: 'bigint' })
  id: string;

  /** the first day of the month */
  @Column({ type: 'date' })
  month: string;

  @Column({ type: 'varchar', length: 40 })
  category: string;

  @Column({ type: 'varchar', length: 12 })
  gender: string;

  @Column({ name: 'age_band', type: 'varchar', length: 10 })
  ageBand: string;

  @Column({ name: 'citizenship_group', type: 'varchar', length: 10 })
  citizenshipGroup: string;

  /** the referral's outcome, `none` while it has none */
  @Column({ type: 'varchar', length: 20 })
  outcome: string;

  @Column({ name: 'municipality_code', type: 'char', length: 4 })
  municipalityCode: string;
}

/**
 * A month's referrals (Swedish calendar month of sending) by every statistics dimension: how many,
 * the sum of their record keys (domain/cell-key.ts: a cell key is that sum modulo 2^32, so sums
 * add up across months) and how many were acknowledged.
 */
@Entity({ name: 'referral_statistics_months' })
@Index('referral_statistics_months_month_idx', ['month'])
export class ReferralStatisticsMonthEntity extends StatisticsCell {
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
@Index('referral_statistics_acknowledgements_month_idx', ['month'])
export class ReferralStatisticsAcknowledgementEntity extends StatisticsCell {
  /** minutes from sending to acknowledgement, in tenths, rounded */
  @Column({ name: 'minutes_tenths', type: 'integer' })
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
  ReferralCopyEntryEntity,
  ReferralStatisticsMonthEntity,
  ReferralStatisticsAcknowledgementEntity,
  ReferralStatisticsSecretEntity,
];
