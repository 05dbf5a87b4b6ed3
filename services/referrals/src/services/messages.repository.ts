import { randomUUID } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import { ReferralEntity, ReferralEventEntity, ReferralMessageEntity } from '../entities';

/** A message as the thread stores it (the sealed envelope and its size; never plaintext). */
export interface ThreadMessage {
  id: string;
  referralId: string;
  senderUnitId: string;
  envelope: Record<string, unknown>;
  envelopeSize: number;
  createdAt: Date;
}

/**
 * The sealed message thread of a referral: the one owner of `referral_messages`' SQL (issue 15) —
 * the thread's messages, and the sealed notes a lifecycle action or a forward leaves in it (a
 * justification, a decline note), which the referral repository hands here. (The send's single
 * statement, commands/send-referral.ts, still writes its justification note itself.) Covered by
 * test/migrations.test.ts (describeRepositorySync).
 */
export function createMessagesRepository(dataSource: DataSource) {
  const messages = dataSource.getMetadata(ReferralMessageEntity).tablePath;
  const timeline = dataSource.getMetadata(ReferralEventEntity).tablePath;

  return {
    /** The thread, oldest first, at most `limit` messages. */
    thread(referralId: string, limit: number): Promise<ReferralMessageEntity[]> {
      return dataSource.getRepository(ReferralMessageEntity).find({
        where: { referralId },
        order: { createdAt: 'ASC', id: 'ASC' },
        take: limit,
      });
    },

    /** A message of `referralId`'s thread by id (a sealed note: justification or decline note). */
    find(referralId: string, id: string): Promise<ReferralMessageEntity | null> {
      return dataSource.getRepository(ReferralMessageEntity).findOneBy({ id, referralId });
    },

    /** Whether a message with this id exists, on any referral. */
    exists(tx: EntityManager, id: string): Promise<boolean> {
      return tx.existsBy(ReferralMessageEntity, { id });
    },

    /**
     * A sealed note as a message of the thread, without a timeline row of its own (the action
     * that leaves it records its own: `sent`, `declined`).
     */
    async insertNote(
      tx: EntityManager,
      note: Omit<ThreadMessage, 'createdAt'>,
      createdAt = new Date(),
    ): Promise<void> {
      await tx.query(
        `INSERT INTO ${messages} (id, referral_id, sender_unit_id, envelope, envelope_size, created_at)
         VALUES ($1, $2, $3, $4::jsonb, $5, $6)`,
        [
          note.id,
          note.referralId,
          note.senderUnitId,
          JSON.stringify(note.envelope),
          note.envelopeSize,
          createdAt,
        ],
      );
    },

    /**
     * The referral, locked for the rest of `tx`, so that a message cannot slip in beside a
     * concurrent withdraw or decline.
     */
    lockReferral(tx: EntityManager, id: string): Promise<ReferralEntity> {
      return tx.findOneOrFail(ReferralEntity, {
        where: { id },
        lock: { mode: 'pessimistic_write' },
      });
    },

    /**
     * The message and its `message_posted` timeline row, in one statement. False when a message
     * with this id exists (on this referral or another): nothing is written then.
     */
    async post(tx: EntityManager, message: ThreadMessage): Promise<boolean> {
      const rows = (await tx.query(
        `WITH message AS (
           INSERT INTO ${messages} (id, referral_id, sender_unit_id, envelope, envelope_size, created_at)
           VALUES ($1, $2, $3, $4::jsonb, $5, $6)
           ON CONFLICT (id) DO NOTHING
           RETURNING id),
         entry AS (
           INSERT INTO ${timeline} (id, referral_id, at, event, actor_unit_id, detail)
           SELECT $7, $2, $6, 'message_posted', $3, $8::jsonb FROM message
           RETURNING 1)
         SELECT count(*)::int AS n FROM entry`,
        [
          message.id,
          message.referralId,
          message.senderUnitId,
          JSON.stringify(message.envelope),
          message.envelopeSize,
          message.createdAt,
          randomUUID(),
          JSON.stringify({ messageId: message.id }),
        ],
      )) as Array<{ n: number }>;
      return (rows[0]?.n ?? 0) > 0;
    },
  };
}

export type MessagesRepository = ReturnType<typeof createMessagesRepository>;
