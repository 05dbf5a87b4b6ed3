import { MigrationInterface, QueryRunner } from 'typeorm';

export class Initial1795413838657 implements MigrationInterface {
  name = 'Initial1795413838657';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            CREATE TABLE "referrals"."outbox" (
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
            CREATE INDEX "outbox_unpublished_idx" ON "referrals"."outbox" ("position")
            WHERE published_at IS NULL
        `);
    await queryRunner.query(`
            CREATE TABLE "referrals"."audit_log" (
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
            CREATE INDEX "audit_log_actor_org_idx" ON "referrals"."audit_log" ("actor_org")
        `);
    await queryRunner.query(`
            CREATE INDEX "audit_log_object_org_idx" ON "referrals"."audit_log" ("object_org")
        `);
    await queryRunner.query(`
            CREATE TABLE "referrals"."idempotency_keys" (
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
            CREATE INDEX "idempotency_keys_created_idx" ON "referrals"."idempotency_keys" ("created_at")
        `);
    await queryRunner.query(`
            CREATE TABLE "referrals"."processed_events" (
                "consumer" character varying(100) NOT NULL,
                "event_id" uuid NOT NULL,
                "processed_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                CONSTRAINT "PK_270df9e0013dff41bb91d555db4" PRIMARY KEY ("consumer", "event_id")
            )
        `);
    await queryRunner.query(`
            CREATE TABLE "referrals"."dead_letters" (
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
            CREATE TABLE "referrals"."directory_units" (
                "unit_id" uuid NOT NULL,
                "organisation_id" uuid NOT NULL,
                "organisation_kind" character varying(30) NOT NULL,
                "status" character varying(10) NOT NULL,
                "on_call_unit_id" uuid,
                "coverage" text array NOT NULL DEFAULT '{}',
                "active_encryption_kids" text array NOT NULL DEFAULT '{}',
                "unit_event_at" TIMESTAMP WITH TIME ZONE,
                "keys_event_at" TIMESTAMP WITH TIME ZONE,
                CONSTRAINT "PK_e89d4352c316359b08060fed845" PRIMARY KEY ("unit_id")
            )
        `);
    await queryRunner.query(`
            CREATE TABLE "referrals"."referral_events" (
                "id" uuid NOT NULL,
                "referral_id" uuid NOT NULL,
                "at" TIMESTAMP WITH TIME ZONE NOT NULL,
                "event" character varying(40) NOT NULL,
                "actor_unit_id" uuid,
                "detail" jsonb NOT NULL DEFAULT '{}',
                CONSTRAINT "PK_850a7d8ea24a8e90aba261d0190" PRIMARY KEY ("id")
            )
        `);
    await queryRunner.query(`
            CREATE INDEX "referral_events_referral_idx" ON "referrals"."referral_events" ("referral_id", "at")
        `);
    await queryRunner.query(`
            CREATE TABLE "referrals"."referral_messages" (
                "id" uuid NOT NULL,
                "referral_id" uuid NOT NULL,
                "sender_unit_id" uuid NOT NULL,
                "envelope" jsonb NOT NULL,
                "envelope_size" integer NOT NULL,
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL,
                CONSTRAINT "PK_daf4d5cff5b08da926992f2acf8" PRIMARY KEY ("id")
            )
        `);
    await queryRunner.query(`
            CREATE INDEX "referral_messages_referral_idx" ON "referrals"."referral_messages" ("referral_id", "created_at")
        `);
    await queryRunner.query(`
            CREATE TABLE "referrals"."referrals" (
                "id" uuid NOT NULL,
                "sender_unit_id" uuid NOT NULL,
                "recipient_unit_id" uuid NOT NULL,
                "copy_unit_ids" uuid array NOT NULL DEFAULT '{}',
                "category" character varying(40) NOT NULL,
                "urgency" character varying(10) NOT NULL,
                "age_band" character varying(10) NOT NULL,
                "gender" character varying(12) NOT NULL,
                "citizenship_group" character varying(10) NOT NULL,
                "municipality_code" character(4) NOT NULL,
                "legal_basis" character varying(20) NOT NULL,
                "justification" character varying(4000),
                "status" character varying(20) NOT NULL,
                "envelope" jsonb NOT NULL,
                "envelope_size" integer NOT NULL,
                "acknowledge_by" TIMESTAMP WITH TIME ZONE NOT NULL,
                "acknowledged_at" TIMESTAMP WITH TIME ZONE,
                "accepted_at" TIMESTAMP WITH TIME ZONE,
                "declined_at" TIMESTAMP WITH TIME ZONE,
                "decline_reason" character varying(20),
                "closed_at" TIMESTAMP WITH TIME ZONE,
                "outcome" character varying(20),
                "forwarded_from_id" uuid,
                "forwarded_to_ids" uuid array NOT NULL DEFAULT '{}',
                "handover" jsonb NOT NULL,
                "escalation_level" smallint NOT NULL DEFAULT '0',
                "version" integer NOT NULL DEFAULT '1',
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                CONSTRAINT "PK_ea9980e34f738b6252817326c08" PRIMARY KEY ("id")
            )
        `);
    await queryRunner.query(`
            CREATE INDEX "referrals_deadline_idx" ON "referrals"."referrals" ("status", "acknowledge_by")
        `);
    await queryRunner.query(`
            CREATE INDEX "referrals_outbox_idx" ON "referrals"."referrals" ("sender_unit_id", "status", "created_at")
        `);
    await queryRunner.query(`
            CREATE INDEX "referrals_inbox_idx" ON "referrals"."referrals" ("recipient_unit_id", "status", "created_at")
        `);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            DROP INDEX "referrals"."referrals_inbox_idx"
        `);
    await queryRunner.query(`
            DROP INDEX "referrals"."referrals_outbox_idx"
        `);
    await queryRunner.query(`
            DROP INDEX "referrals"."referrals_deadline_idx"
        `);
    await queryRunner.query(`
            DROP TABLE "referrals"."referrals"
        `);
    await queryRunner.query(`
            DROP INDEX "referrals"."referral_messages_referral_idx"
        `);
    await queryRunner.query(`
            DROP TABLE "referrals"."referral_messages"
        `);
    await queryRunner.query(`
            DROP INDEX "referrals"."referral_events_referral_idx"
        `);
    await queryRunner.query(`
            DROP TABLE "referrals"."referral_events"
        `);
    await queryRunner.query(`
            DROP TABLE "referrals"."directory_units"
        `);
    await queryRunner.query(`
            DROP TABLE "referrals"."dead_letters"
        `);
    await queryRunner.query(`
            DROP TABLE "referrals"."processed_events"
        `);
    await queryRunner.query(`
            DROP INDEX "referrals"."idempotency_keys_created_idx"
        `);
    await queryRunner.query(`
            DROP TABLE "referrals"."idempotency_keys"
        `);
    await queryRunner.query(`
            DROP INDEX "referrals"."audit_log_object_org_idx"
        `);
    await queryRunner.query(`
            DROP INDEX "referrals"."audit_log_actor_org_idx"
        `);
    await queryRunner.query(`
            DROP TABLE "referrals"."audit_log"
        `);
    await queryRunner.query(`
            DROP INDEX "referrals"."outbox_unpublished_idx"
        `);
    await queryRunner.query(`
            DROP TABLE "referrals"."outbox"
        `);
  }
}
