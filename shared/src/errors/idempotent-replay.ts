/**
 * The answer an Idempotency-Key already recorded, thrown where a write finds its key held after
 * it looked for no record up front (a route with `idempotencyRecordedByChange`): the error
 * handler sends it again, as the first request got it, marked `Idempotent-Replayed: true`.
 */
export class IdempotentReplay extends Error {
  constructor(
    readonly status: number,
    readonly body: string,
    readonly type: string | null,
  ) {
    super(`the answer recorded for this Idempotency-Key (${status})`);
    this.name = 'IdempotentReplay';
  }
}
