import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Notifications and preferences belong to a person — the organisation and the subject — not to
 * a subject alone, which a second identity provider could assert too (issue 12).
 *
 * Existing rows: a notification was made for a member of its unit, so its person's organisation
 * is the unit's (from the directory read model); one without a known unit cannot be attributed
 * and is dropped (it holds no personal data, only that something happened). A preference row
 * was written by whoever held a token with that subject, so its owner is not known for sure: it
 * is kept for the one organisation in which the subject is a member, and dropped where that is
 * ambiguous or unknown — the person then has the default channels, and critical kinds arrive in
 * the app whatever a preference says.
 */
export class PersonIsOrganisationAndSubject1795600000000 implements MigrationInterface {
  name = 'PersonIsOrganisationAndSubject1795600000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE "notifications"."notifications" ADD "user_organisation_id" uuid`,
    );
    await queryRunner.query(
      `UPDATE "notifications"."notifications" n SET user_organisation_id = u.organisation_id
         FROM "notifications"."directory_units" u WHERE u.unit_id = n.unit_id`,
    );
    await queryRunner.query(
      `DELETE FROM "notifications"."notifications" WHERE user_organisation_id IS NULL`,
    );
    await queryRunner.query(
      `ALTER TABLE "notifications"."notifications" ALTER COLUMN "user_organisation_id" SET NOT NULL`,
    );
    await queryRunner.query(
      `ALTER TABLE "notifications"."notifications" DROP CONSTRAINT "notifications_event_user_kind_uq"`,
    );
    await queryRunner.query(`DROP INDEX "notifications"."notifications_user_seq_idx"`);
    await queryRunner.query(
      `ALTER TABLE "notifications"."notifications" ADD CONSTRAINT "notifications_event_person_kind_uq"
         UNIQUE ("event_id", "user_organisation_id", "user_id", "kind")`,
    );
    await queryRunner.query(
      `CREATE INDEX "notifications_person_seq_idx" ON "notifications"."notifications" ("user_organisation_id", "user_id", "seq")`,
    );

    await queryRunner.query(
      `ALTER TABLE "notifications"."notification_preferences" ADD "user_organisation_id" uuid`,
    );
    await queryRunner.query(
      `UPDATE "notifications"."notification_preferences" p SET user_organisation_id = o.organisation_id
         FROM (SELECT m.user_id, min(u.organisation_id::text)::uuid AS organisation_id
                 FROM "notifications"."directory_members" m
                 JOIN "notifications"."directory_units" u ON u.unit_id = m.unit_id
                WHERE m.active
                GROUP BY m.user_id
               HAVING count(DISTINCT u.organisation_id) = 1) o
        WHERE o.user_id = p.user_id`,
    );
    await queryRunner.query(
      `DELETE FROM "notifications"."notification_preferences" WHERE user_organisation_id IS NULL`,
    );
    await queryRunner.query(
      `ALTER TABLE "notifications"."notification_preferences" ALTER COLUMN "user_organisation_id" SET NOT NULL`,
    );
    await queryRunner.query(
      `ALTER TABLE "notifications"."notification_preferences" DROP CONSTRAINT "PK_4beeeb46feaf58d75e124c8ba58"`,
    );
    await queryRunner.query(
      `ALTER TABLE "notifications"."notification_preferences" ADD CONSTRAINT "PK_60458d0f5a97e5db0bf201e49cc"
         PRIMARY KEY ("user_organisation_id", "user_id", "kind")`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    // Back to one row per subject: where two organisations' people share a subject, the
    // earliest row stays.
    await queryRunner.query(
      `ALTER TABLE "notifications"."notification_preferences" DROP CONSTRAINT "PK_60458d0f5a97e5db0bf201e49cc"`,
    );
    await queryRunner.query(
      `DELETE FROM "notifications"."notification_preferences" p USING "notifications"."notification_preferences" q
        WHERE p.user_id = q.user_id AND p.kind = q.kind AND p.user_organisation_id > q.user_organisation_id`,
    );
    await queryRunner.query(
      `ALTER TABLE "notifications"."notification_preferences" DROP COLUMN "user_organisation_id"`,
    );
    await queryRunner.query(
      `ALTER TABLE "notifications"."notification_preferences" ADD CONSTRAINT "PK_4beeeb46feaf58d75e124c8ba58"
         PRIMARY KEY ("user_id", "kind")`,
    );

    await queryRunner.query(`DROP INDEX "notifications"."notifications_person_seq_idx"`);
    await queryRunner.query(
      `ALTER TABLE "notifications"."notifications" DROP CONSTRAINT "notifications_event_person_kind_uq"`,
    );
    await queryRunner.query(
      `DELETE FROM "notifications"."notifications" n USING "notifications"."notifications" m
        WHERE n.event_id = m.event_id AND n.user_id = m.user_id AND n.kind = m.kind AND n.seq > m.seq`,
    );
    await queryRunner.query(
      `ALTER TABLE "notifications"."notifications" DROP COLUMN "user_organisation_id"`,
    );
    await queryRunner.query(
      `ALTER TABLE "notifications"."notifications" ADD CONSTRAINT "notifications_event_user_kind_uq"
         UNIQUE ("event_id", "user_id", "kind")`,
    );
    await queryRunner.query(
      `CREATE INDEX "notifications_user_seq_idx" ON "notifications"."notifications" ("user_id", "seq")`,
    );
  }
}
