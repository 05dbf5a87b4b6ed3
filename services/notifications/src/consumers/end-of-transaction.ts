import type { EntityManager } from 'typeorm';

/**
 * Writes a consumer's handlers leave to the end of their transaction, to be made for a whole
 * batch of events in one statement rather than one per event: the consumer definition's
 * `beforeCommit` flushes them, after the last event's handler and before the commit, so they
 * commit or roll back with the events that queued them. A handler that reads what it queued
 * (earlier events of the same batch) flushes first: it reads what one statement per event would
 * have written.
 */
export class EndOfTransaction<T> {
  private readonly pending = new WeakMap<EntityManager, T[]>();

  constructor(private readonly write: (tx: EntityManager, items: T[]) => Promise<void>) {}

  add(tx: EntityManager, ...items: T[]): void {
    if (items.length === 0) {
      return;
    }
    const mine = this.pending.get(tx);
    if (mine) {
      mine.push(...items);
    } else {
      this.pending.set(tx, [...items]);
    }
  }

  /** Writes what `tx` queued, in the order it came; nothing (no statement) if it queued nothing. */
  async flush(tx: EntityManager): Promise<void> {
    const items = this.pending.get(tx);
    if (!items || items.length === 0) {
      return;
    }
    this.pending.delete(tx);
    await this.write(tx, items);
  }
}
