import {
  personKey,
  samePerson,
  type EventConsumerDefinition,
  type EventEnvelope,
  type Person,
} from '@samverkan/shared';
import type { EntityManager } from 'typeorm';
import { notifiedOf } from '../repositories/notifications.repository';
import type { NotificationFacts } from '../domain/notification-text';
import type { NotificationsContext } from './context';
import { alreadyEscalatedTo, cancelEscalations, scheduleEscalation } from './escalations';
import { createNotifications, type NotificationDraft, type Recipient } from './notifier';

interface ReferralData {
  referralId: string;
  senderUnitId: string;
  recipientUnitId: string;
  copyUnitIds: string[];
  category: string;
  urgency: string;
  status: string;
  municipalityCode: string;
  escalatedToUnitIds?: string[];
  /** message_posted: the side that wrote */
  authorUnitId?: string;
}

interface FieldRequestData {
  fieldRequestId: string;
  operationId: string;
  organiserUnitId: string;
  requesterUnitId: string;
  participantUnitIds: string[];
  coordinatorUnitId: string | null;
  urgency: string;
  status: string;
  onShift?: Array<{ unitId: string; userId: string }>;
  claimedBy?: string | null;
  claimedByUnitId?: string | null;
  escalatedToUnitIds?: string[];
}

interface OperationData {
  operationId: string;
  organiserUnitId: string;
  coordinatorUnitId: string | null;
  invitedUnitIds?: string[];
  participantUnitIds?: string[];
  unitId?: string;
  status: string;
}

const REFERRAL_STATUS_TO_SENDER = new Set([
  'acknowledged',
  'accepted',
  'declined',
  'forwarded',
  'handover_planned',
  'handover_confirmed',
  'closed',
]);

const INVITATION_ROLES = ['org_admin', 'coordinator'];

/** The people an event must reach are not in the read model (yet): deliver it again later. */
export class NoRecipientsYetError extends Error {
  constructor(kinds: string[]) {
    super(`nobody to notify yet for ${kinds.join(', ')}; the directory read model may be behind`);
    this.name = 'NoRecipientsYetError';
  }
}

/**
 * Turns the events of referrals, field requests and operations into notifications for the
 * right people, in the consumer's transaction (so an event has its notifications exactly once),
 * and starts or stops the escalation timers of critical items.
 */
export function createEventHandlers(ctx: NotificationsContext) {
  const { directory } = ctx;
  /** people to wake once each event's transaction has committed */
  const pendingWake = new Map<string, Person[]>();
  /** the delivery being handled, per event id */
  const deliveries = new Map<string, { deliveryCount: number; maxDeliver: number }>();

  const draft = (
    facts: Omit<NotificationFacts, 'unitId'> & { unitId?: string | null },
    recipients: Recipient[],
  ): NotificationDraft => ({
    facts: { ...facts, unitId: facts.unitId ?? null },
    recipients,
  });

  /**
   * Writes the drafts. A draft marked `required` that finds nobody is most likely early: the
   * directory's member events have not all arrived yet. It is retried a few times before it is
   * accepted that the unit has nobody to tell.
   */
  async function write(
    tx: EntityManager,
    event: EventEnvelope,
    drafts: Array<NotificationDraft & { required?: boolean }>,
  ) {
    const delivery = deliveries.get(event.id);
    const empty = drafts.filter((d) => d.required && d.recipients.length === 0);
    if (empty.length > 0 && delivery && delivery.deliveryCount < Math.min(4, delivery.maxDeliver)) {
      throw new NoRecipientsYetError(empty.map((d) => d.facts.kind));
    }
    const created = await createNotifications(ctx, tx, event.id, drafts);
    pendingWake.set(
      event.id,
      created.map((c) => c.person),
    );
  }

  async function onReferral(event: EventEnvelope, tx: EntityManager, change: string) {
    const d = event.data as unknown as ReferralData;
    const base = {
      objectType: 'referral' as const,
      objectId: d.referralId,
      category: d.category,
      urgency: d.urgency,
    };
    const now = new Date();
    switch (change) {
      case 'sent': {
        await directory.requireUnits(tx, [d.recipientUnitId, ...d.copyUnitIds]);
        await write(tx, event, [
          {
            ...draft(
              { ...base, kind: 'referral_received', unitId: d.recipientUnitId },
              await directory.members(tx, [d.recipientUnitId]),
            ),
            required: true,
          },
          draft(
            { ...base, kind: 'referral_copy_received' },
            await directory.members(tx, d.copyUnitIds),
          ),
        ]);
        if (d.urgency === 'acute') {
          await scheduleEscalation(ctx, tx, {
            objectType: 'referral',
            objectId: d.referralId,
            unitIds: [d.recipientUnitId],
            category: d.category,
            urgency: d.urgency,
            municipalityCode: d.municipalityCode,
          });
        }
        return;
      }
      case 'message_posted':
        // The other side of the thread hears of it; the author's own unit does not.
        await write(tx, event, [
          draft(
            { ...base, kind: 'referral_message_posted' },
            await directory.members(
              tx,
              [d.senderUnitId, d.recipientUnitId].filter((u) => u !== d.authorUnitId),
            ),
          ),
        ]);
        return;
      case 'escalated':
        await write(tx, event, [
          draft(
            { ...base, kind: 'referral_escalated' },
            await notYetEscalated(
              tx,
              'referral',
              d.referralId,
              await directory.onDuty(tx, d.escalatedToUnitIds ?? [], now),
            ),
          ),
        ]);
        return;
      case 'withdrawn':
        await cancelEscalations(tx, 'referral', d.referralId);
        await write(tx, event, [
          draft(
            { ...base, kind: 'referral_status_changed', change },
            await directory.members(tx, [d.recipientUnitId, ...d.copyUnitIds]),
          ),
        ]);
        return;
      default:
        if (REFERRAL_STATUS_TO_SENDER.has(change)) {
          // Any step past `sent` means the recipient has seen it: no escalation any more.
          await cancelEscalations(tx, 'referral', d.referralId);
          await write(tx, event, [
            draft(
              { ...base, kind: 'referral_status_changed', change },
              await directory.members(tx, [d.senderUnitId]),
            ),
          ]);
        }
    }
  }

  async function onFieldRequest(event: EventEnvelope, tx: EntityManager, change: string) {
    const d = event.data as unknown as FieldRequestData;
    const base = {
      objectType: 'field_request' as const,
      objectId: d.fieldRequestId,
      urgency: d.urgency,
    };
    const now = new Date();
    switch (change) {
      case 'created': {
        const units = await directory.requireUnits(tx, d.participantUnitIds);
        // People on shift are members of participating units: people of those units' organisations.
        const onShift = (d.onShift ?? []).filter((s) => units.has(s.unitId));
        const recipients: Recipient[] =
          onShift.length > 0
            ? onShift.map((s) => ({
                organisationId: units.get(s.unitId)!.organisationId,
                userId: s.userId,
                unitId: s.unitId,
              }))
            : await directory.onDuty(tx, d.participantUnitIds, now);
        await write(tx, event, [
          { ...draft({ ...base, kind: 'field_request_created' }, recipients), required: true },
        ]);
        await scheduleEscalation(ctx, tx, {
          objectType: 'field_request',
          objectId: d.fieldRequestId,
          unitIds: d.participantUnitIds,
          urgency: d.urgency,
          coordinatorUnitId: d.coordinatorUnitId,
        });
        return;
      }
      case 'claimed': {
        await cancelEscalations(tx, 'field_request', d.fieldRequestId);
        // The claimant is the person of the claiming unit's organisation with that subject.
        const claimingUnit = d.claimedByUnitId
          ? (await directory.units(tx, [d.claimedByUnitId])).get(d.claimedByUnitId)
          : undefined;
        const claimant =
          claimingUnit && d.claimedBy
            ? { organisationId: claimingUnit.organisationId, userId: d.claimedBy }
            : undefined;
        const alerted = (await notifiedOf(tx, d.fieldRequestId, 'field_request_created')).filter(
          (r) => !claimant || !samePerson(r, claimant),
        );
        await write(tx, event, [
          draft({ ...base, kind: 'field_request_taken' }, alerted),
          draft(
            { ...base, kind: 'field_request_status_changed', change, unitId: d.requesterUnitId },
            await directory.members(tx, [d.requesterUnitId]),
          ),
        ]);
        return;
      }
      case 'cancelled': {
        await cancelEscalations(tx, 'field_request', d.fieldRequestId);
        const alerted = await notifiedOf(tx, d.fieldRequestId, 'field_request_created');
        await write(tx, event, [
          draft({ ...base, kind: 'field_request_status_changed', change }, [
            ...(await directory.members(tx, [d.requesterUnitId])),
            ...alerted,
          ]),
        ]);
        return;
      }
      case 'en_route':
      case 'on_site':
      case 'completed':
        await write(tx, event, [
          draft(
            { ...base, kind: 'field_request_status_changed', change, unitId: d.requesterUnitId },
            await directory.members(tx, [d.requesterUnitId]),
          ),
        ]);
        return;
      case 'escalated':
        await write(tx, event, [
          draft(
            { ...base, kind: 'field_request_escalated' },
            await notYetEscalated(
              tx,
              'field_request',
              d.fieldRequestId,
              await directory.onDuty(tx, d.escalatedToUnitIds ?? [], now),
            ),
          ),
        ]);
        return;
      default:
        // tally_recorded: nothing to tell anyone
        return;
    }
  }

  async function onOperation(event: EventEnvelope, tx: EntityManager, change: string) {
    const d = event.data as unknown as OperationData;
    const base = { objectType: 'operation' as const, objectId: d.operationId };
    switch (change) {
      case 'created':
      case 'participants_invited':
        await write(tx, event, [
          draft(
            { ...base, kind: 'operation_invitation' },
            await directory.membersPreferringRoles(tx, d.invitedUnitIds ?? [], INVITATION_ROLES),
          ),
        ]);
        return;
      case 'participation_accepted':
      case 'participation_declined':
        await write(tx, event, [
          draft(
            {
              ...base,
              kind: 'operation_participation_changed',
              change: change === 'participation_accepted' ? 'accepted' : 'declined',
              unitId: d.unitId ?? null,
            },
            await directory.members(tx, [d.organiserUnitId]),
          ),
        ]);
        return;
      case 'activated':
      case 'completed':
      case 'cancelled':
        await write(tx, event, [
          draft(
            { ...base, kind: 'operation_status_changed', change },
            await directory.members(tx, [
              d.organiserUnitId,
              ...(d.coordinatorUnitId ? [d.coordinatorUnitId] : []),
              ...(d.participantUnitIds ?? []),
            ]),
          ),
        ]);
        return;
      default:
        // shift_added / shift_removed: the field request carries who is on shift
        return;
    }
  }

  const onCommitted = (event: EventEnvelope) => {
    const users = pendingWake.get(event.id);
    pendingWake.delete(event.id);
    if (users && users.length > 0) {
      ctx.feed.wake(users);
    }
  };

  // Retried mostly because a unit has not reached the read model yet: soon, then less often.
  const retryDelayMs = (deliveryCount: number) =>
    Math.min(60_000, ctx.config.retryBaseMs * 2 ** Math.max(0, deliveryCount - 1));

  const referralsConsumer: EventConsumerDefinition = {
    name: 'notifications-referrals',
    filter: 'samverkan.referrals.>',
    maxDeliver: 8,
    retryDelayMs,
    async handle(event, tx, delivery) {
      const [, , entity, change] = event.type.split('.');
      pendingWake.delete(event.id);
      if (delivery) {
        deliveries.set(event.id, delivery);
      }
      try {
        if (entity === 'referral') {
          await onReferral(event, tx, change!);
        } else if (entity === 'field_request') {
          await onFieldRequest(event, tx, change!);
        } else if (entity === 'operation') {
          await onOperation(event, tx, change!);
        }
      } catch (err) {
        // Rolled back: nobody to wake for this delivery.
        pendingWake.delete(event.id);
        throw err;
      } finally {
        deliveries.delete(event.id);
      }
    },
    onCommitted,
  };

  const webhookDisabledConsumer: EventConsumerDefinition = {
    name: 'notifications-webhook-disabled',
    filter: 'samverkan.notifications.webhook.endpoint_disabled',
    async handle(event, tx) {
      const d = event.data as unknown as {
        endpointId: string;
        unitId: string;
        organisationId: string;
      };
      await write(tx, event, [
        draft(
          {
            kind: 'webhook_endpoint_disabled',
            objectType: 'webhook_endpoint',
            objectId: d.endpointId,
            unitId: d.unitId,
          },
          await directory.organisationAdmins(tx, d.organisationId),
        ),
      ]);
    },
    onCommitted,
  };

  return { referralsConsumer, webhookDisabledConsumer };
}

/** Drops the recipients our own escalation timer already reached for this object. */
async function notYetEscalated(
  tx: EntityManager,
  objectType: string,
  objectId: string,
  recipients: Recipient[],
): Promise<Recipient[]> {
  const skip = await alreadyEscalatedTo(tx, objectType, objectId);
  return recipients.filter((r) => !skip.has(personKey(r)));
}
