import type { NotificationsContext } from '../services/context';
import { createInboxAccess } from './access';
import { createInboxCommands } from './commands';
import { createInboxQueries } from './queries';
import { createInboxRepository } from './repository';

export type { ListQuery, NotificationCounts } from './queries';

/**
 * The in-app inbox: a person's own notifications and nothing else. Who may see and act on one in
 * access.ts, every statement in repository.ts, the writes in commands.ts (rules in
 * domain/inbox.ts), the reads in queries.ts.
 */
export function createInboxService(ctx: NotificationsContext) {
  const repo = createInboxRepository(ctx.dataSource);
  const access = createInboxAccess(ctx.pipeline, repo);
  return { ...createInboxQueries(repo, access), ...createInboxCommands(ctx, repo, access) };
}

export type InboxService = ReturnType<typeof createInboxService>;
