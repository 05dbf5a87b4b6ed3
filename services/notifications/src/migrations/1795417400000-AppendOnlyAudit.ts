import type { MigrationInterface, QueryRunner } from 'typeorm';

/** What the entities cannot describe: an append-only audit log. */
export class AppendOnlyAudit1795417400000 implements MigrationInterface {
  name = 'AppendOnlyAudit1795417400000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE FUNCTION "notifications"."refuse_change"() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION '% is append-only', TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
      END $$`);
    await queryRunner.query(
      `CREATE TRIGGER "audit_log_append_only" BEFORE UPDATE OR DELETE OR TRUNCATE ON "notifications"."audit_log"
         FOR EACH STATEMENT EXECUTE FUNCTION "notifications"."refuse_change"()`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TRIGGER "audit_log_append_only" ON "notifications"."audit_log"`);
    await queryRunner.query(`DROP FUNCTION "notifications"."refuse_change"()`);
  }
}
