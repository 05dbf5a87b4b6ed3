import {
  CommonProblems,
  ProblemError,
  type EventProcessor,
  type Principal,
} from '@samverkan/shared';
import { NotificationProblems } from '../domain/errors';
import type { components } from '../generated/openapi';
import type { NotificationsContext } from '../services/context';
import { deadLetterView, deadLetterCursor } from '../services/views';
import { createDeadLettersRepository } from './repository';

type Schemas = components['schemas'];

/**
 * Events the consumers of this service gave up on (invalid, or failed `max_deliver` times), for
 * hub administrators to read and replay once the cause is fixed. Every statement in
 * repository.ts; a replay is recorded on the write pipeline with its audit entry.
 */
export function createDeadLettersService(
  ctx: NotificationsContext,
  processors: ReadonlyMap<string, EventProcessor>,
) {
  const repo = createDeadLettersRepository(ctx.dataSource);

  async function requireHubAdmin(principal: Principal, action: string, objectId: string | null) {
    if (!principal.hubAdmin) {
      await ctx.pipeline.deny(
        principal,
        { action, objectType: 'dead_letter', objectId },
        new ProblemError(CommonProblems.forbidden, 'Only hub administrators handle dead letters'),
      );
    }
  }

  return {
    async list(
      principal: Principal,
      q: { replayed?: boolean; cursor?: string; limit?: number },
    ): Promise<Schemas['DeadLetterPage']> {
      await requireHubAdmin(principal, 'dead_letter.list', null);
      const limit = q.limit ?? 50;
      const after = deadLetterCursor.decode(q.cursor);
      const rows = await repo.page(
        q.replayed,
        after && { createdAt: new Date(after.createdAt), id: after.id },
        limit + 1,
      );
      const page = rows.slice(0, limit);
      const last = page[page.length - 1];
      return {
        items: page.map(deadLetterView),
        nextCursor:
          rows.length > limit && last
            ? deadLetterCursor.encode({ createdAt: last.createdAt.toISOString(), id: last.id })
            : null,
      };
    },

    /**
     * Runs the event through its consumer once more, as its last delivery: handled, already
     * handled (duplicate), or dead-lettered again with the new reason.
     */
    async replay(principal: Principal, id: string): Promise<Schemas['DeadLetterReplay']> {
      await requireHubAdmin(principal, 'dead_letter.replay', id);
      const letter = await repo.find(id);
      if (!letter) {
        throw new ProblemError(NotificationProblems.deadLetterNotFound);
      }
      const processor = processors.get(letter.consumer);
      if (!processor) {
        throw new ProblemError(
          NotificationProblems.deadLetterConsumerUnknown,
          `No consumer named ${letter.consumer} runs in this service.`,
        );
      }
      let payload: unknown;
      try {
        payload = JSON.parse(letter.payload);
      } catch {
        payload = letter.payload;
      }
      const outcome = await processor.process(
        payload,
        processor.definition.maxDeliver ?? 8,
        letter.subject,
      );
      letter.replayedAt = new Date();
      await ctx.pipeline.transact(
        principal,
        {
          action: 'dead_letter.replay',
          objectType: 'dead_letter',
          objectId: id,
          detail: { consumer: letter.consumer, outcome },
        },
        async (tx) => {
          await repo.markReplayed(tx, id, letter.replayedAt!);
          return { result: undefined, events: [] };
        },
      );
      return {
        outcome: outcome === 'retry' ? 'dead' : outcome,
        deadLetter: deadLetterView(letter),
      };
    },
  };
}
