import type { Person } from '@samverkan/shared';
import type { DataSource, EntityManager, SelectQueryBuilder } from 'typeorm';
import { DirectoryMemberEntity, NotificationEntity } from '../entities';
import type { InboxState } from '../domain/inbox';
import type { components } from '../generated/openapi';

type Schemas = components['schemas'];

/** The filters of an inbox page. */
export interface InboxFilters {
  state?: Schemas['NotificationStateFilter'];
  kind?: Schemas['NotificationKind'];
  severity?: Schemas['Severity'];
  unit?: string;
  since?: string;
}

/** The filters of a bulk mark. */
export type BulkFilters = Pick<
  Schemas['BulkRead'],
  'ids' | 'kind' | 'severity' | 'unit' | 'before'
>;

export interface CountsRow {
  unread: number;
  unacknowledged: number;
  critical: number;
  high: number;
  normal: number;
}

/**
 * Every statement of the in-app inbox on the `notifications` table. Each is scoped to one person
 * — the organisation its issuer spoke for and the subject, never the subject alone — and to the
 * units the directory still lists them in: a member who is removed stops seeing the unit's
 * notifications (and cannot act on them) as soon as the directory's event arrives. A
 * notification's unit is the one through which the person was a recipient, always of the
 * person's own organisation. Nothing here decides anything (domain/inbox.ts does).
 */
export function createInboxRepository(ds: DataSource) {
  const repo = (tx?: EntityManager) => (tx ?? ds.manager).getRepository(NotificationEntity);
  const members = ds.getRepository(DirectoryMemberEntity).metadata.tablePath;
  const current = (alias: string) =>
    `(${alias}.unit_id IS NULL OR EXISTS (SELECT 1 FROM ${members} m
       WHERE m.unit_id = ${alias}.unit_id AND m.user_id = ${alias}.user_id AND m.active))`;
  const PERSON = `n.user_organisation_id = :personOrg AND n.user_id = :personSub AND ${current('n')}`;
  /**
   * What the counts count: not archived, and unread or waiting for an acknowledgement (every
   * count is of some of these) — the predicate of the index they read (migration
   * 1797090200000), so that they grow with what is outstanding, not with all a person kept.
   */
  const COUNTS = `count(*) FILTER (WHERE n.read_at IS NULL)::int AS unread,
       count(*) FILTER (WHERE n.requires_ack AND n.acknowledged_at IS NULL)::int AS unacknowledged,
       count(*) FILTER (WHERE n.read_at IS NULL AND n.severity = 'critical')::int AS critical,
       count(*) FILTER (WHERE n.read_at IS NULL AND n.severity = 'high')::int AS high,
       count(*) FILTER (WHERE n.read_at IS NULL AND n.severity = 'normal')::int AS normal`;
  const OUTSTANDING = `n.archived_at IS NULL
       AND (n.read_at IS NULL OR (n.requires_ack AND n.acknowledged_at IS NULL))`;
  const personParams = (person: Person) => ({
    personOrg: person.organisationId,
    personSub: person.userId,
  });

  function applyFilters(qb: SelectQueryBuilder<NotificationEntity>, q: InboxFilters) {
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

  return {
    /** One page, newest first: `limit` rows with a `seq` below `beforeSeq` (if given). */
    page(
      person: Person,
      q: InboxFilters,
      beforeSeq: string | undefined,
      limit: number,
    ): Promise<NotificationEntity[]> {
      const qb = applyFilters(
        repo().createQueryBuilder('n').where(PERSON, personParams(person)),
        q,
      );
      if (beforeSeq !== undefined) {
        qb.andWhere('n.seq < :after', { after: beforeSeq });
      }
      return qb.orderBy('n.seq', 'DESC').take(limit).getMany();
    },

    /** The person's notification with this id, if they may see it now. */
    own(person: Person, id: string): Promise<NotificationEntity | null> {
      return repo()
        .createQueryBuilder('n')
        .where(`n.id = :id AND ${PERSON}`, { id, ...personParams(person) })
        .getOne();
    },

    /** The same, locked for the rest of `tx` (an action on it). */
    lockOwn(tx: EntityManager, person: Person, id: string): Promise<NotificationEntity | null> {
      return repo(tx)
        .createQueryBuilder('n')
        .setLock('pessimistic_write', undefined, ['n'])
        .where(`n.id = :id AND ${PERSON}`, { id, ...personParams(person) })
        .getOne();
    },

    /** Whether a notification with this id exists at all (whoever's it is). */
    exists(id: string, tx?: EntityManager): Promise<boolean> {
      return repo(tx).existsBy({ id });
    },

    async counts(person: Person): Promise<CountsRow> {
      const [row] = (await ds.query(
        `SELECT ${COUNTS} FROM ${repo().metadata.tablePath} n
          WHERE n.user_organisation_id = $1 AND n.user_id = $2 AND ${current('n')}
            AND ${OUTSTANDING}`,
        [person.organisationId, person.userId],
      )) as CountsRow[];
      return row!;
    },

    /**
     * The live stream's read after a wake-up, in one statement: what is new after a `seq`
     * (oldest first, as entities are), and the counts, as of one snapshot.
     */
    async streamUpdate(
      person: Person,
      seq: string,
      limit: number,
    ): Promise<{ rows: NotificationEntity[]; counts: CountsRow }> {
      const table = repo().metadata.tablePath;
      const mine = `n.user_organisation_id = $1 AND n.user_id = $2 AND ${current('n')}
        AND n.archived_at IS NULL`;
      // The counts' row joined with each new one, or alone (the new ones' columns null).
      const rows = (await ds.query(
        `WITH c AS (
           SELECT ${COUNTS} FROM ${table} n
            WHERE n.user_organisation_id = $1 AND n.user_id = $2 AND ${current('n')}
              AND ${OUTSTANDING}),
         r AS (
           SELECT n.seq, n.id, n.user_organisation_id, n.user_id, n.unit_id, n.kind, n.severity,
                  n.title, n.body, n.link, n.object_type, n.object_id, n.event_id,
                  n.requires_ack, n.channels, n.created_at, n.seen_at, n.read_at,
                  n.acknowledged_at, n.archived_at
             FROM ${table} n WHERE ${mine} AND n.seq > $3 ORDER BY n.seq LIMIT $4)
         SELECT c.*, r.seq::text AS seq, r.id, r.user_organisation_id, r.user_id, r.unit_id,
                r.kind, r.severity, r.title, r.body, r.link, r.object_type, r.object_id,
                r.event_id, r.requires_ack, r.channels, r.created_at, r.seen_at, r.read_at,
                r.acknowledged_at, r.archived_at
           FROM c LEFT JOIN r ON true ORDER BY r.seq`,
        [person.organisationId, person.userId, seq, limit],
      )) as Array<CountsRow & Record<string, unknown>>;
      const first = rows[0]!;
      return {
        counts: {
          unread: first.unread,
          unacknowledged: first.unacknowledged,
          critical: first.critical,
          high: first.high,
          normal: first.normal,
        },
        rows: rows
          .filter((r) => r.seq !== null)
          .map((r) =>
            Object.assign(new NotificationEntity(), {
              seq: r.seq as string,
              id: r.id as string,
              userOrganisationId: r.user_organisation_id as string,
              userId: r.user_id as string,
              unitId: r.unit_id as string | null,
              kind: r.kind as string,
              severity: r.severity as string,
              title: r.title as string,
              body: r.body as string,
              link: r.link as string,
              objectType: r.object_type as string,
              objectId: r.object_id as string,
              eventId: r.event_id as string,
              requiresAck: r.requires_ack as boolean,
              channels: r.channels as string[],
              createdAt: r.created_at as Date,
              seenAt: r.seen_at as Date | null,
              readAt: r.read_at as Date | null,
              acknowledgedAt: r.acknowledged_at as Date | null,
              archivedAt: r.archived_at as Date | null,
            }),
          ),
      };
    },

    async latestSeq(person: Person): Promise<string> {
      const [row] = (await repo()
        .createQueryBuilder('n')
        .select('coalesce(max(n.seq), 0)::text', 'seq')
        .where(PERSON, personParams(person))
        .getRawMany()) as Array<{ seq: string }>;
      return row!.seq;
    },

    // --- inside a write's transaction ---------------------------------------------------------

    /** Writes the times an action decided (domain/inbox.ts). */
    async saveState(tx: EntityManager, id: string, state: InboxState): Promise<void> {
      await repo(tx).update(
        { id },
        {
          seenAt: state.seenAt,
          readAt: state.readAt,
          acknowledgedAt: state.acknowledgedAt,
          archivedAt: state.archivedAt,
        },
      );
    },

    /** Marks the person's matching notifications read (and seen), or only seen; how many. */
    async mark(
      tx: EntityManager,
      person: Person,
      filters: BulkFilters,
      state: 'read' | 'seen',
    ): Promise<number> {
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
          personParams(person),
        );
      if (filters.ids) {
        qb.andWhere('id = ANY(:ids)', { ids: filters.ids });
      }
      if (filters.kind) {
        qb.andWhere('kind = :kind', { kind: filters.kind });
      }
      if (filters.severity) {
        qb.andWhere('severity = :severity', { severity: filters.severity });
      }
      if (filters.unit) {
        qb.andWhere('unit_id = :unit', { unit: filters.unit });
      }
      if (filters.before) {
        qb.andWhere('created_at < :before', { before: new Date(filters.before) });
      }
      return (await qb.execute()).affected ?? 0;
    },
  };
}

export type InboxRepository = ReturnType<typeof createInboxRepository>;
