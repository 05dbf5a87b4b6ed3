import { DeadLetterEntity } from '@samverkan/shared';
import type { DataSource, EntityManager } from 'typeorm';

/**
 * Every statement on the service's dead letters (the platform's `dead_letters` table, in this
 * service's schema), kept in step with the entities and migrations by test/migrations.test.ts.
 */
export function createDeadLettersRepository(ds: DataSource) {
  const repo = () => ds.getRepository(DeadLetterEntity);
  return {
    /** One page, newest first (`limit` rows), replayed or not if asked. */
    page(
      replayed: boolean | undefined,
      after: { createdAt: Date; id: string } | undefined,
      limit: number,
    ): Promise<DeadLetterEntity[]> {
      const qb = repo().createQueryBuilder('d');
      if (replayed !== undefined) {
        qb.andWhere(replayed ? 'd.replayed_at IS NOT NULL' : 'd.replayed_at IS NULL');
      }
      if (after) {
        qb.andWhere('(d.created_at, d.id) < (:at, :id)', { at: after.createdAt, id: after.id });
      }
      return qb.orderBy('d.created_at', 'DESC').addOrderBy('d.id', 'DESC').take(limit).getMany();
    },

    find(id: string): Promise<DeadLetterEntity | null> {
      return repo().findOneBy({ id });
    },

    async markReplayed(tx: EntityManager, id: string, at: Date): Promise<void> {
      await tx.update(DeadLetterEntity, { id }, { replayedAt: at });
    },
  };
}

export type DeadLettersRepository = ReturnType<typeof createDeadLettersRepository>;
