import { personOf, ProblemError, type Person, type Principal } from '@samverkan/shared';
import type { EntityManager, SelectQueryBuilder } from 'typeorm';
import { DirectoryMemberEntity, NotificationEntity } from '../entities';
import { NotificationProblems } from '../domain/errors';
import type { components } from '../generated/openapi';
import type { NotificationsContext } from '../services/context';
import { cancelEscalations } from '../services/escalations';
import { inboxCursor, notificationView, type NotificationView } from '../services/views';

type Schemas = components['schemas'];
export type NotificationCounts = Schemas['NotificationCounts'];

export interface ListQuery {
  state?: Schemas['NotificationStateFilter'];
  kind?: Schemas['NotificationKind'];
  severity?: Schemas['Severity'];
  unit?: string;
  since?: string;
  cursor?: string;
  limit?: number;
}

type Action = 'read' | 'acknowledge' | 'archive';

/**
 * The in-app inbox: a person's own notifications and nothing else. Every query is scoped to the
 * caller as a person — the organisation its issuer spoke for and the subject, never the subject
 * alone; someone else's notification is 404 exactly like one that does not exist.
 */
export function createInboxService(ctx: NotificationsContext) {
  const repo = (tx?: EntityManager) =>
    (tx ?? ctx.dataSource.manager).getRepository(NotificationEntity);

  function applyFilters(
    qb: SelectQueryBuilder<NotificationEntity>,
    q: Omit<ListQuery, 'cursor' | 'limit'>,
  ): SelectQueryBuilder<NotificationEntity> {
    switch (q.state) {
      case 'unread':
        qb.andWhere('n.read_at IS NULL AND n.archived_at IS NULL');
        break;
      case 'read':
        qb.andWhere('n.read_at IS NOT NULL AND n.archived_at IS NULL');
        break;
      case 'unacknowledged':
        qb.andWhere('n.requires_ack AND n.acknowledged_at IS NULL AND n.archived_at IS NULL');
        break;
      case 'acknowledged':
        qb.andWhere('n.acknowledged_at IS NOT NULL AND n.archived_at IS NULL');
        break;
      case 'archived':
        qb.andWhere('n.archived_at IS NOT NULL');
        break;
      case undefined:
        qb.andWhere('n.archived_at IS NULL');
        break;
    }
    if (q.kind) {
      qb.andWhere('n.kind = :kind', { kind: q.kind });
    }
    if (q.severity) {
      qb.andWhere('n.severity = :severity', { severity: q.severity });
    }
    if (q.unit) {
      qb.andWhere('n.unit_id = :unit', { unit: q.unit });
    }
    if (q.since) {
      qb.andWhere('n.created_at >= :since', { since: new Date(q.since) });
    }
    return qb;
  }

  const members = ctx.dataSource.getRepository(DirectoryMemberEntity).metadata.tablePath;
  /**
   * Only the person's own rows, and of those only the ones of units the directory still lists
   * them in: a member who is removed stops seeing the unit's notifications (and cannot
   * acknowledge them) as soon as the directory's event arrives. A notification's unit is the one
   * through which the person was a recipient, always of the person's own organisation.
   */
  const current = (alias: string) =>
    `(${alias}.unit_id IS NULL OR EXISTS (SELECT 1 FROM ${members} m
       WHERE m.unit_id = ${alias}.unit_id AND m.user_id = ${alias}.user_id AND m.active))`;
  const PERSON = `n.user_organisation_id = :personOrg AND n.user_id = :personSub AND ${current('n')}`;
  const personParams = (person: Person) => ({
    personOrg: person.organisationId,
    personSub: person.userId,
  });
  /** The person's notification with this id, if they may see it now. */
  async function findOwn(
    person: Person,
    id: string,
    tx?: EntityManager,
  ): Promise<NotificationEntity | null> {
    const qb = repo(tx).createQueryBuilder('n');
    if (tx) {
      qb.setLock('pessimistic_write', undefined, ['n']);
    }
    return qb.where(`n.id = :id AND ${PERSON}`, { id, ...personParams(person) }).getOne();
  }

  async function counts(person: Person, tx?: EntityManager): Promise<NotificationCounts> {
    const [row] = (await repo(tx)
      .createQueryBuilder('n')
      .select('count(*) FILTER (WHERE n.read_at IS NULL)::int', 'unread')
      .addSelect(
        'count(*) FILTER (WHERE n.requires_ack AND n.acknowledged_at IS NULL)::int',
        'unacknowledged',
      )
      .addSelect(
        "count(*) FILTER (WHERE n.read_at IS NULL AND n.severity = 'critical')::int",
        'critical',
      )
      .addSelect("count(*) FILTER (WHERE n.read_at IS NULL AND n.severity = 'high')::int", 'high')
      .addSelect(
        "count(*) FILTER (WHERE n.read_at IS NULL AND n.severity = 'normal')::int",
        'normal',
      )
      .where(`${PERSON} AND n.archived_at IS NULL`, personParams(person))
      .getRawMany()) as Array<{
      unread: number;
      unacknowledged: number;
      critical: number;
      high: number;
      normal: number;
    }>;
    return {
      unread: row!.unread,
      unacknowledged: row!.unacknowledged,
      unreadBySeverity: { critical: row!.critical, high: row!.high, normal: row!.normal },
    };
  }

  /** The caller's notification, or 404 (a try at someone else's is audited as denied). */
  async function own(
    principal: Principal,
    id: string,
    action: string,
    tx: EntityManager,
  ): Promise<NotificationEntity> {
    const row = await findOwn(personOf(principal), id, tx);
    if (row) {
      return row;
    }
    if (!(await repo(tx).existsBy({ id }))) {
      throw new ProblemError(NotificationProblems.notificationNotFound);
    }
    // Someone else's (or of a unit the person has left): recorded outside the transaction that
    // is about to roll back.
    throw new NotOwnError(action);
  }

  async function act(principal: Principal, id: string, action: Action): Promise<NotificationView> {
    const target = { action: `notification.${action}`, objectType: 'notification', objectId: id };
    try {
      const view = await ctx.pipeline.transact(principal, target, async (tx) => {
        const row = await own(principal, id, target.action, tx);
        const now = new Date();
        if (action === 'archive' && row.requiresAck && !row.acknowledgedAt) {
          throw new ProblemError(
            NotificationProblems.needsAcknowledgement,
            'Acknowledge this critical notification before archiving it.',
          );
        }
        row.seenAt ??= now;
        row.readAt ??= now;
        if (action === 'acknowledge') {
          row.acknowledgedAt ??= now;
          if (row.requiresAck) {
            await cancelEscalations(tx, row.objectType, row.objectId);
          }
        }
        if (action === 'archive') {
          row.archivedAt ??= now;
        }
        await tx.save(NotificationEntity, row);
        await ctx.feed.signal(tx, [personOf(principal)]);
        return { result: notificationView(row), events: [] };
      });
      ctx.feed.wake([personOf(principal)]);
      return view;
    } catch (err) {
      if (err instanceof NotOwnError) {
        return ctx.pipeline.deny(
          principal,
          target,
          new ProblemError(NotificationProblems.notificationNotFound),
        );
      }
      throw err;
    }
  }

  return {
    counts,

    async list(principal: Principal, q: ListQuery): Promise<Schemas['NotificationPage']> {
      const limit = q.limit ?? 50;
      const qb = applyFilters(
        repo()
          .createQueryBuilder('n')
          .where(PERSON, personParams(personOf(principal))),
        q,
      );
      const after = inboxCursor.decode(q.cursor);
      if (after) {
        qb.andWhere('n.seq < :after', { after: after.seq });
      }
      const rows = await qb
        .orderBy('n.seq', 'DESC')
        .take(limit + 1)
        .getMany();
      const page = rows.slice(0, limit);
      return {
        items: page.map(notificationView),
        nextCursor:
          rows.length > limit ? inboxCursor.encode({ seq: page[page.length - 1]!.seq }) : null,
      };
    },

    async get(principal: Principal, id: string): Promise<NotificationView> {
      const row = await findOwn(personOf(principal), id);
      if (!row) {
        if (await repo().existsBy({ id })) {
          await ctx.audit.append({
            actor: principal,
            action: 'notification.read',
            objectType: 'notification',
            objectId: id,
            outcome: 'denied',
            detail: { refused: NotificationProblems.notificationNotFound.code },
          });
        }
        throw new ProblemError(NotificationProblems.notificationNotFound);
      }
      return notificationView(row);
    },

    act,

    /** Marks several of the caller's notifications read (and seen), or only seen. */
    async mark(
      principal: Principal,
      body: Schemas['BulkRead'],
      state: 'read' | 'seen',
    ): Promise<Schemas['BulkResult']> {
      if (!body.ids && body.all !== true) {
        throw new ProblemError(
          NotificationProblems.bulkTargetRequired,
          'Give the ids to mark, or all: true (with optional filters).',
        );
      }
      const updated = await ctx.pipeline.transact(
        principal,
        { action: `notification.${state}_bulk`, objectType: 'notification', objectId: null },
        async (tx) => {
          const qb = tx
            .createQueryBuilder()
            .update(NotificationEntity)
            .set(
              state === 'read'
                ? { readAt: () => 'now()', seenAt: () => 'coalesce(seen_at, now())' }
                : { seenAt: () => 'now()' },
            )
            .where(
              `user_organisation_id = :personOrg AND user_id = :personSub AND ${current('"notifications"')}
               AND ${state === 'read' ? 'read_at' : 'seen_at'} IS NULL`,
              personParams(personOf(principal)),
            );
          if (body.ids) {
            qb.andWhere('id = ANY(:ids)', { ids: body.ids });
          }
          if (body.kind) {
            qb.andWhere('kind = :kind', { kind: body.kind });
          }
          if (body.severity) {
            qb.andWhere('severity = :severity', { severity: body.severity });
          }
          if (body.unit) {
            qb.andWhere('unit_id = :unit', { unit: body.unit });
          }
          if (body.before) {
            qb.andWhere('created_at < :before', { before: new Date(body.before) });
          }
          const result = await qb.execute();
          await ctx.feed.signal(tx, [personOf(principal)]);
          return { result: result.affected ?? 0, events: [] };
        },
      );
      ctx.feed.wake([personOf(principal)]);
      return { updated };
    },

    /** The live stream's reads: what is new after a `seq`, and the newest `seq`. */
    async after(person: Person, seq: string, limit: number): Promise<NotificationEntity[]> {
      return repo()
        .createQueryBuilder('n')
        .where(`${PERSON} AND n.seq > :seq AND n.archived_at IS NULL`, {
          ...personParams(person),
          seq,
        })
        .orderBy('n.seq', 'ASC')
        .take(limit)
        .getMany();
    },

    async latestSeq(person: Person): Promise<string> {
      const [row] = (await repo()
        .createQueryBuilder('n')
        .select('coalesce(max(n.seq), 0)::text', 'seq')
        .where(PERSON, personParams(person))
        .getRawMany()) as Array<{ seq: string }>;
      return row!.seq;
    },
  };
}

class NotOwnError extends Error {
  constructor(readonly action: string) {
    super('not the caller’s notification');
  }
}

export type InboxService = ReturnType<typeof createInboxService>;
