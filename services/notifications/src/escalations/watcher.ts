import type { FastifyBaseLogger } from 'fastify';
import { PeriodicPass, personKey, type AuditTarget, type Person } from '@samverkan/shared';
import type { EntityManager } from 'typeorm';
import type { EscalationTimerEntity } from '../entities';
import { decideFiring, escalatesToCoordinator, type EscalationUnit } from '../domain/escalation';
import type { ObjectType } from '../domain/kinds';
import { NotificationEvents } from '../events/notification-events';
import { notificationsAuditParties } from '../services/audit-parties';
import type { NotificationsContext } from '../services/context';
import { createNotifications } from '../services/notifier';
import {
  cancelPendingTimers,
  claimDueTimer,
  escalatedPeople,
  insertTimer,
  settleTimer,
  type NewTimer,
} from './repository';

const SYSTEM = { sub: 'system:escalation-watcher', org: null, iss: null };

export interface EscalationSubject {
  objectType: ObjectType;
  objectId: string;
  /** the units whose on-call units a level-1 escalation alerts */
  unitIds: string[];
  category?: string | null;
  urgency?: string | null;
  municipalityCode?: string | null;
  coordinatorUnitId?: string | null;
}

/** The level-1 timer of a critical item, due after the configured delay. */
export function levelOneTimer(
  ctx: Pick<NotificationsContext, 'config'>,
  subject: EscalationSubject,
  now = new Date(),
): NewTimer {
  return {
    objectType: subject.objectType,
    objectId: subject.objectId,
    level: 1,
    dueAt: new Date(now.getTime() + ctx.config.escalationDelayMs),
    unitIds: subject.unitIds,
    category: subject.category ?? null,
    urgency: subject.urgency ?? null,
    municipalityCode: subject.municipalityCode ?? null,
    coordinatorUnitId: subject.coordinatorUnitId ?? null,
  };
}

/** Starts the level-1 timer of a critical item (once: a second call changes nothing). */
export async function scheduleEscalation(
  ctx: Pick<NotificationsContext, 'config'>,
  tx: EntityManager,
  subject: EscalationSubject,
  now = new Date(),
): Promise<void> {
  await insertTimer(tx, levelOneTimer(ctx, subject, now));
}

/** Stops every pending timer of an object: it was acknowledged, claimed or settled. */
export function cancelEscalations(
  tx: EntityManager,
  objectType: string,
  objectId: string,
): Promise<number> {
  return cancelPendingTimers(tx, objectType, objectId);
}

/**
 * People (as `personKey`s) already told that this object was escalated to them — by our own timer or by the
 * producing service's deadline (referral.escalated, field_request.escalated). Both run on the
 * same default deadlines, so each skips whom the other reached: one escalation per person.
 */
export async function alreadyEscalatedTo(
  tx: EntityManager,
  objectType: string,
  objectId: string,
): Promise<Set<string>> {
  return new Set((await escalatedPeople(tx, objectType, objectId)).map(personKey));
}

/**
 * Fires due escalation timers. Every replica runs one; each pass goes through the write
 * pipeline's `drain`: a due timer is claimed with `FOR UPDATE SKIP LOCKED` together with whether
 * its item was acknowledged (one statement), the decision is the pure `decideFiring`
 * (domain/escalation.ts), and a firing notifies the on-duty staff of the on-call units (level 1)
 * or the regional coordinator (level 2) — never a user who already had an escalation of this
 * item — with `notification.escalated` in the outbox and the audit entry in the same transaction,
 * and schedules the next level where the rule calls for one. A timer found acknowledged is
 * settled without an audit entry, in the transaction of the next one.
 */
export class EscalationWatcher extends PeriodicPass {
  constructor(
    private readonly ctx: NotificationsContext,
    log: FastifyBaseLogger,
  ) {
    super(ctx.config.escalationCheckMs, log, 'escalation');
  }

  /** One pass; returns how many timers fired. */
  async tick(now = new Date()): Promise<number> {
    const woken: Person[] = [];
    try {
      return await this.ctx.pipeline.drain(SYSTEM, async (tx) => {
        for (;;) {
          const due = await claimDueTimer(tx, now);
          if (!due) {
            return null;
          }
          const fired = await this.fire(tx, due.timer, due.acknowledged, now);
          if (fired) {
            woken.push(...fired.woken);
            return fired.item;
          }
        }
      });
    } finally {
      this.ctx.feed.wake(woken);
    }
  }

  private async fire(
    tx: EntityManager,
    timer: EscalationTimerEntity,
    acknowledged: boolean,
    now: Date,
  ) {
    const { directory } = this.ctx;
    // Load what the rule needs: the units and their on-call covers, and the coordinator units.
    const units = new Map<string, EscalationUnit>();
    let coordinatorUnitIds: string[] = [];
    if (!acknowledged && timer.level === 1) {
      for (const [id, unit] of await directory.units(tx, timer.unitIds)) {
        units.set(id, unit);
      }
      const covers = [...units.values()].flatMap((u) => (u.onCallUnitId ? [u.onCallUnitId] : []));
      for (const [id, unit] of await directory.units(tx, covers)) {
        units.set(id, unit);
      }
      coordinatorUnitIds = !escalatesToCoordinator(timer)
        ? []
        : timer.coordinatorUnitId
          ? [timer.coordinatorUnitId]
          : timer.municipalityCode
            ? await directory.coordinatorUnits(tx, timer.municipalityCode)
            : [];
    }
    const decision = decideFiring({ timer, acknowledged, units, coordinatorUnitIds });
    await settleTimer(tx, timer.id, decision.status, now);
    if (decision.status === 'cancelled') {
      return null;
    }
    const { targetUnits } = decision;
    const skip = await alreadyEscalatedTo(tx, timer.objectType, timer.objectId);
    const recipients = (await directory.onDuty(tx, targetUnits, now)).filter(
      (r) => !skip.has(personKey(r)),
    );
    const created = await createNotifications(this.ctx, tx, timer.id, [
      {
        facts: {
          kind: 'notification_escalated',
          objectType: timer.objectType as ObjectType,
          objectId: timer.objectId,
          unitId: null,
          ...(timer.category ? { category: timer.category } : {}),
          ...(timer.urgency ? { urgency: timer.urgency } : {}),
          level: timer.level,
        },
        recipients,
      },
    ]);
    // The entry's parties as they stand before the next level is scheduled (the resolver reads the
    // timers too): the coordinator units are parties of the level-2 entry, not of this one.
    const partyOrgs = await notificationsAuditParties()(
      { objectType: timer.objectType, objectId: timer.objectId },
      tx,
    );
    if (decision.nextLevelUnits.length > 0) {
      await insertTimer(tx, {
        objectType: timer.objectType,
        objectId: timer.objectId,
        level: 2,
        dueAt: new Date(now.getTime() + this.ctx.config.coordinatorEscalationDelayMs),
        unitIds: decision.nextLevelUnits,
        category: timer.category,
        urgency: timer.urgency,
        municipalityCode: timer.municipalityCode,
        coordinatorUnitId: timer.coordinatorUnitId,
      });
    }
    this.ctx.metrics?.escalations.inc({ service: 'notifications', kind: timer.objectType });
    this.log.info(
      {
        objectType: timer.objectType,
        objectId: timer.objectId,
        level: timer.level,
        users: created.length,
      },
      'critical item escalated',
    );
    return {
      woken: created.map((c) => c.person),
      item: {
        // drain writes the target as the audit record: with its parties given, they are not
        // looked up again after the next level's timer exists.
        target: {
          action: 'notification.escalate',
          objectType: timer.objectType,
          objectId: timer.objectId,
          detail: { level: timer.level, units: targetUnits, users: created.length },
          partyOrgs,
        } as AuditTarget,
        events: [
          {
            type: NotificationEvents.escalated,
            data: {
              objectType: timer.objectType,
              objectId: timer.objectId,
              level: timer.level,
              deadline: timer.dueAt.toISOString(),
              escalatedToUnitIds: targetUnits,
              notifiedUsers: created.length,
            },
          },
        ],
      },
    };
  }
}
