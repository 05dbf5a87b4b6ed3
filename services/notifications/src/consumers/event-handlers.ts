import {
  personKey,
  samePerson,
  type EventConsumerDefinition,
  type EventEnvelope,
  type Person,
} from '@samverkan/shared';
import type { EntityManager } from 'typeorm';
import { notifiedOf } from '../repositories/notifications.repository';
import {
  endpointDisabledPlan,
  eventPlan,
  type Audience,
  type EndpointDisabledData,
  type EventPlan,
} from '../domain/event-notifications';
import type { DirectoryUnitEntity } from '../entities';
import type { NotificationsContext } from '../services/context';
import { insertTimers, type NewTimer } from '../escalations/repository';
import { alreadyEscalatedTo, cancelEscalations, levelOneTimer } from '../escalations/watcher';
import {
  notificationRows,
  writeNotifications,
  type NotificationDraft,
  type NotificationRow,
  type Recipient,
} from '../services/notifier';
import { EndOfTransaction } from './end-of-transaction';

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
 * and starts or stops the escalation timers of critical items. Who hears of what is the pure
 * plan of domain/event-notifications.ts; here it is carried out against the read model.
 */
export function createEventHandlers(ctx: NotificationsContext) {
  const { directory } = ctx;
  /** people to wake once each event's transaction has committed */
  const pendingWake = new Map<string, Person[]>();
  /** the delivery being handled, per event id */
  const deliveries = new Map<string, { deliveryCount: number; maxDeliver: number }>();
  /**
   * The notifications (with their outbox events) and level-1 timers of a transaction's events,
   * written at its end: one statement each for a consumer's whole batch.
   */
  const notifications = new EndOfTransaction<NotificationRow>(async (tx, rows) => {
    for (const c of await writeNotifications(ctx, tx, rows)) {
      const people = pendingWake.get(c.eventId);
      if (people) {
        people.push(c.person);
      } else {
        pendingWake.set(c.eventId, [c.person]);
      }
    }
  });
  const timers = new EndOfTransaction<NewTimer>(insertTimers);
  const beforeCommit = async (tx: EntityManager) => {
    await notifications.flush(tx);
    await timers.flush(tx);
  };

  /** The people of one audience, from the read model. */
  async function resolve(
    tx: EntityManager,
    plan: EventPlan,
    audience: Audience,
    known: Map<string, DirectoryUnitEntity>,
    now: Date,
  ): Promise<Recipient[]> {
    const { objectType, objectId } = plan.object;
    if ('members' in audience) {
      return directory.members(tx, audience.members);
    }
    if ('membersPreferringRoles' in audience) {
      return directory.membersPreferringRoles(tx, audience.membersPreferringRoles, audience.roles);
    }
    if ('onDuty' in audience) {
      const onDuty = await directory.onDuty(tx, audience.onDuty, now);
      if (!audience.notYetEscalated) {
        return onDuty;
      }
      // Drops the recipients our own escalation timer already reached for this object (the
      // notifications of earlier events of the batch included).
      await notifications.flush(tx);
      const skip = await alreadyEscalatedTo(tx, objectType, objectId);
      return onDuty.filter((r) => !skip.has(personKey(r)));
    }
    if ('onShift' in audience) {
      const onShift = audience.onShift.filter((s) => known.has(s.unitId));
      return onShift.length > 0
        ? onShift.map((s) => ({
            organisationId: known.get(s.unitId)!.organisationId,
            userId: s.userId,
            unitId: s.unitId,
          }))
        : directory.onDuty(tx, audience.orElseOnDuty, now);
    }
    if ('notifiedOf' in audience) {
      // The claimant is the person of the claiming unit's organisation with that subject.
      const { except } = audience;
      const unit = except
        ? (await directory.units(tx, [except.unitId])).get(except.unitId)
        : undefined;
      const claimant =
        unit && except ? { organisationId: unit.organisationId, userId: except.userId } : undefined;
      await notifications.flush(tx);
      return (await notifiedOf(tx, objectId, audience.notifiedOf)).filter(
        (r) => !claimant || !samePerson(r, claimant),
      );
    }
    return directory.organisationAdmins(tx, audience.organisationAdmins);
  }

  /**
   * Carries out the plan. A draft marked `required` that finds nobody is most likely early: the
   * directory's member events have not all arrived yet. It is retried a few times before it is
   * accepted that the unit has nobody to tell.
   */
  async function carryOut(tx: EntityManager, event: EventEnvelope, plan: EventPlan) {
    const now = new Date();
    const known =
      plan.requireUnits.length > 0
        ? await directory.requireUnits(tx, plan.requireUnits)
        : new Map<string, DirectoryUnitEntity>();
    const { objectType, objectId } = plan.object;
    if (plan.cancelEscalations) {
      // (a timer an earlier event of the batch started is stopped too)
      await timers.flush(tx);
      await cancelEscalations(tx, objectType, objectId);
    }
    const drafts: Array<NotificationDraft & { required?: boolean }> = [];
    for (const d of plan.drafts) {
      const recipients: Recipient[] = [];
      for (const audience of d.audiences) {
        recipients.push(...(await resolve(tx, plan, audience, known, now)));
      }
      drafts.push({ facts: d.facts, recipients, required: d.required });
    }
    const delivery = deliveries.get(event.id);
    const empty = drafts.filter((d) => d.required && d.recipients.length === 0);
    if (empty.length > 0 && delivery && delivery.deliveryCount < Math.min(4, delivery.maxDeliver)) {
      throw new NoRecipientsYetError(empty.map((d) => d.facts.kind));
    }
    // Written with the batch's (see beforeCommit); whom they wake is known then.
    notifications.add(tx, ...(await notificationRows(tx, event.id, drafts)));
    if (plan.escalate) {
      timers.add(tx, levelOneTimer(ctx, { objectType, objectId, ...plan.escalate }, now));
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
      pendingWake.delete(event.id);
      const plan = eventPlan(event.type, event.data);
      if (!plan) {
        return;
      }
      if (delivery) {
        deliveries.set(event.id, delivery);
      }
      try {
        await carryOut(tx, event, plan);
      } catch (err) {
        // Rolled back: nobody to wake for this delivery.
        pendingWake.delete(event.id);
        throw err;
      } finally {
        deliveries.delete(event.id);
      }
    },
    beforeCommit,
    onCommitted,
  };

  const webhookDisabledConsumer: EventConsumerDefinition = {
    name: 'notifications-webhook-disabled',
    filter: 'samverkan.notifications.webhook.endpoint_disabled',
    async handle(event, tx) {
      pendingWake.delete(event.id);
      await carryOut(
        tx,
        event,
        endpointDisabledPlan(event.data as unknown as EndpointDisabledData),
      );
    },
    beforeCommit,
    onCommitted,
  };

  return { referralsConsumer, webhookDisabledConsumer };
}
