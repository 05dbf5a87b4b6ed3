import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Checkpoints of the hash chains (docs/audit.md): the recorded head of each chain, which only moves
 * forward, and signed checkpoints, which are append-only. The heads start at the chains' current
 * last rows, so a tail cut off from now on shows. And the organisations of an audited object's
 * parties on each audit entry, so every party's auditors see it.
 */
export class ChainCheckpoints1795430000000 implements MigrationInterface {
  name = 'ChainCheckpoints1795430000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE "notifications"."audit_log" ADD "party_orgs" character varying(64) array NOT NULL DEFAULT '{}'`,
    );
    await queryRunner.query(
      `CREATE INDEX "audit_log_party_orgs_gin" ON "notifications"."audit_log" USING gin ("party_orgs")`,
    );
    await queryRunner.query(
      `CREATE INDEX "audit_log_object_idx" ON "notifications"."audit_log" ("object_type", "object_id") `,
    );
    await queryRunner.query(
      `CREATE TABLE "notifications"."chain_heads" ("chain" character varying(50) NOT NULL, "seq" bigint NOT NULL, "hash" character(64) NOT NULL, "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "PK_b453b2e7af227633b1b335a30e1" PRIMARY KEY ("chain"))`,
    );
    await queryRunner.query(
      `CREATE TABLE "notifications"."chain_checkpoints" ("id" uuid NOT NULL, "chain" character varying(50) NOT NULL, "seq" bigint NOT NULL, "head_hash" character(64) NOT NULL, "at" TIMESTAMP WITH TIME ZONE NOT NULL, "kid" character varying(100) NOT NULL, "public_jwk" jsonb NOT NULL, "jws" text NOT NULL, CONSTRAINT "PK_808a7f2a65054dfc9df36c2d4da" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "chain_checkpoints_chain_seq_idx" ON "notifications"."chain_checkpoints" ("chain", "seq")`,
    );
    await queryRunner.query(
      `INSERT INTO "notifications"."chain_heads" (chain, seq, hash, updated_at)
         SELECT 'audit_log', seq, hash, now() FROM "notifications"."audit_log" ORDER BY seq DESC LIMIT 1`,
    );
    // A head moves only forward; nothing else about heads or checkpoints ever changes.
    await queryRunner.query(`
      CREATE FUNCTION "notifications"."chain_guard"() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_LEVEL = 'ROW' AND TG_OP = 'UPDATE' AND NEW.chain = OLD.chain AND NEW.seq > OLD.seq THEN
          RETURN NEW;
        END IF;
        RAISE EXCEPTION '% only moves forward and is never deleted', TG_TABLE_NAME
          USING ERRCODE = 'insufficient_privilege';
      END $$`);
    await queryRunner.query(
      `CREATE TRIGGER "chain_heads_forward_only" BEFORE UPDATE OR DELETE ON "notifications"."chain_heads"
         FOR EACH ROW EXECUTE FUNCTION "notifications"."chain_guard"()`,
    );
    await queryRunner.query(
      `CREATE TRIGGER "chain_heads_no_truncate" BEFORE TRUNCATE ON "notifications"."chain_heads"
         FOR EACH STATEMENT EXECUTE FUNCTION "notifications"."chain_guard"()`,
    );
    await queryRunner.query(
      `CREATE TRIGGER "chain_checkpoints_append_only" BEFORE UPDATE OR DELETE OR TRUNCATE ON "notifications"."chain_checkpoints"
         FOR EACH STATEMENT EXECUTE FUNCTION "notifications"."chain_guard"()`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `DROP TRIGGER "chain_checkpoints_append_only" ON "notifications"."chain_checkpoints"`,
    );
    await queryRunner.query(
      `DROP TRIGGER "chain_heads_no_truncate" ON "notifications"."chain_heads"`,
    );
    await queryRunner.query(
      `DROP TRIGGER "chain_heads_forward_only" ON "notifications"."chain_heads"`,
    );
    await queryRunner.query(`DROP FUNCTION "notifications"."chain_guard"()`);
    await queryRunner.query(`DROP INDEX "notifications"."chain_checkpoints_chain_seq_idx"`);
    await queryRunner.query(`DROP TABLE "notifications"."chain_checkpoints"`);
    await queryRunner.query(`DROP TABLE "notifications"."chain_heads"`);
    await queryRunner.query(`DROP INDEX "notifications"."audit_log_object_idx"`);
    await queryRunner.query(`DROP INDEX "notifications"."audit_log_party_orgs_gin"`);
    await queryRunner.query(`ALTER TABLE "notifications"."audit_log" DROP COLUMN "party_orgs"`);
  }
}
