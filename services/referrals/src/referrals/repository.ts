import { randomUUID } from 'node:crypto';
import { AuditEntryEntity, CommonProblems, ProblemError } from '@samverkan/shared';
import { Brackets, type EntityManager } from 'typeorm';
import { ReferralEntity, ReferralEventEntity, ReferralMessageEntity } from '../entities';
import type { ReferralsContext } from '../services/context';
import type { ReferralListQuery } from './model';

/** The audited actions that open a referral's content or record: what its access log lists. */
export const ACCESS_LOG_READS = [
  'referral.envelope_read',
  'referral.messages_read',
  'referral.read',
  'referral.timeline_read',
];
export const MAX_ACCESS_LOG_ENTRIES = 1000;

/**
 * The referral aggregate's storage: every statement on `referrals`, `referral_events` and
 * `referral_messages` that the referral commands and queries make (the send's single statement
 * is built in commands/send-referral.ts on the write pipeline). Nothing here decides anything.
 */
export function createReferralsRepository(ctx: ReferralsContext) {
  const repo = ctx.dataSource.getRepository(ReferralEntity);

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
    ): Promise<void> {
      await tx.insert(ReferralEventEntity, {
        id: randomUUID(),
        referralId,
        at: new Date(),
        event,
        actorUnitId,
        detail,
      });
    },

    messageExists(tx: EntityManager, id: string): Promise<boolean> {
      return tx.existsBy(ReferralMessageEntity, { id });
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
      await tx.insert(ReferralMessageEntity, { ...message, createdAt: new Date() } as never);
    },

    /** One page of a box (newest first), `limit + 1` rows so that the caller knows if more follow. */
    listPage(units: string[], query: ReferralListQuery): Promise<ReferralEntity[]> {
      const qb = repo
        .createQueryBuilder('r')
        .orderBy('r.created_at', 'DESC')
        .addOrderBy('r.id', 'DESC')
        .take(query.limit + 1);
      if (query.box === 'inbox') {
        qb.where(
          new Brackets((w) => {
            w.where('r.recipient_unit_id IN (:...units)', { units }).orWhere(
              'r.copy_unit_ids && CAST(:unitArray AS uuid[])',
              { unitArray: units },
            );
          }),
        );
      } else {
        qb.where('r.sender_unit_id IN (:...units)', { units });
      }
      if (query.status?.length) {
        qb.andWhere('r.status IN (:...status)', { status: query.status });
      }
      if (query.urgency) {
        qb.andWhere('r.urgency = :urgency', { urgency: query.urgency });
      }
      if (query.category) {
        qb.andWhere('r.category = :category', { category: query.category });
      }
      if (query.from) {
        qb.andWhere('r.created_at >= :from', { from: query.from });
      }
      if (query.to) {
        qb.andWhere('r.created_at < :to', { to: query.to });
      }
      if (query.cursor) {
        const after = decodeCursor(query.cursor);
        qb.andWhere('(r.created_at, r.id) < (:c, :i)', { c: after.c, i: after.i });
      }
      return qb.getMany();
    },

    /** The cursor of the page that follows `last`. */
    cursorAfter(last: ReferralEntity): string {
      return Buffer.from(JSON.stringify({ c: last.createdAt.toISOString(), i: last.id })).toString(
        'base64url',
      );
    },

    /** A box's referrals by status, and how many acute ones wait. */
    async countsByStatus(
      box: 'inbox' | 'outbox',
      unit: string,
    ): Promise<Array<{ status: string; n: number; acute: number }>> {
      const where =
        box === 'inbox'
          ? '(r.recipient_unit_id = $1 OR $1 = ANY(r.copy_unit_ids))'
          : 'r.sender_unit_id = $1';
      return (await ctx.dataSource.query(
        `SELECT r.status, count(*)::int AS n,
                count(*) FILTER (WHERE r.urgency = 'acute' AND r.status IN ('sent', 'received'))::int AS acute
           FROM ${repo.metadata.tablePath} r WHERE ${where} GROUP BY r.status`,
        [unit],
      )) as Array<{ status: string; n: number; acute: number }>;
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

function decodeCursor(cursor: string): { c: string; i: string } {
  try {
    const v = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as {
      c?: unknown;
      i?: unknown;
    };
    if (typeof v.c === 'string' && typeof v.i === 'string' && !Number.isNaN(Date.parse(v.c))) {
      return { c: v.c, i: v.i };
    }
  } catch {
    // fall through
  }
  throw new ProblemError(CommonProblems.validation, 'The cursor is not one this API gave out', {
    errors: [{ field: 'querystring.cursor', message: 'is not valid' }],
  });
}
