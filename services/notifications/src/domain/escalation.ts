import {
  escalatesToCoordinator,
  escalationTargets,
  sameOrganisationCover,
} from '@samverkan/shared';

/**
 * The escalation rule is the platform's, in one place (shared/src/domain/escalation.ts): the
 * referrals service's deadline watcher and our timers both take it from there, so that they
 * cannot drift apart.
 */
export {
  escalatesToCoordinator,
  escalationTargets,
  onCallTargets,
  sameOrganisationCover,
  TRAFFICKING_CATEGORIES,
} from '@samverkan/shared';

/** Every kind that tells someone an item was escalated to them, whoever raised it. */
export const ESCALATION_KINDS = [
  'notification_escalated',
  'referral_escalated',
  'field_request_escalated',
];

/** A due escalation timer, as the watcher claimed it. */
export interface DueTimer {
  objectType: string;
  level: number;
  unitIds: string[];
  category: string | null;
}

/** A unit of the read model, as the rule needs it. */
export interface EscalationUnit {
  unitId: string;
  organisationId: string;
  status: string;
  onCallUnitId: string | null;
}

export type FiringDecision =
  /** somebody acknowledged the item meanwhile: the timer is settled without alerting anyone */
  | { status: 'cancelled' }
  | {
      status: 'fired';
      /** the units whose staff on duty are alerted now */
      targetUnits: string[];
      /** the coordinator units of a level-2 timer to schedule (none: no next level) */
      nextLevelUnits: string[];
    };

/**
 * What a due timer does: nothing if the item was acknowledged; at level 1 alert each unit's
 * same-organisation on-call cover (or the unit itself) and, where the rule goes on to the
 * coordinator (`escalatesToCoordinator`), schedule level 2 for every coordinator unit — one already
 * alerted at level 1 is left out person by person when it fires (the people already escalated
 * to), which is whom the rule's level-2 targets leave out; at level 2 alert the timer's units.
 */
export function decideFiring(input: {
  timer: DueTimer;
  acknowledged: boolean;
  /** the read model's units of the timer and their on-call covers */
  units: ReadonlyMap<string, EscalationUnit>;
  /** the coordinator units the rule would go on to (empty when it does not) */
  coordinatorUnitIds: string[];
}): FiringDecision {
  const { timer, units } = input;
  if (input.acknowledged) {
    return { status: 'cancelled' };
  }
  if (timer.level !== 1) {
    return { status: 'fired', targetUnits: timer.unitIds, nextLevelUnits: [] };
  }
  const targets = escalationTargets({
    objectType: timer.objectType,
    category: timer.category,
    units: timer.unitIds.map((id) => {
      const unit = units.get(id);
      return {
        id,
        onCallUnitId: sameOrganisationCover(
          unit,
          unit?.onCallUnitId ? units.get(unit.onCallUnitId) : undefined,
        ),
      };
    }),
    coordinatorUnitIds: input.coordinatorUnitIds,
  });
  return {
    status: 'fired',
    targetUnits: targets.filter((t) => t.level === 1).map((t) => t.unitId),
    nextLevelUnits: escalatesToCoordinator(timer) ? input.coordinatorUnitIds : [],
  };
}
