import { MigrationInterface, QueryRunner } from 'typeorm';

/** Webhook endpoints, their deliveries and the log of every attempt. */
export class WebhookEndpoints1795500000000 implements MigrationInterface {
  name = 'WebhookEndpoints1795500000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE "notifications"."webhook_endpoints" (
        "id" uuid NOT NULL,
        "unit_id" uuid NOT NULL,
        "organisation_id" uuid NOT NULL,
        "url" character varying(2000) NOT NULL,
        "description" character varying(200) NOT NULL DEFAULT '',
        "event_types" text array NOT NULL,
        "status" character varying(10) NOT NULL,
        "disabled_reason" character varying(30),
        "disabled_at" TIMESTAMP WITH TIME ZONE,
        "consecutive_failures" integer NOT NULL DEFAULT '0',
        "secret_sealed" text NOT NULL,
        "previous_secret_sealed" text,
        "previous_secret_expires_at" TIMESTAMP WITH TIME ZONE,
        "created_by" character varying(200) NOT NULL,
        "created_at" TIMESTAMP WITH TIME ZONE NOT NULL,
        "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL,
        CONSTRAINT "webhook_endpoints_pk" PRIMARY KEY ("id")
      )
    `);
    await queryRunner.query(
      `CREATE INDEX "webhook_endpoints_organisation_idx" ON "notifications"."webhook_endpoints" ("organisation_id", "created_at")`,
    );
    await queryRunner.query(
      `CREATE INDEX "webhook_endpoints_unit_idx" ON "notifications"."webhook_endpoints" ("unit_id")`,
    );
    await queryRunner.query(`
      CREATE TABLE "notifications"."webhook_deliveries" (
        "id" uuid NOT NULL,
        "endpoint_id" uuid NOT NULL,
        "event_id" uuid NOT NULL,
        "event_type" character varying(100) NOT NULL,
        "payload" text NOT NULL,
        "status" character varying(10) NOT NULL,
        "attempts" integer NOT NULL DEFAULT '0',
        "next_attempt_at" TIMESTAMP WITH TIME ZONE,
        "lease_until" TIMESTAMP WITH TIME ZONE,
        "lease_token" uuid,
        "last_outcome" character varying(60),
        "delivered_at" TIMESTAMP WITH TIME ZONE,
        "created_at" TIMESTAMP WITH TIME ZONE NOT NULL,
        "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL,
        CONSTRAINT "webhook_deliveries_pk" PRIMARY KEY ("id")
      )
    `);
    await queryRunner.query(
      `CREATE INDEX "webhook_deliveries_log_idx" ON "notifications"."webhook_deliveries" ("endpoint_id", "created_at")`,
    );
    await queryRunner.query(
      `CREATE INDEX "webhook_deliveries_due_idx" ON "notifications"."webhook_deliveries" ("next_attempt_at") WHERE status IN ('pending', 'retrying')`,
    );
    await queryRunner.query(
      `CREATE UNIQUE INDEX "webhook_deliveries_event_uq" ON "notifications"."webhook_deliveries" ("endpoint_id", "event_id")`,
    );
    await queryRunner.query(`
      CREATE TABLE "notifications"."webhook_attempts" (
        "id" uuid NOT NULL,
        "delivery_id" uuid NOT NULL,
        "attempted_at" TIMESTAMP WITH TIME ZONE NOT NULL,
        "duration_ms" integer NOT NULL,
        "status_code" integer,
        "outcome" character varying(60) NOT NULL,
        CONSTRAINT "webhook_attempts_pk" PRIMARY KEY ("id")
      )
    `);
    await queryRunner.query(
      `CREATE INDEX "webhook_attempts_delivery_idx" ON "notifications"."webhook_attempts" ("delivery_id", "attempted_at")`,
    );
    await queryRunner.query(
      `ALTER TABLE "notifications"."webhook_deliveries" ADD CONSTRAINT "webhook_deliveries_endpoint_fk" FOREIGN KEY ("endpoint_id") REFERENCES "notifications"."webhook_endpoints"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "notifications"."webhook_attempts" ADD CONSTRAINT "webhook_attempts_delivery_fk" FOREIGN KEY ("delivery_id") REFERENCES "notifications"."webhook_deliveries"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "notifications"."webhook_attempts"`);
    await queryRunner.query(`DROP TABLE "notifications"."webhook_deliveries"`);
    await queryRunner.query(`DROP TABLE "notifications"."webhook_endpoints"`);
  }
}
