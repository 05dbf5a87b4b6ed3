import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Decline notes and acute_protection justifications are sealed by the clients for the parties, as
 * messages on the referral's thread: the referral keeps in clear only which message is which. The
 * old clear `justification` column stays for rows written before (nothing writes it any more).
 */
export class SealedNotes1795440000000 implements MigrationInterface {
  name = 'SealedNotes1795440000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE "referrals"."referrals" ADD "justification_message_id" uuid`,
    );
    await queryRunner.query(
      `ALTER TABLE "referrals"."referrals" ADD "decline_note_message_id" uuid`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE "referrals"."referrals" DROP COLUMN "decline_note_message_id"`,
    );
    await queryRunner.query(
      `ALTER TABLE "referrals"."referrals" DROP COLUMN "justification_message_id"`,
    );
  }
}
