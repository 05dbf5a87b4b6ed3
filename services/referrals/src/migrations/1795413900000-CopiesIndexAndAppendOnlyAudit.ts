import type { MigrationInterface, QueryRunner } from 'typeorm';

/** What the entities cannot describe: a GIN index for copy recipients, an append-only audit log. */
export class CopiesIndexAndAppendOnlyAudit1795413900000 implements MigrationInterface {
  name = 'CopiesIndexAndAppendOnlyAudit1795413900000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE INDEX "referrals_copies_gin" ON "referrals"."referrals" USING gin ("copy_unit_ids")`,
    );
    await queryRunner.query(`
      CREATE FUNCTION "referrals"."refuse_change"() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION '% is append-only', TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
      END $$`);
    await queryRunner.query(
      `CREATE TRIGGER "audit_log_append_only" BEFORE UPDATE OR DELETE OR TRUNCATE ON "referrals"."audit_log"
         FOR EACH STATEMENT EXECUTE FUNCTION "referrals"."refuse_change"()`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TRIGGER "audit_log_append_only" ON "referrals"."audit_log"`);
    await queryRunner.query(`DROP FUNCTION "referrals"."refuse_change"()`);
    await queryRunner.query(`DROP INDEX "referrals"."referrals_copies_gin"`);
  }
}
