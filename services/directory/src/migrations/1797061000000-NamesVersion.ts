import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The version of all organisation and unit names, one row kept by triggers (issue 15: directory
 * reads at ≥ 0.3× of one bare query). Unit reads used to select a fingerprint of every name (a
 * scan of both tables on each read) to learn whether the look-alike index (units/name-index.ts)
 * was still current; now they select this row. Any change to a name — by a command, by another
 * replica, or straight in SQL — adds one to it in the same transaction, so a read sees the new
 * version exactly when it sees the new names.
 *
 * Row triggers on inserts, deletions and updates that change a name (or a unit's organisation),
 * a statement trigger on truncation. The row is made by the first change (a migrated database
 * holds no rows, hub/test/embedded-template.test.ts); until then readers take the version as 0.
 * It is never deleted (a trigger refuses it). Two transactions that change names wait for each
 * other on the row until the first commits; names change rarely, reads never wait.
 */
export class NamesVersion1797061000000 implements MigrationInterface {
  name = 'NamesVersion1797061000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "directory"."names_version" ("id" smallint NOT NULL, "version" bigint NOT NULL, CONSTRAINT "names_version_one_row" CHECK ("id" = 1), CONSTRAINT "PK_60d3f731ab0843f8bf945267b1e" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`
      CREATE FUNCTION "directory"."names_version_bump"() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO "directory"."names_version" AS v ("id", "version") VALUES (1, 1)
          ON CONFLICT ("id") DO UPDATE SET "version" = v."version" + 1;
        RETURN NULL;
      END $$`);
    // Deleted, the row would restart below what replicas have seen and never be read as new.
    await queryRunner.query(`
      CREATE FUNCTION "directory"."names_version_guard"() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'the names'' version is never deleted, only moved on'
          USING ERRCODE = 'insufficient_privilege';
      END $$`);
    await queryRunner.query(
      `CREATE TRIGGER "names_version_kept" BEFORE DELETE OR TRUNCATE ON "directory"."names_version"
         FOR EACH STATEMENT EXECUTE FUNCTION "directory"."names_version_guard"()`,
    );
    for (const [table, changed] of [
      ['organisations', `OLD."name" IS DISTINCT FROM NEW."name"`],
      [
        'units',
        `OLD."name" IS DISTINCT FROM NEW."name" OR OLD."organisation_id" IS DISTINCT FROM NEW."organisation_id"`,
      ],
    ] as const) {
      const columns = table === 'units' ? `"name", "organisation_id"` : `"name"`;
      await queryRunner.query(
        `CREATE TRIGGER "${table}_names_version_rows" AFTER INSERT OR DELETE ON "directory"."${table}"
           FOR EACH ROW EXECUTE FUNCTION "directory"."names_version_bump"()`,
      );
      await queryRunner.query(
        `CREATE TRIGGER "${table}_names_version_renames" AFTER UPDATE OF ${columns} ON "directory"."${table}"
           FOR EACH ROW WHEN (${changed}) EXECUTE FUNCTION "directory"."names_version_bump"()`,
      );
      await queryRunner.query(
        `CREATE TRIGGER "${table}_names_version_truncate" AFTER TRUNCATE ON "directory"."${table}"
           FOR EACH STATEMENT EXECUTE FUNCTION "directory"."names_version_bump"()`,
      );
    }
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of ['units', 'organisations']) {
      for (const trigger of ['truncate', 'renames', 'rows']) {
        await queryRunner.query(
          `DROP TRIGGER "${table}_names_version_${trigger}" ON "directory"."${table}"`,
        );
      }
    }
    await queryRunner.query(`DROP FUNCTION "directory"."names_version_bump"()`);
    await queryRunner.query(`DROP TABLE "directory"."names_version"`);
    await queryRunner.query(`DROP FUNCTION "directory"."names_version_guard"()`);
  }
}
