import type { EventEnvelope } from './event-catalog';
import { subjectMatches, type EventProcessor } from './consumer';
import type { EventPublisher } from './outbox-relay';

/**
 * The embedded mode's broker: the outbox relay hands each event to the matching in-process
 * consumers. The outbox row counts as published only once every consumer has either handled it
 * (or had it already) or dead-lettered it; a consumer asking for a retry makes the relay try the
 * whole event again later, which the others ignore as a duplicate.
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
    // The consumers of one event are independent (each its own transaction and its own record
    // of what it processed): they run side by side, and the next event waits for all of them,
    // so each consumer still sees events in their order.
    const matching = this.processors.filter((p) =>
      subjectMatches(p.definition.filter, envelope.type),
    );
    const outcomes = await Promise.all(
      matching.map((processor) =>
        processor.process(envelope, attempt, envelope.type, headers.traceparent),
      ),
    );
    const retry = matching.filter((_p, i) => outcomes[i] === 'retry').map((p) => p.definition.name);
    if (retry.length > 0) {
      throw new Error(`consumers asked for a retry: ${retry.join(', ')}`);
    }
  }
}
