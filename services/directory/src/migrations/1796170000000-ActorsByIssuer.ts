import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A person is (issuer, subject), never a subject alone (issue 12): who added a member, created a
 * shift, registered a root key or made a key-log entry is recorded with the token issuer beside
 * the subject. Rows written before keep a null issuer (it was not recorded); a key-log entry's
 * hash covers `actorIssuer` only when it is set, so the old entries' hashes are unchanged.
 */
export class ActorsByIssuer1796170000000 implements MigrationInterface {
  name = 'ActorsByIssuer1796170000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE "directory"."members" ADD "added_by_issuer" character varying(500)`,
    );
    await queryRunner.query(
      `ALTER TABLE "directory"."shifts" ADD "created_by_issuer" character varying(500)`,
    );
    await queryRunner.query(
      `ALTER TABLE "directory"."root_keys" ADD "registered_by_issuer" character varying(500)`,
    );
    await queryRunner.query(
      `ALTER TABLE "directory"."key_log" ADD "actor_issuer" character varying(500)`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "directory"."key_log" DROP COLUMN "actor_issuer"`);
    await queryRunner.query(
      `ALTER TABLE "directory"."root_keys" DROP COLUMN "registered_by_issuer"`,
    );
    await queryRunner.query(`ALTER TABLE "directory"."shifts" DROP COLUMN "created_by_issuer"`);
    await queryRunner.query(`ALTER TABLE "directory"."members" DROP COLUMN "added_by_issuer"`);
  }
}
