import type { ObjectType } from '../kinds';
import type { NotificationFacts } from '../notification-text';

/**
 * The shape of a plan: who hears of what for one event, as audiences that
 * consumers/event-handlers.ts resolves against the directory read model. Pure.
 */

/** A group of people, as the read model finds them. */
export type Audience =
  /** active members of the units (the first unit a person is found in is theirs) */
  | { members: string[] }
  /** members with one of the roles; all members of a unit where nobody has them */
  | { membersPreferringRoles: string[]; roles: string[] }
  /** staff on duty at each unit (all members where nobody is); less whom an escalation reached */
  | { onDuty: string[]; notYetEscalated?: boolean }
  /** the people on shift whose unit is known; staff on duty at `orElseOnDuty` if there are none */
  | { onShift: Array<{ unitId: string; userId: string }>; orElseOnDuty: string[] }
  /** the people earlier notified of the object with `kind`, less the claimant (if any) */
  | { notifiedOf: NotificationFacts['kind']; except?: { unitId: string; userId: string } }
  /** the organisation's administrators */
  | { organisationAdmins: string };

export interface PlannedDraft {
  facts: NotificationFacts;
  audiences: Audience[];
  /** finding nobody is most likely early (the read model is behind): retry the event */
  required?: boolean;
}

export interface EscalationPlan {
  unitIds: string[];
  category?: string | null;
  urgency?: string | null;
  municipalityCode?: string | null;
  coordinatorUnitId?: string | null;
}

export interface EventPlan {
  object: { objectType: ObjectType; objectId: string };
  /** units the read model must know before anything is written (the event is retried until then) */
  requireUnits: string[];
  /** the object's pending escalation timers stop: someone has seen it */
  cancelEscalations: boolean;
  drafts: PlannedDraft[];
  /** the level-1 escalation timer to start (after the drafts are written) */
  escalate?: EscalationPlan;
}

/** What every draft of an event shares: the object, and its category and urgency if any. */
export type Base = Omit<NotificationFacts, 'kind' | 'unitId'>;

/** One notification of a plan: its facts (`unitId` null unless given) and its audiences. */
export const draft = (
  base: Base,
  facts: Pick<NotificationFacts, 'kind'> & Partial<NotificationFacts>,
  audiences: Audience[],
  required = false,
): PlannedDraft => ({
  facts: { ...base, ...facts, unitId: facts.unitId ?? null },
  audiences,
  ...(required ? { required } : {}),
});

/** A plan about the base's object: no unit required and no timer stopped unless `more` says. */
export const plan = (
  base: Base,
  drafts: PlannedDraft[],
  more: Partial<Omit<EventPlan, 'object' | 'drafts'>> = {},
): EventPlan => ({
  object: { objectType: base.objectType, objectId: base.objectId },
  requireUnits: [],
  cancelEscalations: false,
  drafts,
  ...more,
});
