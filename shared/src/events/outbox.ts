import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { OutboxEventEntity } from '../entities/platform.entities';
import { currentTraceparent } from '../app/trace-context';
import type { EventCatalog, EventEnvelope } from './event-catalog';

export interface OutboxWriter {
  /**
   * Records an event in the same transaction as the change it describes: it is published only if
   * that transaction commits, and it is not lost if the broker is down.
   */
  append<T extends Record<string, unknown>>(
    manager: EntityManager,
    type: string,
    data: T,
    options?: { traceparent?: string },
  ): Promise<EventEnvelope<T>>;
  /**
   * Records several events in the caller's transaction with one statement, in the given order;
   * nothing is written for an empty list.
   */
  appendMany<T extends Record<string, unknown>>(
    manager: EntityManager,
    events: Array<{ type: string; data: T }>,
    options?: { traceparent?: string },
  ): Promise<Array<EventEnvelope<T>>>;
  /**
   * The envelope and headers an `append` would write, validated against the catalog, for a
   * caller that writes the outbox row in its own statement (the write pipeline).
   */
  envelope<T extends Record<string, unknown>>(
    type: string,
    data: T,
    options?: { traceparent?: string },
  ): { envelope: EventEnvelope<T>; headers: Record<string, string> };
}

/**
 * The INSERT of outbox rows given as a JSON array of `{ id, type, payload, headers }` (`json`:
 * the SQL of it, e.g. a statement's parameter `$1::jsonb`), in the array's order, of the elements
 * `e` that pass `where`: for a caller that writes them in a statement of its own (with the rows
 * they tell of). Built by `OutboxWriter.envelope`.
 */
export function outboxInsertSql(manager: EntityManager, json: string, where = 'true'): string {
  return `INSERT INTO ${manager.connection.getMetadata(OutboxEventEntity).tablePath} (id, type, payload, headers)
         SELECT (e->>'id')::uuid, e->>'type', e->'payload', e->'headers'
           FROM jsonb_array_elements(${json}) WITH ORDINALITY AS t(e, i)
          WHERE ${where} ORDER BY i`;
}

/** An envelope and its headers as `outboxInsertSql` takes them. */
export function outboxRow(built: { envelope: EventEnvelope; headers: Record<string, string> }) {
  return {
    id: built.envelope.id,
    type: built.envelope.type,
    payload: built.envelope,
    headers: built.headers,
  };
}

export function createOutboxWriter(source: string, catalog: EventCatalog): OutboxWriter {
  const envelopeOf: OutboxWriter['envelope'] = (type, data, options = {}) => {
    const envelope = { id: randomUUID(), type, source, time: new Date().toISOString(), data };
    catalog.validate(envelope);
    const headers: Record<string, string> = {};
    const traceparent = options.traceparent ?? currentTraceparent();
    if (traceparent) {
      headers.traceparent = traceparent;
    }
    return { envelope, headers };
  };
  const appendMany: OutboxWriter['appendMany'] = async (manager, events, options = {}) => {
    const built = events.map((e) => envelopeOf(e.type, e.data, options));
    if (built.length > 0) {
      // One statement, one parameter, in the given order (a consumer writes these for every
      // event it handles: no query builder, nothing read back).
      await manager.query(outboxInsertSql(manager, '$1::jsonb'), [
        JSON.stringify(built.map(outboxRow)),
      ]);
    }
    return built.map((b) => b.envelope);
  };
  return {
    envelope: envelopeOf,
    appendMany,
    async append(manager, type, data, options) {
      const [envelope] = await appendMany(manager, [{ type, data }], options);
      return envelope!;
    },
  };
}
