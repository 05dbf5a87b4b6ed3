import { personOf, type Principal } from '@samverkan/shared';
import type { components } from '../generated/openapi';
import { checkBulkTarget, decideInboxAction, type InboxAction } from '../domain/inbox';
import type { NotificationsContext } from '../services/context';
import { cancelEscalations } from '../escalations/watcher';
import { notificationView, type NotificationView } from '../services/views';
import { NotOwnError, type InboxAccess } from './access';
import type { InboxRepository } from './repository';

type Schemas = components['schemas'];

/**
 * The inbox's writes, each on the write pipeline: authorize and load (the caller's own row, locked:
 * access.ts) → decide (domain/inbox.ts, pure) → persist (repository.ts), with the audit entry in
 * the same transaction; the person's other streams are woken after the commit.
 */
export function createInboxCommands(
  ctx: NotificationsContext,
  repo: InboxRepository,
  access: InboxAccess,
) {
  return {
    async act(principal: Principal, id: string, action: InboxAction): Promise<NotificationView> {
      const target = access.target(`notification.${action}`, id);
      const person = personOf(principal);
      try {
        const view = await ctx.pipeline.transact(principal, target, async (tx) => {
          const row = await access.lockedOwn(principal, id, tx);
          const decision = decideInboxAction(row, action, new Date());
          if (decision.cancelEscalations) {
            await cancelEscalations(tx, row.objectType, row.objectId);
          }
          await repo.saveState(tx, id, decision.state);
          await ctx.feed.signal(tx, [person]);
          return { result: notificationView({ ...row, ...decision.state }), events: [] };
        });
        ctx.feed.wake([person]);
        return view;
      } catch (err) {
        if (err instanceof NotOwnError) {
          // Recorded outside the transaction that rolled back.
          return access.denyNotOwn(principal, target.action, id);
        }
        throw err;
      }
    },

    /** Marks several of the caller's notifications read (and seen), or only seen. */
    async mark(
      principal: Principal,
      body: Schemas['BulkRead'],
      state: 'read' | 'seen',
    ): Promise<Schemas['BulkResult']> {
      checkBulkTarget(body);
      const person = personOf(principal);
      const updated = await ctx.pipeline.transact(
        principal,
        { action: `notification.${state}_bulk`, objectType: 'notification', objectId: null },
        async (tx) => {
          const marked = await repo.mark(tx, person, body, state);
          await ctx.feed.signal(tx, [person]);
          return { result: marked, events: [] };
        },
      );
      ctx.feed.wake([person]);
      return { updated };
    },
  };
}
