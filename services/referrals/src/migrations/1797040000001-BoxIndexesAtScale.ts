import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A unit's box newest first, and its counts, without reading the table (bench/referrals-scale:
 * 1,000,000 referrals). Each index is in the order of a page (created_at, id, newest first),
 * so a page is the first rows of one index range; status and urgency ride along, so the counts
 * are an index-only scan of the unit's range. Copies keep the GIN index on copy_unit_ids.
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
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "referrals"."referrals_outbox_page_idx"`);
    await queryRunner.query(`DROP INDEX "referrals"."referrals_inbox_page_idx"`);
  }
}
