import { MigrationInterface, QueryRunner } from 'typeorm';

export class OnCallShifts1796500001000 implements MigrationInterface {
  name = 'OnCallShifts1796500001000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "referrals"."on_call_shifts" ("shift_id" uuid NOT NULL, "unit_id" uuid NOT NULL, "user_id" character varying(200) NOT NULL, "starts_at" TIMESTAMP WITH TIME ZONE NOT NULL, "ends_at" TIMESTAMP WITH TIME ZONE NOT NULL, "deleted" boolean NOT NULL, CONSTRAINT "PK_5af60c154668d643b34f6d03678" PRIMARY KEY ("shift_id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "on_call_shifts_user_idx" ON "referrals"."on_call_shifts"  ("user_id", "starts_at") `,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "referrals"."on_call_shifts_user_idx"`);
    await queryRunner.query(`DROP TABLE "referrals"."on_call_shifts"`);
  }
}
