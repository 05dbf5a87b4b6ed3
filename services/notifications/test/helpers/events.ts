import { randomUUID } from 'node:crypto';
import { DEMO_UNITS } from '@samverkan/shared';
import { eventually } from '@samverkan/shared/src/testing';
import type { TestHub } from './build';

const U = DEMO_UNITS;

/** The data of a referral event as the referrals service publishes it. */
export function referralData(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    referralId: randomUUID(),
    senderUnitId: U.policeTraffickingOst,
    recipientUnitId: U.frideborg,
    copyUnitIds: [U.novahuset],
    category: 'trafficking_sexual',
    urgency: 'acute',
    status: 'sent',
    municipalityCode: '0581',
    ...overrides,
  };
}

/** The common part of a field-request event (the operations contract), plus overrides. */
export function fieldRequestData(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    fieldRequestId: randomUUID(),
    operationId: randomUUID(),
    organiserUnitId: U.policeTraffickingOst,
    requesterUnitId: U.policeTraffickingOst,
    participantUnitIds: [U.socialjour, U.elsa],
    coordinatorUnitId: U.coordinator,
    urgency: 'acute',
    neededBy: new Date(Date.now() + 30 * 60_000).toISOString(),
    status: 'open',
    ...overrides,
  };
}

export function operationData(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    operationId: randomUUID(),
    organiserUnitId: U.policeTraffickingOst,
    coordinatorUnitId: U.coordinator,
    status: 'planned',
    ...overrides,
  };
}

/** Waits until a consumer has processed (or dead-lettered) an event. */
export async function processed(
  hub: TestHub,
  eventId: string,
  consumer = 'notifications-referrals',
): Promise<void> {
  await eventually(async () => {
    const rows = (await hub.notifications.context.dataSource.query(
      `SELECT 1 FROM notifications.processed_events WHERE consumer = $1 AND event_id = $2
       UNION ALL SELECT 1 FROM notifications.dead_letters WHERE consumer = $1 AND event_id = $2::text`,
      [consumer, eventId],
    )) as unknown[];
    return rows.length > 0 ? true : undefined;
  }, 20_000);
}

/** `user kind` pairs of the notifications an event produced, sorted. */
export async function producedBy(hub: TestHub, eventId: string): Promise<string[]> {
  const rows = await hub.rows('event_id = $1', [eventId]);
  return rows.map((r) => `${String(r.user_id)} ${String(r.kind)}`).sort();
}

/** Emits an event through its producer's outbox and returns what it produced once handled. */
export async function emitAndCollect(
  hub: TestHub,
  type: string,
  data: Record<string, unknown>,
): Promise<string[]> {
  const envelope = await hub.emit(type, data);
  await processed(
    hub,
    envelope.id,
    type.startsWith('samverkan.notifications.')
      ? 'notifications-webhook-disabled'
      : 'notifications-referrals',
  );
  return producedBy(hub, envelope.id);
}
