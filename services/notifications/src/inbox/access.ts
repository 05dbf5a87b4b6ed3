import { personOf, ProblemError, type CommandPipeline, type Principal } from '@samverkan/shared';
import type { EntityManager } from 'typeorm';
import type { NotificationEntity } from '../entities';
import { NotificationProblems } from '../domain/errors';
import type { InboxRepository } from './repository';

/**
 * Who may see and act on a notification: its person, while the directory lists them in its unit
 * (inbox/repository.ts scopes every statement so). Anyone else's notification is 404 exactly like
 * one that does not exist; a try at one that exists is audited as a denied attempt.
 */
export function createInboxAccess(pipeline: CommandPipeline, repo: InboxRepository) {
  const notFound = () => new ProblemError(NotificationProblems.notificationNotFound);
  const target = (action: string, id: string) => ({
    action,
    objectType: 'notification',
    objectId: id,
  });

  return {
    target,

    /** The caller's notification to read, or 404 (audited when it is someone else's). */
    async readable(principal: Principal, id: string, action: string) {
      const row = await repo.own(personOf(principal), id);
      if (!row) {
        if (await repo.exists(id)) {
          await pipeline.deny(principal, target(action, id), notFound());
        }
        throw notFound();
      }
      return row;
    },

    /**
     * The caller's notification, locked in `tx`; 404 when there is none; `NotOwnError` when it is
     * someone else's (the caller audits that once the transaction has rolled back).
     */
    async lockedOwn(
      principal: Principal,
      id: string,
      tx: EntityManager,
    ): Promise<NotificationEntity> {
      const row = await repo.lockOwn(tx, personOf(principal), id);
      if (row) {
        return row;
      }
      if (!(await repo.exists(id, tx))) {
        throw notFound();
      }
      throw new NotOwnError();
    },

    /** Audits a try at someone else's notification as denied, and answers 404. */
    denyNotOwn(principal: Principal, action: string, id: string): Promise<never> {
      return pipeline.deny(principal, target(action, id), notFound());
    },
  };
}

/** Someone else's notification (or of a unit the person has left). */
export class NotOwnError extends Error {
  constructor() {
    super('not the caller’s notification');
  }
}

export type InboxAccess = ReturnType<typeof createInboxAccess>;
