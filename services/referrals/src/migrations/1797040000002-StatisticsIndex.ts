import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Statistics read a period of referrals by created_at and only their metadata: this index holds
 * exactly those columns, so a year of statistics is an index-only range scan (tens of MB at
 * 1,000,000 referrals) instead of reading every row with its envelope (bench/referrals-scale).
 */
export class StatisticsIndex1797040000002 implements MigrationInterface {
  name = 'StatisticsIndex1797040000002';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE INDEX "referrals_statistics_idx" ON "referrals"."referrals" ("created_at") INCLUDE ("id", "acknowledged_at", "category", "gender", "age_band", "citizenship_group", "outcome", "municipality_code")`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "referrals"."referrals_statistics_idx"`);
  }
}
