import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Drops the (unit, status, created_at) indexes of the first schema: since the page indexes of
 * 1797040000001 (unit, created_at DESC, id DESC INCLUDE status, urgency), the open-inbox index of
 * 1797053000000 and the box-count rollups, no statement reads them (EXPLAIN of the box pages with
 * and without a status filter, for recipient and sender, on 200,000 referrals; idx_scan 0 on the
 * box pages, counts and statistics of bench/referrals-scale), and each was a write per referral
 * sent and per status change.
 */
export class DropUnitStatusIndexes1797075000000 implements MigrationInterface {
  name = 'DropUnitStatusIndexes1797075000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "referrals"."referrals_inbox_idx"`);
    await queryRunner.query(`DROP INDEX "referrals"."referrals_outbox_idx"`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE INDEX "referrals_outbox_idx" ON "referrals"."referrals" ("sender_unit_id", "status", "created_at")`,
    );
    await queryRunner.query(
      `CREATE INDEX "referrals_inbox_idx" ON "referrals"."referrals" ("recipient_unit_id", "status", "created_at")`,
    );
  }
}
