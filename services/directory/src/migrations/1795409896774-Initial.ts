import { MigrationInterface, QueryRunner } from 'typeorm';

export class Initial1795409896774 implements MigrationInterface {
  name = 'Initial1795409896774';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            CREATE TABLE "directory"."outbox" (
                "position" BIGSERIAL NOT NULL,
                "id" uuid NOT NULL,
                "type" character varying(200) NOT NULL,
                "payload" jsonb NOT NULL,
                "headers" jsonb NOT NULL DEFAULT '{}',
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                "published_at" TIMESTAMP WITH TIME ZONE,
                "attempts" integer NOT NULL DEFAULT '0',
                "locked_until" TIMESTAMP WITH TIME ZONE,
                "last_error" text,
                CONSTRAINT "UQ_340ab539f309f03bdaa14aa7649" UNIQUE ("id"),
                CONSTRAINT "PK_eaeb48f0dd30890d452d108804b" PRIMARY KEY ("position")
            )
        `);
    await queryRunner.query(`
            CREATE INDEX "outbox_unpublished_idx" ON "directory"."outbox" ("position")
            WHERE published_at IS NULL
        `);
    await queryRunner.query(`
            CREATE TABLE "directory"."audit_log" (
                "seq" bigint NOT NULL,
                "id" uuid NOT NULL,
                "at" TIMESTAMP WITH TIME ZONE NOT NULL,
                "actor_sub" character varying(200) NOT NULL,
                "actor_org" character varying(64),
                "actor_issuer" character varying(500),
                "action" character varying(100) NOT NULL,
                "object_type" character varying(50) NOT NULL,
                "object_id" character varying(200),
                "object_org" character varying(64),
                "outcome" character varying(10) NOT NULL,
                "detail" jsonb NOT NULL DEFAULT '{}',
                "prev_hash" character(64) NOT NULL,
                "hash" character(64) NOT NULL,
                CONSTRAINT "UQ_07fefa57f7f5ab8fc3f52b3ed0b" UNIQUE ("id"),
                CONSTRAINT "PK_ce5b9b7d945cab0a6c604bafd9e" PRIMARY KEY ("seq")
            )
        `);
    await queryRunner.query(`
            CREATE INDEX "audit_log_actor_org_idx" ON "directory"."audit_log" ("actor_org")
        `);
    await queryRunner.query(`
            CREATE INDEX "audit_log_object_org_idx" ON "directory"."audit_log" ("object_org")
        `);
    await queryRunner.query(`
            CREATE TABLE "directory"."idempotency_keys" (
                "principal" character varying(700) NOT NULL,
                "key" character varying(200) NOT NULL,
                "request_hash" character(64) NOT NULL,
                "state" character varying(10) NOT NULL,
                "response_status" integer,
                "response_body" text,
                "response_type" character varying(200),
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                "locked_until" TIMESTAMP WITH TIME ZONE,
                CONSTRAINT "PK_574edfb9ce98100b66a0a2e0f34" PRIMARY KEY ("principal", "key")
            )
        `);
    await queryRunner.query(`
            CREATE INDEX "idempotency_keys_created_idx" ON "directory"."idempotency_keys" ("created_at")
        `);
    await queryRunner.query(`
            CREATE TABLE "directory"."processed_events" (
                "consumer" character varying(100) NOT NULL,
                "event_id" uuid NOT NULL,
                "processed_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                CONSTRAINT "PK_270df9e0013dff41bb91d555db4" PRIMARY KEY ("consumer", "event_id")
            )
        `);
    await queryRunner.query(`
            CREATE TABLE "directory"."dead_letters" (
                "id" uuid NOT NULL DEFAULT gen_random_uuid(),
                "consumer" character varying(100) NOT NULL,
                "event_id" character varying(100),
                "subject" character varying(300) NOT NULL,
                "payload" text NOT NULL,
                "reason" text NOT NULL,
                "deliveries" integer NOT NULL,
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                "replayed_at" TIMESTAMP WITH TIME ZONE,
                CONSTRAINT "PK_084e63809483fb0a9c48aae607f" PRIMARY KEY ("id")
            )
        `);
    await queryRunner.query(`
            CREATE TABLE "directory"."issuers" (
                "id" uuid NOT NULL,
                "issuer" character varying(500) NOT NULL,
                "organisation_ids" uuid array NOT NULL,
                "key_source" character varying(5) NOT NULL,
                "public_key_pem" text,
                "algorithms" text array NOT NULL,
                "status" character varying(10) NOT NULL DEFAULT 'active',
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                CONSTRAINT "UQ_db50f332b97ef2c5afd6997bd6c" UNIQUE ("issuer"),
                CONSTRAINT "PK_36d87e2e6d1edfcbdc561deeaf9" PRIMARY KEY ("id")
            )
        `);
    await queryRunner.query(`
            CREATE TABLE "directory"."key_log" (
                "seq" bigint NOT NULL,
                "at" TIMESTAMP WITH TIME ZONE NOT NULL,
                "action" character varying(30) NOT NULL,
                "organisation_id" uuid NOT NULL,
                "unit_id" uuid,
                "kid" character varying(100) NOT NULL,
                "use" character varying(3),
                "document" jsonb NOT NULL,
                "actor" character varying(200) NOT NULL,
                "prev_hash" character(64) NOT NULL,
                "hash" character(64) NOT NULL,
                CONSTRAINT "PK_cd8eb8c3d224836d2407c8d30b1" PRIMARY KEY ("seq")
            )
        `);
    await queryRunner.query(`
            CREATE TABLE "directory"."organisations" (
                "id" uuid NOT NULL,
                "name" character varying(200) NOT NULL,
                "kind" character varying(30) NOT NULL,
                "organisation_number" character(10) NOT NULL,
                "municipality_code" character(4),
                "county_code" character(2) NOT NULL,
                "police_region" character varying(20),
                "parent_id" uuid,
                "website" character varying(500),
                "status" character varying(10) NOT NULL DEFAULT 'active',
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                CONSTRAINT "PK_7bf54cba378d5b2f1d4c10ef4df" PRIMARY KEY ("id")
            )
        `);
    await queryRunner.query(`
            CREATE INDEX "organisations_kind_idx" ON "directory"."organisations" ("kind")
        `);
    await queryRunner.query(`
            CREATE INDEX "organisations_county_idx" ON "directory"."organisations" ("county_code")
        `);
    await queryRunner.query(`
            CREATE TABLE "directory"."units" (
                "id" uuid NOT NULL,
                "organisation_id" uuid NOT NULL,
                "name" character varying(200) NOT NULL,
                "description" character varying(2000) NOT NULL DEFAULT '',
                "capabilities" text array NOT NULL DEFAULT '{}',
                "coverage" text array NOT NULL DEFAULT '{}',
                "counties" text array NOT NULL DEFAULT '{}',
                "age_bands" text array NOT NULL DEFAULT '{}',
                "genders" text array NOT NULL DEFAULT '{}',
                "languages" text array NOT NULL DEFAULT '{}',
                "time_zone" character varying(64) NOT NULL,
                "open_247" boolean NOT NULL DEFAULT false,
                "weekly_hours" jsonb NOT NULL DEFAULT '[]',
                "contacts" jsonb NOT NULL DEFAULT '[]',
                "status" character varying(10) NOT NULL DEFAULT 'active',
                "on_call_unit_id" uuid,
                "search_text" text NOT NULL DEFAULT '',
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                CONSTRAINT "PK_5a8f2f064919b587d93936cb223" PRIMARY KEY ("id")
            )
        `);
    await queryRunner.query(`
            CREATE INDEX "units_organisation_idx" ON "directory"."units" ("organisation_id")
        `);
    await queryRunner.query(`
            CREATE TABLE "directory"."members" (
                "unit_id" uuid NOT NULL,
                "user_id" character varying(200) NOT NULL,
                "roles" text array NOT NULL,
                "added_at" TIMESTAMP WITH TIME ZONE NOT NULL,
                "added_by" character varying(200) NOT NULL,
                CONSTRAINT "PK_1558508c59789fde826a723478a" PRIMARY KEY ("unit_id", "user_id")
            )
        `);
    await queryRunner.query(`
            CREATE INDEX "members_user_idx" ON "directory"."members" ("user_id")
        `);
    await queryRunner.query(`
            CREATE TABLE "directory"."root_keys" (
                "kid" character varying(100) NOT NULL,
                "organisation_id" uuid NOT NULL,
                "jwk" jsonb NOT NULL,
                "status" character varying(10) NOT NULL,
                "registered_at" TIMESTAMP WITH TIME ZONE NOT NULL,
                "registered_by" character varying(200) NOT NULL,
                "revoked_at" TIMESTAMP WITH TIME ZONE,
                "revocation_reason" character varying(500),
                CONSTRAINT "PK_a25e356ae9559d0843515817734" PRIMARY KEY ("kid")
            )
        `);
    await queryRunner.query(`
            CREATE INDEX "root_keys_organisation_idx" ON "directory"."root_keys" ("organisation_id")
        `);
    await queryRunner.query(`
            CREATE TABLE "directory"."shifts" (
                "id" uuid NOT NULL,
                "unit_id" uuid NOT NULL,
                "user_id" character varying(200) NOT NULL,
                "starts_at" TIMESTAMP WITH TIME ZONE NOT NULL,
                "ends_at" TIMESTAMP WITH TIME ZONE NOT NULL,
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL,
                "created_by" character varying(200) NOT NULL,
                CONSTRAINT "PK_84d692e367e4d6cdf045828768c" PRIMARY KEY ("id")
            )
        `);
    await queryRunner.query(`
            CREATE INDEX "shifts_unit_time_idx" ON "directory"."shifts" ("unit_id", "starts_at", "ends_at")
        `);
    await queryRunner.query(`
            CREATE TABLE "directory"."unit_keys" (
                "kid" character varying(100) NOT NULL,
                "unit_id" uuid NOT NULL,
                "organisation_id" uuid NOT NULL,
                "use" character varying(3) NOT NULL,
                "alg" character varying(20) NOT NULL,
                "jwk" jsonb NOT NULL,
                "signed" text NOT NULL,
                "root_kid" character varying(100) NOT NULL,
                "status" character varying(10) NOT NULL,
                "published_at" TIMESTAMP WITH TIME ZONE NOT NULL,
                "retired_at" TIMESTAMP WITH TIME ZONE,
                "revoked_at" TIMESTAMP WITH TIME ZONE,
                "revocation_reason" character varying(500),
                CONSTRAINT "PK_8358daf3ab8ec8e22807572bda9" PRIMARY KEY ("kid")
            )
        `);
    await queryRunner.query(`
            CREATE INDEX "unit_keys_unit_status_idx" ON "directory"."unit_keys" ("unit_id", "status")
        `);
    await queryRunner.query(`
            ALTER TABLE "directory"."units"
            ADD CONSTRAINT "FK_369504fad69954d0969cd85afa1" FOREIGN KEY ("organisation_id") REFERENCES "directory"."organisations"("id") ON DELETE RESTRICT ON UPDATE NO ACTION
        `);
    await queryRunner.query(`
            ALTER TABLE "directory"."members"
            ADD CONSTRAINT "FK_2f36a0acb827fffd18fd7e6ad8b" FOREIGN KEY ("unit_id") REFERENCES "directory"."units"("id") ON DELETE RESTRICT ON UPDATE NO ACTION
        `);
    await queryRunner.query(`
            ALTER TABLE "directory"."root_keys"
            ADD CONSTRAINT "FK_54d075c56c6339bc955aff7d441" FOREIGN KEY ("organisation_id") REFERENCES "directory"."organisations"("id") ON DELETE RESTRICT ON UPDATE NO ACTION
        `);
    await queryRunner.query(`
            ALTER TABLE "directory"."shifts"
            ADD CONSTRAINT "FK_2c618924d8841948d41b9f41c09" FOREIGN KEY ("unit_id") REFERENCES "directory"."units"("id") ON DELETE RESTRICT ON UPDATE NO ACTION
        `);
    await queryRunner.query(`
            ALTER TABLE "directory"."unit_keys"
            ADD CONSTRAINT "FK_2c33eb31aee9c59933b4e691662" FOREIGN KEY ("unit_id") REFERENCES "directory"."units"("id") ON DELETE RESTRICT ON UPDATE NO ACTION
        `);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            ALTER TABLE "directory"."unit_keys" DROP CONSTRAINT "FK_2c33eb31aee9c59933b4e691662"
        `);
    await queryRunner.query(`
            ALTER TABLE "directory"."shifts" DROP CONSTRAINT "FK_2c618924d8841948d41b9f41c09"
        `);
    await queryRunner.query(`
            ALTER TABLE "directory"."root_keys" DROP CONSTRAINT "FK_54d075c56c6339bc955aff7d441"
        `);
    await queryRunner.query(`
            ALTER TABLE "directory"."members" DROP CONSTRAINT "FK_2f36a0acb827fffd18fd7e6ad8b"
        `);
    await queryRunner.query(`
            ALTER TABLE "directory"."units" DROP CONSTRAINT "FK_369504fad69954d0969cd85afa1"
        `);
    await queryRunner.query(`
            DROP INDEX "directory"."unit_keys_unit_status_idx"
        `);
    await queryRunner.query(`
            DROP TABLE "directory"."unit_keys"
        `);
    await queryRunner.query(`
            DROP INDEX "directory"."shifts_unit_time_idx"
        `);
    await queryRunner.query(`
            DROP TABLE "directory"."shifts"
        `);
    await queryRunner.query(`
            DROP INDEX "directory"."root_keys_organisation_idx"
        `);
    await queryRunner.query(`
            DROP TABLE "directory"."root_keys"
        `);
    await queryRunner.query(`
            DROP INDEX "directory"."members_user_idx"
        `);
    await queryRunner.query(`
            DROP TABLE "directory"."members"
        `);
    await queryRunner.query(`
            DROP INDEX "directory"."units_organisation_idx"
        `);
    await queryRunner.query(`
            DROP TABLE "directory"."units"
        `);
    await queryRunner.query(`
            DROP INDEX "directory"."organisations_county_idx"
        `);
    await queryRunner.query(`
            DROP INDEX "directory"."organisations_kind_idx"
        `);
    await queryRunner.query(`
            DROP TABLE "directory"."organisations"
        `);
    await queryRunner.query(`
            DROP TABLE "directory"."key_log"
        `);
    await queryRunner.query(`
            DROP TABLE "directory"."issuers"
        `);
    await queryRunner.query(`
            DROP TABLE "directory"."dead_letters"
        `);
    await queryRunner.query(`
            DROP TABLE "directory"."processed_events"
        `);
    await queryRunner.query(`
            DROP INDEX "directory"."idempotency_keys_created_idx"
        `);
    await queryRunner.query(`
            DROP TABLE "directory"."idempotency_keys"
        `);
    await queryRunner.query(`
            DROP INDEX "directory"."audit_log_object_org_idx"
        `);
    await queryRunner.query(`
            DROP INDEX "directory"."audit_log_actor_org_idx"
        `);
    await queryRunner.query(`
            DROP TABLE "directory"."audit_log"
        `);
    await queryRunner.query(`
            DROP INDEX "directory"."outbox_unpublished_idx"
        `);
    await queryRunner.query(`
            DROP TABLE "directory"."outbox"
        `);
  }
}
