import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Devices of people with their public keys, their standing per unit, sealed key boxes, unit
 * recovery keys and seen DPoP proof ids (docs/architecture.md#keys-and-trust).
 */
export class DeviceKeys1796165068146 implements MigrationInterface {
  name = 'DeviceKeys1796165068146';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "directory"."device_proofs" ("jti" character varying(200) NOT NULL, "sig_kid" character varying(100) NOT NULL, "seen_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "PK_c128702029cefd91e5863d4dd15" PRIMARY KEY ("jti"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "device_proofs_seen_idx" ON "directory"."device_proofs"  ("seen_at") `,
    );
    await queryRunner.query(
      `CREATE TABLE "directory"."devices" ("id" uuid NOT NULL, "issuer" character varying(500) NOT NULL, "subject" character varying(200) NOT NULL, "organisation_id" uuid NOT NULL, "label" character varying(100) NOT NULL, "enc_kid" character varying(100) NOT NULL, "sig_kid" character varying(100) NOT NULL, "enc_jwk" jsonb NOT NULL, "sig_jwk" jsonb NOT NULL, "enrolled_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "PK_b1514758245c12daf43486dd1f0" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE UNIQUE INDEX "devices_enc_kid_key" ON "directory"."devices"  ("enc_kid") `,
    );
    await queryRunner.query(
      `CREATE UNIQUE INDEX "devices_sig_kid_key" ON "directory"."devices"  ("sig_kid") `,
    );
    await queryRunner.query(
      `CREATE INDEX "devices_person_idx" ON "directory"."devices"  ("issuer", "subject") `,
    );
    await queryRunner.query(
      `CREATE TABLE "directory"."device_units" ("device_id" uuid NOT NULL, "unit_id" uuid NOT NULL, "status" character varying(10) NOT NULL, "enrolled_at" TIMESTAMP WITH TIME ZONE NOT NULL, "approved_at" TIMESTAMP WITH TIME ZONE, "approved_by_issuer" character varying(500), "approved_by_subject" character varying(200), "approved_by_device" uuid, "binding" text, "revoked_at" TIMESTAMP WITH TIME ZONE, "revoked_by_issuer" character varying(500), "revoked_by_subject" character varying(200), "revocation_reason" character varying(500), CONSTRAINT "PK_f4d0be4908aef1b03ce5e6c0990" PRIMARY KEY ("device_id", "unit_id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "device_units_unit_status_idx" ON "directory"."device_units"  ("unit_id", "status") `,
    );
    await queryRunner.query(
      `CREATE TABLE "directory"."key_boxes" ("id" uuid NOT NULL, "unit_id" uuid NOT NULL, "holder_type" character varying(10) NOT NULL, "holder_id" character varying(100) NOT NULL, "box" text NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL, "created_by_issuer" character varying(500) NOT NULL, "created_by_subject" character varying(200) NOT NULL, CONSTRAINT "PK_d4432c78c8ac377ac33ff41dd0f" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "key_boxes_holder_idx" ON "directory"."key_boxes"  ("holder_id", "unit_id", "created_at") `,
    );
    await queryRunner.query(
      `CREATE TABLE "directory"."unit_recovery_keys" ("kid" character varying(100) NOT NULL, "unit_id" uuid NOT NULL, "jwk" jsonb NOT NULL, "binding" text NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL, "created_by_issuer" character varying(500) NOT NULL, "created_by_subject" character varying(200) NOT NULL, "replaced_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "PK_bf2f3364d3565a50896efa8c41f" PRIMARY KEY ("kid"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "unit_recovery_keys_unit_idx" ON "directory"."unit_recovery_keys"  ("unit_id", "created_at") `,
    );
    await queryRunner.query(
      `ALTER TABLE "directory"."device_units" ADD CONSTRAINT "FK_69f2ae152568a22071e5c734fbb" FOREIGN KEY ("device_id") REFERENCES "directory"."devices"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "directory"."device_units" ADD CONSTRAINT "FK_83126da6bd5fa834ec1247b834c" FOREIGN KEY ("unit_id") REFERENCES "directory"."units"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE "directory"."device_units" DROP CONSTRAINT "FK_83126da6bd5fa834ec1247b834c"`,
    );
    await queryRunner.query(
      `ALTER TABLE "directory"."device_units" DROP CONSTRAINT "FK_69f2ae152568a22071e5c734fbb"`,
    );
    await queryRunner.query(`DROP INDEX "directory"."unit_recovery_keys_unit_idx"`);
    await queryRunner.query(`DROP TABLE "directory"."unit_recovery_keys"`);
    await queryRunner.query(`DROP INDEX "directory"."key_boxes_holder_idx"`);
    await queryRunner.query(`DROP TABLE "directory"."key_boxes"`);
    await queryRunner.query(`DROP INDEX "directory"."device_units_unit_status_idx"`);
    await queryRunner.query(`DROP TABLE "directory"."device_units"`);
    await queryRunner.query(`DROP INDEX "directory"."devices_person_idx"`);
    await queryRunner.query(`DROP INDEX "directory"."devices_sig_kid_key"`);
    await queryRunner.query(`DROP INDEX "directory"."devices_enc_kid_key"`);
    await queryRunner.query(`DROP TABLE "directory"."devices"`);
    await queryRunner.query(`DROP INDEX "directory"."device_proofs_seen_idx"`);
    await queryRunner.query(`DROP TABLE "directory"."device_proofs"`);
  }
}
