import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Drops `referrals_copies_gin` (GIN on `copy_unit_ids`, from 1795413900000): since
 * 1797053000000-ReferralRollups a unit's copies are paged from `referral_copy_entries` and counted
 * in `referral_box_counts`, and no statement of the service asks `copy_unit_ids` with an operator
 * the index serves (`@>`, `<@`, `&&`, `=` on the array): the copy checks left are
 * `unit_id = ANY(r.copy_unit_ids)` on referrals already found by id (audit parties, legal holds),
 * which a GIN index cannot answer. It was a GIN entry (and its pending-list clean-up, now and then
 * on a request) for every referral sent and every change of its copies (issue 15, the send's
 * Postgres cost).
 */
export class DropCopiesGinIndex1797080000000 implements MigrationInterface {
  name = 'DropCopiesGinIndex1797080000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "referrals"."referrals_copies_gin"`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE INDEX "referrals_copies_gin" ON "referrals"."referrals" USING gin ("copy_unit_ids")`,
    );
  }
}
