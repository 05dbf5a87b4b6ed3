import type { CommandPipeline, EventConsumerDefinition, EventEnvelope } from '@samverkan/shared';
import type { EntityManager } from 'typeorm';
import { EndOfTransaction } from '../consumers/end-of-transaction';
import {
  markPurged,
  partiesOfFreshEvents,
  rememberManyParties,
  replaceTexts,
  type NamedParties,
} from './repository';

/** What a purged notification says instead (Swedish, like every notification text). */
export const PURGED_TITLE = 'Innehållet är gallrat';
export const PURGED_BODY =
  'Den här aviseringens text är gallrad efter bevarandetiden. Händelsen finns kvar i granskningsloggen.';

const SYSTEM = { sub: 'system:retention', org: null, iss: null };

function partiesOf(entity: string, d: Record<string, unknown>): string[] {
  const ids = (v: unknown) => (Array.isArray(v) ? v.filter((x) => typeof x === 'string') : []);
  const one = (v: unknown) => (typeof v === 'string' ? [v] : []);
  switch (entity) {
    case 'referral':
      return [...one(d.senderUnitId), ...one(d.recipientUnitId), ...ids(d.copyUnitIds)];
    case 'field_request':
      return [
        ...one(d.organiserUnitId),
        ...one(d.requesterUnitId),
        ...one(d.coordinatorUnitId),
        ...ids(d.participantUnitIds),
      ];
    case 'operation':
      return [
        ...one(d.organiserUnitId),
        ...one(d.coordinatorUnitId),
        ...ids(d.invitedUnitIds),
        ...ids(d.participantUnitIds),
        ...one(d.unitId),
      ];
    default:
      return [];
  }
}

const OBJECT_ID: Record<string, string> = {
  referral: 'referralId',
  field_request: 'fieldRequestId',
  operation: 'operationId',
};

/**
 * Keeps `object_parties` from the referrals service's events and carries out its purges here:
 * when a referral's or field request's content is purged, the texts of the notifications about it
 * are replaced by a neutral one, in the same transaction as an audit entry that names the
 * parties' organisations (docs/retention.md), written by the write pipeline in the consumer's
 * transaction (`CommandPipeline.within`). Idempotent like every consumer: an event is handled once.
 */
export function recordsConsumer(pipeline: CommandPipeline): EventConsumerDefinition {
  /** the parties a transaction's events named, written at its end (one statement a batch) */
  const parties = new EndOfTransaction(rememberManyParties);

  async function purge(tx: EntityManager, event: EventEnvelope, type: string, id: string) {
    // The audit entry names the parties' organisations: those of earlier events too.
    await parties.flush(tx);
    const changed = await replaceTexts(tx, type, id, { title: PURGED_TITLE, body: PURGED_BODY });
    await markPurged(tx, type, id, new Date());
    await pipeline.within(tx, SYSTEM, {
      target: {
        action: 'notification.texts_purge',
        objectType: type,
        objectId: id,
        detail: { notifications: changed, eventId: event.id },
      },
      events: [],
    });
  }

  /** What an event tells: the parties of the object it is about, and whether it purges it. */
  function read(
    event: EventEnvelope,
  ): (NamedParties & { eventId: string; purge: boolean }) | undefined {
    const [, , entity, change] = event.type.split('.');
    const key = OBJECT_ID[entity ?? ''];
    const data = event.data as Record<string, unknown>;
    const id = key ? data[key] : undefined;
    if (!entity || !key || typeof id !== 'string') {
      return undefined;
    }
    return {
      objectType: entity,
      objectId: id,
      units: partiesOf(entity, data),
      eventId: event.id,
      purge: change === 'content_purged',
    };
  }

  return {
    name: 'notifications-records',
    filter: 'samverkan.referrals.>',
    maxDeliver: 8,
    // An event that names no parties and purges nothing needs no transaction nor a record.
    wants: (events) =>
      events.map((e) => {
        const r = read(e);
        return r !== undefined && (r.purge || r.units.length > 0);
      }),
    // The usual case, parties only: their upsert and the events' record in one statement. A
    // purge reads, writes and audits: the batch goes in a transaction.
    asStatement(events, db) {
      const told = events.map(read);
      if (told.some((r) => r === undefined || r.purge)) {
        return undefined;
      }
      return partiesOfFreshEvents(db, told as Array<NonNullable<(typeof told)[number]>>);
    },
    async handle(event, tx) {
      const r = read(event);
      if (!r) {
        return;
      }
      if (r.units.length > 0) {
        parties.add(tx, r);
      }
      if (r.purge) {
        await purge(tx, event, r.objectType, r.objectId);
      }
    },
    beforeCommit: (tx) => parties.flush(tx),
  };
}
