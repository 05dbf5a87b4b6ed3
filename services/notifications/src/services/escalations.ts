import { randomUUID } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import { PeriodicPass, personKey, type Person } from '@samverkan/shared';
import type { EntityManager } from 'typeorm';
import { EscalationTimerEntity, NotificationEntity } from '../entities';
import {
  escalatesToCoordinator,
  escalationTargets,
  sameOrganisationCover,
} from '../domain/escalation';
import type { ObjectType } from '../domain/kinds';
import { NotificationEvents } from '../events/notification-events';
import type { NotificationsContext } from './context';
import { createNotifications } from './notifier';

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

/** Starts the level-1 timer of a critical item (once: a second call changes nothing). */
export async function scheduleEscalation(
  ctx: Pick<NotificationsContext, 'config'>,
  tx: EntityManager,
  subject: EscalationSubject,
  now = new Date(),
): Promise<void> {
  await tx
    .createQueryBuilder()
    .insert()
    .into(EscalationTimerEntity)
    .values({
      id: randomUUID(),
      objectType: subject.objectType,
      objectId: subject.objectId,
      level: 1,
      dueAt: new Date(now.getTime() + ctx.config.escalationDelayMs),
      status: 'pending',
      unitIds: subject.unitIds,
      category: subject.category ?? null,
      urgency: subject.urgency ?? null,
      municipalityCode: subject.municipalityCode ?? null,
      coordinatorUnitId: subject.coordinatorUnitId ?? null,
    })
    .orIgnore()
    .execute();
}

/** Stops every pending timer of an object: it was acknowledged, claimed or settled. */
export async function cancelEscalations(
  tx: EntityManager,
  objectType: string,
  objectId: string,
): Promise<number> {
  const result = await tx
    .createQueryBuilder()
    .update(EscalationTimerEntity)
    .set({ status: 'cancelled', settledAt: () => 'now()' })
    .where("object_type = :objectType AND object_id = :objectId AND status = 'pending'", {
      objectType,
      objectId,
    })
    .execute();
  return result.affected ?? 0;
}

/**
 * Fires due escalation timers. Every replica runs one; each pass claims due timers with
 * `FOR UPDATE SKIP LOCKED`, re-checks in the same transaction that nobody has acknowledged the
 * item, notifies the on-duty staff of the on-call units (level 1) or the regional coordinator
 * (level 2) — never a user who already had an escalation of this item — publishes
 * `notification.escalated`, and schedules the next level where the rules call for one.
 */
/** Every kind that tells someone an item was escalated to them, whoever raised it. */
const ESCALATION_KINDS = [
  'notification_escalated',
  'referral_escalated',
  'field_request_escalated',
];

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
  const rows = (await tx.query(
    `SELECT DISTINCT user_organisation_id, user_id FROM ${tx.getRepository(NotificationEntity).metadata.tablePath}
      WHERE object_type = $1 AND object_id = $2 AND kind = ANY($3::text[])`,
    [objectType, objectId, ESCALATION_KINDS],
  )) as Array<{ user_organisation_id: string; user_id: string }>;
  return new Set(
    rows.map((r) => personKey({ organisationId: r.user_organisation_id, userId: r.user_id })),
  );
}

export class EscalationWatcher extends PeriodicPass {
  constructor(
    private readonly ctx: NotificationsContext,
    log: FastifyBaseLogger,
  ) {
    super(ctx.config.escalationCheckMs, log, 'escalation');
  }

  /** One pass; returns how many timers fired (escalated or found settled). */
  async tick(now = new Date()): Promise<number> {
    let handled = 0;
    for (;;) {
      const woken: Person[] = [];
      const done = await this.ctx.events.transaction(async (tx) => {
        const due = await tx
          .getRepository(EscalationTimerEntity)
          .createQueryBuilder('t')
          .setLock('pessimistic_write')
          .setOnLocked('skip_locked')
          .where("t.status = 'pending' AND t.due_at <= :now", { now })
          .orderBy('t.due_at', 'ASC')
          .take(1)
          .getOne();
        if (!due) {
          return false;
        }
        woken.push(...(await this.fire(tx, due, now)));
        return true;
      });
      if (!done) {
        return handled;
      }
      this.ctx.feed.wake(woken);
      handled += 1;
    }
  }

  private async fire(
    tx: EntityManager,
    timer: EscalationTimerEntity,
    now: Date,
  ): Promise<Person[]> {
    const acknowledged = await tx
      .getRepository(NotificationEntity)
      .createQueryBuilder('n')
      .where(
        'n.object_type = :type AND n.object_id = :id AND n.requires_ack AND n.acknowledged_at IS NOT NULL',
        { type: timer.objectType, id: timer.objectId },
      )
      .getExists();
    timer.settledAt = now;
    if (acknowledged) {
      timer.status = 'cancelled';
      await tx.save(EscalationTimerEntity, timer);
      return [];
    }
    timer.status = 'fired';
    await tx.save(EscalationTimerEntity, timer);

    const { directory } = this.ctx;
    // The decision is the platform's one escalation rule (shared/src/domain/escalation.ts), the
    // same the referrals service's deadline watcher takes: level 1 each unit's same-organisation
    // on-call cover (or the unit itself), level 2 the coordinator units not already alerted.
    let targetUnits: string[];
    let coordinatorUnits: string[] = [];
    if (timer.level === 1) {
      const units = await directory.units(tx, timer.unitIds);
      const covers = await directory.units(
        tx,
        [...units.values()].flatMap((u) => (u.onCallUnitId ? [u.onCallUnitId] : [])),
      );
      const coordinators = !escalatesToCoordinator(timer)
        ? []
        : timer.coordinatorUnitId
          ? [timer.coordinatorUnitId]
          : timer.municipalityCode
            ? await directory.coordinatorUnits(tx, timer.municipalityCode)
            : [];
      const decision = escalationTargets({
        objectType: timer.objectType,
        category: timer.category,
        units: timer.unitIds.map((id) => {
          const unit = units.get(id);
          return {
            id,
            onCallUnitId: sameOrganisationCover(
              unit,
              unit?.onCallUnitId ? covers.get(unit.onCallUnitId) : undefined,
            ),
          };
        }),
        coordinatorUnitIds: coordinators,
      });
      targetUnits = decision.filter((t) => t.level === 1).map((t) => t.unitId);
      // Whether there is a level 2 is the rule's (escalatesToCoordinator). The timer names every
      // coordinator unit: one already alerted at level 1 is left out person by person when it
      // fires (`alreadyEscalatedTo`), which is whom the rule's level-2 targets leave out, and the
      // timer still records that level 2 was reached.
      coordinatorUnits = coordinators;
    } else {
      targetUnits = timer.unitIds;
    }
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
    await this.ctx.events.outbox.append(tx, NotificationEvents.escalated, {
      objectType: timer.objectType,
      objectId: timer.objectId,
      level: timer.level,
      deadline: timer.dueAt.toISOString(),
      escalatedToUnitIds: targetUnits,
      notifiedUsers: created.length,
    });
    this.ctx.metrics?.escalations.inc({ service: 'notifications', kind: timer.objectType });
    await this.ctx.audit.append(
      {
        actor: SYSTEM,
        action: 'notification.escalate',
        objectType: timer.objectType,
        objectId: timer.objectId,
        outcome: 'allowed',
        detail: { level: timer.level, units: targetUnits, users: created.length },
      },
      tx,
    );

    if (coordinatorUnits.length > 0) {
      await tx
        .createQueryBuilder()
        .insert()
        .into(EscalationTimerEntity)
        .values({
          id: randomUUID(),
          objectType: timer.objectType,
          objectId: timer.objectId,
          level: 2,
          dueAt: new Date(now.getTime() + this.ctx.config.coordinatorEscalationDelayMs),
          status: 'pending',
          unitIds: coordinatorUnits,
          category: timer.category,
          urgency: timer.urgency,
          municipalityCode: timer.municipalityCode,
          coordinatorUnitId: timer.coordinatorUnitId,
        })
        .orIgnore()
        .execute();
    }
    this.log.info(
      {
        objectType: timer.objectType,
        objectId: timer.objectId,
        level: timer.level,
        users: created.length,
      },
      'critical item escalated',
    );
    return created.map((c) => c.person);
  }
}
