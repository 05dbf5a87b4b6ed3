import { MigrationInterface, QueryRunner } from 'typeorm';

export class Initial1795417384823 implements MigrationInterface {
  name = 'Initial1795417384823';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "notifications"."outbox" ("position" BIGSERIAL NOT NULL, "id" uuid NOT NULL, "type" character varying(200) NOT NULL, "payload" jsonb NOT NULL, "headers" jsonb NOT NULL DEFAULT '{}', "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "published_at" TIMESTAMP WITH TIME ZONE, "attempts" integer NOT NULL DEFAULT '0', "locked_until" TIMESTAMP WITH TIME ZONE, "last_error" text, CONSTRAINT "UQ_340ab539f309f03bdaa14aa7649" UNIQUE ("id"), CONSTRAINT "PK_eaeb48f0dd30890d452d108804b" PRIMARY KEY ("position"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "outbox_unpublished_idx" ON "notifications"."outbox"  ("position") WHERE published_at IS NULL`,
    );
    await queryRunner.query(
      `CREATE TABLE "notifications"."audit_log" ("seq" bigint NOT NULL, "id" uuid NOT NULL, "at" TIMESTAMP WITH TIME ZONE NOT NULL, "actor_sub" character varying(200) NOT NULL, "actor_org" character varying(64), "actor_issuer" character varying(500), "action" character varying(100) NOT NULL, "object_type" character varying(50) NOT NULL, "object_id" character varying(200), "object_org" character varying(64), "outcome" character varying(10) NOT NULL, "detail" jsonb NOT NULL DEFAULT '{}', "prev_hash" character(64) NOT NULL, "hash" character(64) NOT NULL, CONSTRAINT "UQ_07fefa57f7f5ab8fc3f52b3ed0b" UNIQUE ("id"), CONSTRAINT "PK_ce5b9b7d945cab0a6c604bafd9e" PRIMARY KEY ("seq"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "audit_log_actor_org_idx" ON "notifications"."audit_log"  ("actor_org") `,
    );
    await queryRunner.query(
      `CREATE INDEX "audit_log_object_org_idx" ON "notifications"."audit_log"  ("object_org") `,
    );
    await queryRunner.query(
      `CREATE TABLE "notifications"."idempotency_keys" ("principal" character varying(700) NOT NULL, "key" character varying(200) NOT NULL, "request_hash" character(64) NOT NULL, "state" character varying(10) NOT NULL, "response_status" integer, "response_body" text, "response_type" character varying(200), "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "locked_until" TIMESTAMP WITH TIME ZONE, CONSTRAINT "PK_574edfb9ce98100b66a0a2e0f34" PRIMARY KEY ("principal", "key"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "idempotency_keys_created_idx" ON "notifications"."idempotency_keys"  ("created_at") `,
    );
    await queryRunner.query(
      `CREATE TABLE "notifications"."processed_events" ("consumer" character varying(100) NOT NULL, "event_id" uuid NOT NULL, "processed_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_270df9e0013dff41bb91d555db4" PRIMARY KEY ("consumer", "event_id"))`,
    );
    await queryRunner.query(
      `CREATE TABLE "notifications"."dead_letters" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "consumer" character varying(100) NOT NULL, "event_id" character varying(100), "subject" character varying(300) NOT NULL, "payload" text NOT NULL, "reason" text NOT NULL, "deliveries" integer NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "replayed_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "PK_084e63809483fb0a9c48aae607f" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE TABLE "notifications"."directory_units" ("unit_id" uuid NOT NULL, "organisation_id" uuid NOT NULL, "organisation_kind" character varying(30) NOT NULL, "status" character varying(10) NOT NULL, "on_call_unit_id" uuid, "coverage" text array NOT NULL DEFAULT '{}', "event_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "PK_e89d4352c316359b08060fed845" PRIMARY KEY ("unit_id"))`,
    );
    await queryRunner.query(
      `CREATE TABLE "notifications"."directory_members" ("unit_id" uuid NOT NULL, "user_id" character varying(200) NOT NULL, "roles" text array NOT NULL, "active" boolean NOT NULL, "event_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "PK_4eef001c1ecc6aa797a4270a0e0" PRIMARY KEY ("unit_id", "user_id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "directory_members_user_idx" ON "notifications"."directory_members"  ("user_id") `,
    );
    await queryRunner.query(
      `CREATE TABLE "notifications"."directory_shifts" ("shift_id" uuid NOT NULL, "unit_id" uuid NOT NULL, "user_id" character varying(200) NOT NULL, "starts_at" TIMESTAMP WITH TIME ZONE NOT NULL, "ends_at" TIMESTAMP WITH TIME ZONE NOT NULL, "deleted" boolean NOT NULL, CONSTRAINT "PK_37418d1ed178aff9b155962db0e" PRIMARY KEY ("shift_id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "directory_shifts_unit_idx" ON "notifications"."directory_shifts"  ("unit_id", "starts_at") `,
    );
    await queryRunner.query(
      `CREATE TABLE "notifications"."trusted_issuers" ("issuer" character varying(500) NOT NULL, "organisation_ids" uuid array NOT NULL, "key_source" character varying(5) NOT NULL, "public_key_pem" text, "algorithms" text array NOT NULL, "status" character varying(10) NOT NULL, "event_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "PK_021dcc9814a9b8e8137e198c22b" PRIMARY KEY ("issuer"))`,
    );
    await queryRunner.query(
      `CREATE TABLE "notifications"."escalation_timers" ("id" uuid NOT NULL, "object_type" character varying(30) NOT NULL, "object_id" uuid NOT NULL, "level" integer NOT NULL, "due_at" TIMESTAMP WITH TIME ZONE NOT NULL, "status" character varying(10) NOT NULL DEFAULT 'pending', "unit_ids" uuid array NOT NULL, "category" character varying(40), "urgency" character varying(10), "municipality_code" character varying(4), "coordinator_unit_id" uuid, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "settled_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "escalation_timers_object_level_uq" UNIQUE ("object_type", "object_id", "level"), CONSTRAINT "PK_67d0914cafc602db7514b9c64e2" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "escalation_timers_due_idx" ON "notifications"."escalation_timers"  ("due_at") WHERE status = 'pending'`,
    );
    await queryRunner.query(
      `CREATE TABLE "notifications"."notification_preferences" ("user_id" character varying(200) NOT NULL, "kind" character varying(40) NOT NULL, "channels" text array NOT NULL, "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_4beeeb46feaf58d75e124c8ba58" PRIMARY KEY ("user_id", "kind"))`,
    );
    await queryRunner.query(
      `CREATE TABLE "notifications"."notifications" ("seq" BIGSERIAL NOT NULL, "id" uuid NOT NULL, "user_id" character varying(200) NOT NULL, "unit_id" uuid, "kind" character varying(40) NOT NULL, "severity" character varying(10) NOT NULL, "title" character varying(200) NOT NULL, "body" character varying(500) NOT NULL, "link" character varying(200) NOT NULL, "object_type" character varying(30) NOT NULL, "object_id" uuid NOT NULL, "event_id" uuid NOT NULL, "requires_ack" boolean NOT NULL DEFAULT false, "channels" text array NOT NULL DEFAULT '{}', "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "seen_at" TIMESTAMP WITH TIME ZONE, "read_at" TIMESTAMP WITH TIME ZONE, "acknowledged_at" TIMESTAMP WITH TIME ZONE, "archived_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "UQ_6a72c3c0f683f6462415e653c3a" UNIQUE ("id"), CONSTRAINT "notifications_event_user_kind_uq" UNIQUE ("event_id", "user_id", "kind"), CONSTRAINT "PK_91650fa6d594fd7c04d6fcdf5a4" PRIMARY KEY ("seq"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "notifications_object_idx" ON "notifications"."notifications"  ("object_type", "object_id") `,
    );
    await queryRunner.query(
      `CREATE INDEX "notifications_user_seq_idx" ON "notifications"."notifications"  ("user_id", "seq") `,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "notifications"."notifications_user_seq_idx"`);
    await queryRunner.query(`DROP INDEX "notifications"."notifications_object_idx"`);
    await queryRunner.query(`DROP TABLE "notifications"."notifications"`);
    await queryRunner.query(`DROP TABLE "notifications"."notification_preferences"`);
    await queryRunner.query(`DROP INDEX "notifications"."escalation_timers_due_idx"`);
    await queryRunner.query(`DROP TABLE "notifications"."escalation_timers"`);
    await queryRunner.query(`DROP TABLE "notifications"."trusted_issuers"`);
    await queryRunner.query(`DROP INDEX "notifications"."directory_shifts_unit_idx"`);
    await queryRunner.query(`DROP TABLE "notifications"."directory_shifts"`);
    await queryRunner.query(`DROP INDEX "notifications"."directory_members_user_idx"`);
    await queryRunner.query(`DROP TABLE "notifications"."directory_members"`);
    await queryRunner.query(`DROP TABLE "notifications"."directory_units"`);
    await queryRunner.query(`DROP TABLE "notifications"."dead_letters"`);
    await queryRunner.query(`DROP TABLE "notifications"."processed_events"`);
    await queryRunner.query(`DROP INDEX "notifications"."idempotency_keys_created_idx"`);
    await queryRunner.query(`DROP TABLE "notifications"."idempotency_keys"`);
    await queryRunner.query(`DROP INDEX "notifications"."audit_log_object_org_idx"`);
    await queryRunner.query(`DROP INDEX "notifications"."audit_log_actor_org_idx"`);
    await queryRunner.query(`DROP TABLE "notifications"."audit_log"`);
    await queryRunner.query(`DROP INDEX "notifications"."outbox_unpublished_idx"`);
    await queryRunner.query(`DROP TABLE "notifications"."outbox"`);
  }
}
