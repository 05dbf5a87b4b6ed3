import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * One-off (issue 12): referrals written before notes were sealed kept free text in clear — the
 * `justification` column and the `note` of a `declined` timeline entry. The retention purger now
 * clears both when it purges a referral's content; this clears them for the referrals whose
 * content was purged already (past retention), so no clear text outlives its content.
 *
 * Not undone by `down`: clear text that is gone stays gone. Old audit entries of sends kept the
 * justification in their `detail`; they are part of the hash chain and are left as they are
 * (docs/retention.md "Clear text written before sealed notes").
 */
export class ClearLegacyClearText1797000000005 implements MigrationInterface {
  name = 'ClearLegacyClearText1797000000005';

  public async up(queryRunner: QueryRunner): Promise<void> {
    const purged = (alias: string) =>
      `EXISTS (SELECT 1 FROM "referrals"."content_purges" p
                WHERE p.object_type = 'referral' AND p.object_id = ${alias})`;
    await queryRunner.query(
      `UPDATE "referrals"."referrals" r SET justification = NULL
        WHERE r.justification IS NOT NULL AND ${purged('r.id')}`,
    );
    await queryRunner.query(
      `UPDATE "referrals"."referral_events" e SET detail = e.detail - 'note'
        WHERE e.detail ? 'note' AND ${purged('e.referral_id')}`,
    );
  }

  public async down(): Promise<void> {
    // Nothing to restore.
  }
}
