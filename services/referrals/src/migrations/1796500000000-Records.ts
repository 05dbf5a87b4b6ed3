import { MigrationInterface, QueryRunner } from 'typeorm';

export class Records1796500000000 implements MigrationInterface {
  name = 'Records1796500000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "referrals"."legal_holds" ("referral_id" uuid NOT NULL, "organisation_id" uuid NOT NULL, "reason" character varying(30) NOT NULL, "reference" character varying(100), "placed_by" character varying(200) NOT NULL, "placed_by_issuer" character varying(500), "placed_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "PK_edb0fab44043b515286991667d9" PRIMARY KEY ("referral_id", "organisation_id"))`,
    );
    await queryRunner.query(
      `CREATE TABLE "referrals"."content_purges" ("object_type" character varying(20) NOT NULL, "object_id" uuid NOT NULL, "purged_at" TIMESTAMP WITH TIME ZONE NOT NULL, "closed_at" TIMESTAMP WITH TIME ZONE NOT NULL, "envelope_bytes" integer NOT NULL, "messages_purged" integer NOT NULL DEFAULT '0', "timeline_purged_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "PK_5ab0d3f4e882134212b492168e1" PRIMARY KEY ("object_type", "object_id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "content_purges_purged_at_idx" ON "referrals"."content_purges"  ("purged_at") `,
    );
    await queryRunner.query(
      `CREATE TABLE "referrals"."audit_reviews" ("id" uuid NOT NULL, "organisation_id" uuid NOT NULL, "period_from" TIMESTAMP WITH TIME ZONE NOT NULL, "period_to" TIMESTAMP WITH TIME ZONE NOT NULL, "sample_size" integer NOT NULL, "seed" character varying(64) NOT NULL, "head_seq" bigint NOT NULL, "reads_in_period" integer NOT NULL, "created_by" character varying(200) NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL, "status" character varying(12) NOT NULL, "signed_off_by" character varying(200), "signed_off_at" TIMESTAMP WITH TIME ZONE, "conclusion" character varying(12), "version" integer NOT NULL DEFAULT '1', CONSTRAINT "PK_cadb2a8fce0aebc439d6d2952b8" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "audit_reviews_org_idx" ON "referrals"."audit_reviews"  ("organisation_id", "created_at") `,
    );
    await queryRunner.query(
      `CREATE TABLE "referrals"."audit_review_items" ("review_id" uuid NOT NULL, "item_no" integer NOT NULL, "audit_seq" bigint NOT NULL, "at" TIMESTAMP WITH TIME ZONE NOT NULL, "actor_sub" character varying(200) NOT NULL, "actor_issuer" character varying(500), "actor_org" character varying(64), "action" character varying(100) NOT NULL, "object_type" character varying(50) NOT NULL, "object_id" character varying(200), "outcome" character varying(10) NOT NULL, "reasons" text array NOT NULL, "finding" character varying(20), "finding_reference" character varying(100), "found_by" character varying(200), "found_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "PK_66ea25c19ff3e5df3a0bb4abbf5" PRIMARY KEY ("review_id", "item_no"))`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "referrals"."audit_review_items"`);
    await queryRunner.query(`DROP INDEX "referrals"."audit_reviews_org_idx"`);
    await queryRunner.query(`DROP TABLE "referrals"."audit_reviews"`);
    await queryRunner.query(`DROP INDEX "referrals"."content_purges_purged_at_idx"`);
    await queryRunner.query(`DROP TABLE "referrals"."content_purges"`);
    await queryRunner.query(`DROP TABLE "referrals"."legal_holds"`);
  }
}
