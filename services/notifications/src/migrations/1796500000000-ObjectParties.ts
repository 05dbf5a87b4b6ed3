import { MigrationInterface, QueryRunner } from 'typeorm';

export class ObjectParties1796500000000 implements MigrationInterface {
  name = 'ObjectParties1796500000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "notifications"."object_parties" ("object_type" character varying(30) NOT NULL, "object_id" uuid NOT NULL, "unit_ids" uuid array NOT NULL, "purged_at" TIMESTAMP WITH TIME ZONE, "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "PK_07ac779be1675efdc3b585da656" PRIMARY KEY ("object_type", "object_id"))`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "notifications"."object_parties"`);
  }
}
