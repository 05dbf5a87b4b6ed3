import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Room on each outbox page for its rows' marks (issue 15): the relay marks every event published
 * with one UPDATE (shared/src/events/outbox-relay.ts). On a full page (fillfactor 100) the new
 * version goes to another page and the WAL holds the whole row; with room left on the page it
 * stays beside the old one and the WAL holds only the bytes that changed — measured with
 * pg_walinspect on rows of a send's event: ~810 B of WAL per mark with the page full, ~380 B
 * with fillfactor 60. Pages written from now on keep the room; older ones are left as they are.
 */
export class OutboxRoomForMarks1797090000000 implements MigrationInterface {
  name = 'OutboxRoomForMarks1797090000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "referrals"."outbox" SET (fillfactor = 60)`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "referrals"."outbox" RESET (fillfactor)`);
  }
}
