import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Joint operation weeks (docs/architecture.md#operation-weeks): operations, their participants and shifts, field requests,
 * encounter tallies; unit members in the directory read model; a referral's link to the field
 * request it came out of.
 */
export class OperationWeeks1795420000000 implements MigrationInterface {
  name = 'OperationWeeks1795420000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "referrals"."directory_members" ("unit_id" uuid NOT NULL, "user_id" character varying(200) NOT NULL, "roles" text array NOT NULL DEFAULT '{}', "active" boolean NOT NULL, "event_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "PK_4eef001c1ecc6aa797a4270a0e0" PRIMARY KEY ("unit_id", "user_id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "directory_members_user_idx" ON "referrals"."directory_members"  ("user_id")`,
    );
    await queryRunner.query(
      `CREATE TABLE "referrals"."encounter_tallies" ("field_request_id" uuid NOT NULL, "operation_id" uuid NOT NULL, "people_met" jsonb NOT NULL, "support_offered" integer NOT NULL, "support_accepted" integer NOT NULL, "protected_housing_arranged" integer NOT NULL, "buyers_met" integer NOT NULL, "buyers_offered_clinic" integer NOT NULL, "referral_ids" uuid array NOT NULL DEFAULT '{}', "recorded_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_d726f81d62170d87fbf181452d3" PRIMARY KEY ("field_request_id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "encounter_tallies_operation_idx" ON "referrals"."encounter_tallies"  ("operation_id")`,
    );
    await queryRunner.query(
      `CREATE TABLE "referrals"."field_requests" ("id" uuid NOT NULL, "operation_id" uuid NOT NULL, "requester_unit_id" uuid NOT NULL, "participant_unit_ids" uuid array NOT NULL, "urgency" character varying(10) NOT NULL, "needed_by" TIMESTAMP WITH TIME ZONE NOT NULL, "claim_by" TIMESTAMP WITH TIME ZONE NOT NULL, "estimated_persons" jsonb NOT NULL, "languages" text array NOT NULL DEFAULT '{}', "flags" jsonb NOT NULL, "envelope" jsonb NOT NULL, "envelope_size" integer NOT NULL, "status" character varying(12) NOT NULL, "claimed_by" character varying(200), "claimed_by_unit_id" uuid, "claimed_at" TIMESTAMP WITH TIME ZONE, "en_route_at" TIMESTAMP WITH TIME ZONE, "on_site_at" TIMESTAMP WITH TIME ZONE, "completed_at" TIMESTAMP WITH TIME ZONE, "cancelled_at" TIMESTAMP WITH TIME ZONE, "escalated_at" TIMESTAMP WITH TIME ZONE, "version" integer NOT NULL DEFAULT '1', "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_59bfbde1318fcae49f9427845d4" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "field_requests_claim_deadline_idx" ON "referrals"."field_requests"  ("status", "claim_by")`,
    );
    await queryRunner.query(
      `CREATE INDEX "field_requests_operation_idx" ON "referrals"."field_requests"  ("operation_id", "created_at")`,
    );
    await queryRunner.query(
      `CREATE TABLE "referrals"."operation_participants" ("operation_id" uuid NOT NULL, "unit_id" uuid NOT NULL, "organisation_id" uuid NOT NULL, "organisation_kind" character varying(30) NOT NULL, "status" character varying(10) NOT NULL, "invited_at" TIMESTAMP WITH TIME ZONE NOT NULL, "answered_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "PK_c397d4205400eeb6cb8409ed589" PRIMARY KEY ("operation_id", "unit_id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "operation_participants_unit_idx" ON "referrals"."operation_participants"  ("unit_id")`,
    );
    await queryRunner.query(
      `CREATE TABLE "referrals"."operation_shifts" ("id" uuid NOT NULL, "operation_id" uuid NOT NULL, "unit_id" uuid NOT NULL, "user_id" character varying(200) NOT NULL, "starts_at" TIMESTAMP WITH TIME ZONE NOT NULL, "ends_at" TIMESTAMP WITH TIME ZONE NOT NULL, "removed_at" TIMESTAMP WITH TIME ZONE, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_6fdad366c7307260baf276d0006" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "operation_shifts_on_shift_idx" ON "referrals"."operation_shifts"  ("operation_id", "unit_id", "starts_at")`,
    );
    await queryRunner.query(
      `CREATE TABLE "referrals"."operations" ("id" uuid NOT NULL, "name" character varying(200) NOT NULL, "municipality_codes" text array NOT NULL, "starts_at" TIMESTAMP WITH TIME ZONE NOT NULL, "ends_at" TIMESTAMP WITH TIME ZONE NOT NULL, "organiser_unit_id" uuid NOT NULL, "organiser_organisation_id" uuid NOT NULL, "coordinator_unit_id" uuid, "status" character varying(12) NOT NULL, "activated_at" TIMESTAMP WITH TIME ZONE, "completed_at" TIMESTAMP WITH TIME ZONE, "cancelled_at" TIMESTAMP WITH TIME ZONE, "version" integer NOT NULL DEFAULT '1', "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_7b62d84d6f9912b975987165856" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "operations_organiser_idx" ON "referrals"."operations"  ("organiser_unit_id", "starts_at")`,
    );
    await queryRunner.query(`ALTER TABLE "referrals"."referrals" ADD "operation_id" uuid`);
    await queryRunner.query(`ALTER TABLE "referrals"."referrals" ADD "field_request_id" uuid`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "referrals"."referrals" DROP COLUMN "field_request_id"`);
    await queryRunner.query(`ALTER TABLE "referrals"."referrals" DROP COLUMN "operation_id"`);
    await queryRunner.query(`DROP TABLE "referrals"."operations"`);
    await queryRunner.query(`DROP TABLE "referrals"."operation_shifts"`);
    await queryRunner.query(`DROP TABLE "referrals"."operation_participants"`);
    await queryRunner.query(`DROP TABLE "referrals"."field_requests"`);
    await queryRunner.query(`DROP TABLE "referrals"."encounter_tallies"`);
    await queryRunner.query(`DROP TABLE "referrals"."directory_members"`);
  }
}
