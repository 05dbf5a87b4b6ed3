import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A unit's box newest first, and its counts, without reading the table (bench/referrals-scale:
 * 1,000,000 referrals). Each index is in the order of a page (created_at, id, newest first),
 * so a page is the first rows of one index range; status and urgency ride along, so the counts
 * are an index-only scan of the unit's range. The copies (referrals whose copy_unit_ids is not
 * empty) have a partial index of their own in page order, carrying the copy units: a page of
 * copies to a unit reads that index until it has `limit + 1`; the GIN index on copy_unit_ids
 * stays for units with few copies (the planner chooses).
 */
export class BoxIndexesAtScale1797040000001 implements MigrationInterface {
  name = 'BoxIndexesAtScale1797040000001';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE INDEX "referrals_inbox_page_idx" ON "referrals"."referrals" ("recipient_unit_id", "created_at" DESC, "id" DESC) INCLUDE ("status", "urgency")`,
    );
    await queryRunner.query(
      `CREATE INDEX "referrals_outbox_page_idx" ON "referrals"."referrals" ("sender_unit_id", "created_at" DESC, "id" DESC) INCLUDE ("status", "urgency")`,
    );
    await queryRunner.query(
      `CREATE INDEX "referrals_copies_page_idx" ON "referrals"."referrals" ("created_at" DESC, "id" DESC) INCLUDE ("copy_unit_ids", "recipient_unit_id", "status", "urgency") WHERE "copy_unit_ids" <> '{}'`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "referrals"."referrals_copies_page_idx"`);
    await queryRunner.query(`DROP INDEX "referrals"."referrals_outbox_page_idx"`);
    await queryRunner.query(`DROP INDEX "referrals"."referrals_inbox_page_idx"`);
  }
}
