import { PeriodicPass } from '@samverkan/shared';
import type { FastifyBaseLogger } from 'fastify';
import type { RollupsRepository } from './rollups.repository';

/**
 * How often each replica folds the counters' rows by default (a reader sums what accumulates
 * meanwhile); `REFERRALS_ROLLUP_COMPACTION_MS`.
 */
export const ROLLUP_COMPACTION_MS = 5_000;

/**
 * Keeps the append-only counters short (services/rollups.repository.ts): every few seconds each
 * key's rows of +n/−n become one. Replicas may compact at once; the sums stay exact.
 */
export class RollupCompactor extends PeriodicPass {
  constructor(
    private readonly rollups: RollupsRepository,
    log: FastifyBaseLogger,
    intervalMs = ROLLUP_COMPACTION_MS,
  ) {
    super(intervalMs, log, 'rollup compaction');
  }

  tick(): Promise<number> {
    return this.rollups.compact();
  }
}
