import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The directory read model learns which unit is an organisation's audit unit (issue 12): a
 * justification is sealed for its keys too, and it can never be addressed.
 */
export class AuditUnitsReadModel1797000000002 implements MigrationInterface {
  name = 'AuditUnitsReadModel1797000000002';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE "referrals"."directory_units" ADD "purpose" character varying(10) NOT NULL DEFAULT 'service'`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "referrals"."directory_units" DROP COLUMN "purpose"`);
  }
}
