import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The audit chain off the request path (docs/audit.md, "Unchained entries and the chainer"): a
 * request writes its entry here, unchained, in its own transaction; the chainer moves entries
 * from here into `audit_log`, oldest first, with their numbers and hashes. Rows leave this table
 * only by being chained (in the same transaction as their insert into the log).
 */
export class UnchainedAuditEntries1797020000001 implements MigrationInterface {
  name = 'UnchainedAuditEntries1797020000001';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "notifications"."audit_pending" ("position" bigserial NOT NULL, "entry" jsonb NOT NULL, CONSTRAINT "audit_pending_pkey" PRIMARY KEY ("position"))`,
    );
    // Nothing else changes a pending entry: it is written once and moved into the chain.
    await queryRunner.query(`
      CREATE FUNCTION "notifications"."audit_pending_guard"() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'audit_pending entries are never changed, only chained'
          USING ERRCODE = 'insufficient_privilege';
      END $$`);
    await queryRunner.query(
      `CREATE TRIGGER "audit_pending_no_update" BEFORE UPDATE OR TRUNCATE ON "notifications"."audit_pending"
         FOR EACH STATEMENT EXECUTE FUNCTION "notifications"."audit_pending_guard"()`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `DROP TRIGGER "audit_pending_no_update" ON "notifications"."audit_pending"`,
    );
    await queryRunner.query(`DROP FUNCTION "notifications"."audit_pending_guard"()`);
    await queryRunner.query(`DROP TABLE "notifications"."audit_pending"`);
  }
}
