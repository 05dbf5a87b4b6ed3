import { personOf, type Person, type Principal } from '@samverkan/shared';
import type { NotificationEntity } from '../entities';
import type { components } from '../generated/openapi';
import { inboxCursor, notificationView, type NotificationView } from '../services/views';
import type { InboxAccess } from './access';
import type { CountsRow, InboxFilters, InboxRepository } from './repository';

type Schemas = components['schemas'];
export type NotificationCounts = Schemas['NotificationCounts'];

export interface ListQuery extends InboxFilters {
  cursor?: string;
  limit?: number;
}

const countsView = (row: CountsRow): NotificationCounts => ({
  unread: row.unread,
  unacknowledged: row.unacknowledged,
  unreadBySeverity: { critical: row.critical, high: row.high, normal: row.normal },
});

/** The inbox's reads: a person's own notifications and nothing else (access.ts). */
export function createInboxQueries(repo: InboxRepository, access: InboxAccess) {
  return {
    async counts(person: Person): Promise<NotificationCounts> {
      return countsView(await repo.counts(person));
    },

    async list(principal: Principal, q: ListQuery): Promise<Schemas['NotificationPage']> {
      const limit = q.limit ?? 50;
      const after = inboxCursor.decode(q.cursor);
      const rows = await repo.page(personOf(principal), q, after?.seq, limit + 1);
      const page = rows.slice(0, limit);
      return {
        items: page.map(notificationView),
        nextCursor:
          rows.length > limit ? inboxCursor.encode({ seq: page[page.length - 1]!.seq }) : null,
      };
    },

    async get(principal: Principal, id: string): Promise<NotificationView> {
      return notificationView(await access.readable(principal, id, 'notification.read'));
    },

    /** The live stream's reads: what is new after a `seq` with the counts, and the newest `seq`. */
    async streamUpdate(
      person: Person,
      seq: string,
      limit: number,
    ): Promise<{ rows: NotificationEntity[]; counts: NotificationCounts }> {
      const { rows, counts } = await repo.streamUpdate(person, seq, limit);
      return { rows, counts: countsView(counts) };
    },

    latestSeq(person: Person): Promise<string> {
      return repo.latestSeq(person);
    },
  };
}
