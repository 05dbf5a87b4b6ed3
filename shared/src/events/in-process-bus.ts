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
    const retry: string[] = [];
    for (const processor of this.processors) {
      if (!subjectMatches(processor.definition.filter, envelope.type)) {
        continue;
      }
      const outcome = await processor.process(
        envelope,
        attempt,
        envelope.type,
        headers.traceparent,
      );
      if (outcome === 'retry') {
        retry.push(processor.definition.name);
      }
    }
    if (retry.length > 0) {
      throw new Error(`consumers asked for a retry: ${retry.join(', ')}`);
    }
  }
}
