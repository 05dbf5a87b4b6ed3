import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * An organisation's audit unit (issue 12): a unit with purpose `audit`, at most one per
 * organisation, whose keys the organisation's auditors hold so they can open the sealed
 * justifications of referrals the organisation sends (docs/envelope.md "Sealed notes").
 */
export class AuditUnits1797000000001 implements MigrationInterface {
  name = 'AuditUnits1797000000001';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE "directory"."units" ADD "purpose" character varying(10) NOT NULL DEFAULT 'service'`,
    );
    await queryRunner.query(
      `CREATE UNIQUE INDEX "units_one_audit_unit_per_organisation" ON "directory"."units" ("organisation_id") WHERE purpose = 'audit'`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "directory"."units_one_audit_unit_per_organisation"`);
    await queryRunner.query(`ALTER TABLE "directory"."units" DROP COLUMN "purpose"`);
  }
}
