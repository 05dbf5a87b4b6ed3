import { MigrationInterface, QueryRunner } from 'typeorm';

export class TrustedIssuers1795415252703 implements MigrationInterface {
  name = 'TrustedIssuers1795415252703';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            CREATE TABLE "referrals"."trusted_issuers" (
                "issuer" character varying(500) NOT NULL,
                "organisation_ids" uuid array NOT NULL,
                "key_source" character varying(5) NOT NULL,
                "public_key_pem" text,
                "algorithms" text array NOT NULL,
                "status" character varying(10) NOT NULL,
                "event_at" TIMESTAMP WITH TIME ZONE NOT NULL,
                CONSTRAINT "PK_021dcc9814a9b8e8137e198c22b" PRIMARY KEY ("issuer")
            )
        `);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            DROP TABLE "referrals"."trusted_issuers"
        `);
  }
}
