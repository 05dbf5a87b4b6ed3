import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Whether (and when, and by which hub admin as issuer and subject) an organisation's number was
 * checked against the official register, so unit search can show a verified number (issue 12).
 */
export class VerifiedOrganisationNumbers1796170000001 implements MigrationInterface {
  name = 'VerifiedOrganisationNumbers1796170000001';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE "directory"."organisations" ADD "number_verified_at" TIMESTAMP WITH TIME ZONE`,
    );
    await queryRunner.query(
      `ALTER TABLE "directory"."organisations" ADD "number_verified_by_issuer" character varying(500)`,
    );
    await queryRunner.query(
      `ALTER TABLE "directory"."organisations" ADD "number_verified_by" character varying(200)`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE "directory"."organisations" DROP COLUMN "number_verified_by"`,
    );
    await queryRunner.query(
      `ALTER TABLE "directory"."organisations" DROP COLUMN "number_verified_by_issuer"`,
    );
    await queryRunner.query(
      `ALTER TABLE "directory"."organisations" DROP COLUMN "number_verified_at"`,
    );
  }
}
