import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A webhook endpoint's creator as a person: token issuer and subject (issue 12). Rows written
 * before keep a null issuer and are shown as such.
 */
export class WebhookCreatorIssuer1797000000003 implements MigrationInterface {
  name = 'WebhookCreatorIssuer1797000000003';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE "notifications"."webhook_endpoints" ADD "created_by_issuer" character varying(500)`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE "notifications"."webhook_endpoints" DROP COLUMN "created_by_issuer"`,
    );
  }
}
