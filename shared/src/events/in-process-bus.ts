import type { EventEnvelope } from './event-catalog';
import { subjectMatches, type EventProcessor } from './consumer';
import type { EventPublisher, OutgoingEvent } from './outbox-relay';

/**
 * The embedded mode's broker: the outbox relay hands the events it has claimed, in their order,
 * to the matching in-process consumers. Each consumer takes its events in batches (up to its
 * `maxBatch`, one transaction per batch, through the same batch path as over NATS) and stops at
 * the first it has to retry. An event counts as published only once every consumer has either
 * handled it (or had it already) or dead-lettered it; the first that a consumer asks to retry is
 * published again later with all that follow it, which the consumers that had them ignore as
 * duplicates.
 */
export class InProcessBus implements EventPublisher {
  readonly kind = 'in-process' as const;
  private readonly processors: EventProcessor[] = [];

  register(processor: EventProcessor): void {
    this.processors.push(processor);
  }

  async publish(
    envelope: EventEnvelope,
    headers: Record<string, string>,
    attempt: number,
  ): Promise<void> {
    const { error } = await this.publishMany([{ envelope, headers, attempt }]);
    if (error) {
      throw error;
    }
  }

  async publishMany(events: OutgoingEvent[]): Promise<{ published: number; error?: Error }> {
    // The consumers are independent (each its own transactions and its own record of what it
    // processed): they run side by side, each through the events in their order.
    const firstRetry = await Promise.all(this.processors.map((p) => this.deliver(p, events)));
    const published = Math.min(events.length, ...firstRetry);
    if (published === events.length) {
      return { published };
    }
    const retry = this.processors.filter((_p, i) => firstRetry[i] === published);
    const names = retry.map((p) => p.definition.name).join(', ');
    return { published, error: new Error(`consumers asked for a retry: ${names}`) };
  }

  /** Gives a consumer its events; returns the position of the first it wants again (or the end). */
  private async deliver(processor: EventProcessor, events: OutgoingEvent[]): Promise<number> {
    const mine = [...events.entries()].filter(([, e]) =>
      subjectMatches(processor.definition.filter, e.envelope.type),
    );
    const maxBatch = Math.max(1, processor.definition.maxBatch ?? 1);
    for (let from = 0; from < mine.length; from += maxBatch) {
      const batch = mine.slice(from, from + maxBatch);
      const outcomes = await processor.processBatch(
        batch.map(([, e]) => ({
          raw: e.envelope,
          deliveryCount: e.attempt,
          subject: e.envelope.type,
          traceparent: e.headers.traceparent,
        })),
        { inOrder: true },
      );
      const failed = outcomes.indexOf('retry');
      if (failed !== -1) {
        return batch[failed]![0];
      }
    }
    return events.length;
  }
}
