import { randomUUID } from 'node:crypto';
import { AuditEntryEntity, keysetCursor, poolQuery } from '@samverkan/shared';
import type { EntityManager } from 'typeorm';
import {
  ReferralBoxCountEntity,
  ReferralCopyEntryEntity,
  ReferralEntity,
  ReferralEventEntity,
  type ReferralMessageEntity,
} from '../entities';
import type { ReferralsContext } from '../services/context';
import { createMessagesRepository } from '../services/messages.repository';
import { boxCountsStatement, boxPageStatement, type ListedColumn } from './box-page';
import type { ReferralListQuery } from './model';

/** The audited actions that open a referral's content or record: what its access log lists. */
export const ACCESS_LOG_READS = [
  'referral.envelope_read',
  'referral.justification_read',
  'referral.messages_read',
  'referral.read',
  'referral.timeline_read',
];
export const MAX_ACCESS_LOG_ENTRIES = 1000;

/**
 * The referral aggregate's storage: every statement on `referrals` and `referral_events` that the
 * referral commands and queries make (the send's single statement is built in
 * commands/send-referral.ts on the write pipeline); its sealed notes are the message thread's
 * (`referral_messages`, whose one owner is services/messages.repository.ts). Nothing here decides
 * anything.
 */
export function createReferralsRepository(ctx: ReferralsContext) {
  const repo = ctx.dataSource.getRepository(ReferralEntity);
  const counts = ctx.dataSource.getRepository(ReferralBoxCountEntity).metadata.tablePath;
  const copyEntries = ctx.dataSource.getRepository(ReferralCopyEntryEntity).metadata.tablePath;
  /** What a box's page reads of a referral: every column but the envelope. */
  const listed = listedColumns(repo.metadata.columns);
  const boxTables = { referrals: repo.metadata.tablePath, copyEntries };
  const thread = createMessagesRepository(ctx.dataSource);
  const countsSql = boxCountsStatement(counts);

  return {
    /** the schema the service's tables live in */
    schema: repo.metadata.schema ?? 'referrals',

    findById(id: string): Promise<ReferralEntity | null> {
      return repo.findOneBy({ id });
    },

    findByIdIn(tx: EntityManager, id: string): Promise<ReferralEntity | null> {
      return tx.findOneBy(ReferralEntity, { id });
    },

    /** The row, locked for the rest of `tx` (a lifecycle action or a forward). */
    lockById(tx: EntityManager, id: string): Promise<ReferralEntity> {
      return tx.findOneOrFail(ReferralEntity, {
        where: { id },
        lock: { mode: 'pessimistic_write' },
      });
    },

    create(tx: EntityManager, values: Partial<ReferralEntity>): ReferralEntity {
      return tx.create(ReferralEntity, values);
    },

    async insert(tx: EntityManager, entity: ReferralEntity): Promise<ReferralEntity> {
      await tx.insert(ReferralEntity, entity as never);
      return tx.findOneByOrFail(ReferralEntity, { id: entity.id });
    },

    async save(tx: EntityManager, referral: ReferralEntity): Promise<void> {
      await tx.save(ReferralEntity, referral);
    },

    /** One row of the referral's timeline (units and times, never people). */
    async appendTimeline(
      tx: EntityManager,
      referralId: string,
      event: string,
      actorUnitId: string | null,
      detail = {},
      at = new Date(),
    ): Promise<void> {
      await tx.insert(ReferralEventEntity, {
        id: randomUUID(),
        referralId,
        at,
        event,
        actorUnitId,
        detail,
      });
    },

    /** A message of `referralId`'s thread by id (a sealed note: justification or decline note). */
    findMessage(referralId: string, id: string): Promise<ReferralMessageEntity | null> {
      return thread.find(referralId, id);
    },

    /**
     * The referral whose acknowledgement deadline passed longest ago and that nobody has escalated
     * yet, locked for `tx`; one replica's claim is skipped by the others (SKIP LOCKED).
     */
    claimOverdue(tx: EntityManager, now: Date): Promise<ReferralEntity | null> {
      return tx
        .getRepository(ReferralEntity)
        .createQueryBuilder('r')
        .setLock('pessimistic_write')
        .setOnLocked('skip_locked')
        .where("r.status = 'sent' AND r.escalation_level = 0 AND r.acknowledge_by <= :now", { now })
        .orderBy('r.acknowledge_by', 'ASC')
        .take(1)
        .getOne();
    },

    messageExists(tx: EntityManager, id: string): Promise<boolean> {
      return thread.exists(tx, id);
    },

    async insertMessage(
      tx: EntityManager,
      message: {
        id: string;
        referralId: string;
        senderUnitId: string;
        envelope: Record<string, unknown>;
        envelopeSize: number;
      },
    ): Promise<void> {
      await thread.insertNote(tx, message);
    },

    /** One page of a box (newest first), `limit + 1` rows so that the caller knows if more follow. */
    async listPage(units: string[], query: ReferralListQuery): Promise<ReferralEntity[]> {
      const after = query.cursor ? decodeCursor(query.cursor) : undefined;
      const page = boxPageStatement(boxTables, listed, units, query, after);
      // Straight on the pool, as the entity's own properties: no query builder, no hydration
      // (they cost several times the statement on a page of 25; bench/referrals-scale).
      return poolQuery<ReferralEntity>(ctx.dataSource, page.sql, page.params, {
        prepare: page.prepare,
      });
    },

    /** The cursor of the page that follows `last`. */
    cursorAfter(last: ReferralEntity): string {
      return LIST_CURSOR.encode({ c: last.createdAt.toISOString(), i: last.id });
    },

    /** A box's referrals by status, and how many acute ones wait. */
    async countsByStatus(
      box: 'inbox' | 'outbox',
      unit: string,
    ): Promise<Array<{ status: string; n: number; acute: number }>> {
      // The counters the triggers of migration 1797053000000-ReferralRollups keep in the
      // transaction of each change: a handful of rows per unit, however full the box. Prepared,
      // straight on the pool, as the page is.
      return poolQuery<{ status: string; n: number; acute: number }>(
        ctx.dataSource,
        countsSql,
        [unit, box],
        { prepare: true },
      );
    },

    timelineOf(referralId: string): Promise<ReferralEventEntity[]> {
      return ctx.dataSource
        .getRepository(ReferralEventEntity)
        .find({ where: { referralId }, order: { at: 'ASC' } });
    },

    /** The referral's content reads and every refusal on it, in chain order. */
    accessLogEntries(referralId: string): Promise<AuditEntryEntity[]> {
      return ctx.dataSource
        .getRepository(AuditEntryEntity)
        .createQueryBuilder('a')
        .where('a.object_type = :type AND a.object_id = :id', {
          type: 'referral',
          id: referralId,
        })
        .andWhere('(a.action IN (:...reads) OR a.outcome = :denied)', {
          reads: ACCESS_LOG_READS,
          denied: 'denied',
        })
        .orderBy('a.seq', 'ASC')
        .take(MAX_ACCESS_LOG_ENTRIES)
        .getMany();
    },
  };
}

export type ReferralsRepository = ReturnType<typeof createReferralsRepository>;

/** Every column of the referral but its envelope (a list never shows one), by property. */
export function listedColumns(
  columns: ReadonlyArray<{ databaseName: string; propertyName: string }>,
): ListedColumn[] {
  return columns
    .filter((c) => c.propertyName !== 'envelope')
    .map((c) => ({ column: c.databaseName, property: c.propertyName }));
}

/** The box's keyset cursor (shared/src/http/cursor.ts): the last row's (created_at, id). */
const LIST_CURSOR = keysetCursor({ c: 'datetime', i: 'uuid' });

/** A cursor the list gave out, or the 400 problem on anything else. */
function decodeCursor(cursor: string): { c: string; i: string } {
  return LIST_CURSOR.decode(cursor)!;
}
