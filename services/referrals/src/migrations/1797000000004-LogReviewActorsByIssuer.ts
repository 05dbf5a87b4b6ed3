import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A log review's people — who created it, who recorded each finding, who signed it off — as
 * token issuer and subject (issue 12). Rows written before keep a null issuer.
 */
export class LogReviewActorsByIssuer1797000000004 implements MigrationInterface {
  name = 'LogReviewActorsByIssuer1797000000004';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE "referrals"."audit_reviews" ADD "created_by_issuer" character varying(500)`,
    );
    await queryRunner.query(
      `ALTER TABLE "referrals"."audit_reviews" ADD "signed_off_by_issuer" character varying(500)`,
    );
    await queryRunner.query(
      `ALTER TABLE "referrals"."audit_review_items" ADD "found_by_issuer" character varying(500)`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE "referrals"."audit_review_items" DROP COLUMN "found_by_issuer"`,
    );
    await queryRunner.query(
      `ALTER TABLE "referrals"."audit_reviews" DROP COLUMN "signed_off_by_issuer"`,
    );
    await queryRunner.query(
      `ALTER TABLE "referrals"."audit_reviews" DROP COLUMN "created_by_issuer"`,
    );
  }
}
