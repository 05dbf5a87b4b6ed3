import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What TypeORM cannot describe from the entities: GIN indexes for the array filters and Swedish
 * full-text search of units, and triggers that make the audit log and the key log append-only
 * (verification still detects edits made by someone able to drop the triggers).
 */
export class SearchIndexesAndAppendOnlyLogs1795409900000 implements MigrationInterface {
  name = 'SearchIndexesAndAppendOnlyLogs1795409900000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE INDEX "units_capabilities_gin" ON "directory"."units" USING gin ("capabilities")`,
    );
    await queryRunner.query(
      `CREATE INDEX "units_coverage_gin" ON "directory"."units" USING gin ("coverage")`,
    );
    await queryRunner.query(
      `CREATE INDEX "units_counties_gin" ON "directory"."units" USING gin ("counties")`,
    );
    await queryRunner.query(
      `CREATE INDEX "units_search_fts" ON "directory"."units" USING gin (to_tsvector('swedish', "search_text"))`,
    );
    await queryRunner.query(`
      CREATE FUNCTION "directory"."refuse_change"() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION '% is append-only', TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
      END $$`);
    for (const table of ['audit_log', 'key_log']) {
      await queryRunner.query(
        `CREATE TRIGGER "${table}_append_only" BEFORE UPDATE OR DELETE OR TRUNCATE ON "directory"."${table}"
           FOR EACH STATEMENT EXECUTE FUNCTION "directory"."refuse_change"()`,
      );
    }
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of ['audit_log', 'key_log']) {
      await queryRunner.query(`DROP TRIGGER "${table}_append_only" ON "directory"."${table}"`);
    }
    await queryRunner.query(`DROP FUNCTION "directory"."refuse_change"()`);
    for (const index of [
      'units_search_fts',
      'units_counties_gin',
      'units_coverage_gin',
      'units_capabilities_gin',
    ]) {
      await queryRunner.query(`DROP INDEX "directory"."${index}"`);
    }
  }
}
