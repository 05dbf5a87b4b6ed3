/**
 * The escalation rule, in one place for every service (issue 15: one escalation owner).
 *
 * Two engines carry it out, each for the deadline it owns: the referrals service's deadline
 * watcher (a referral not acknowledged by its `acknowledge_by`) and the notifications service's
 * escalation timers (a critical notification nobody acknowledged). Neither decides on its own who
 * is alerted: both ask the functions below, so that they cannot drift apart, and
 * `shared/src/domain/escalation.spec.ts` fails if a service keeps a copy of its own.
 *
 * - Level 1: each unit's on-call unit, only an active unit of the same organisation; otherwise the
 *   unit's own on-duty staff, so that nothing acute goes unseen.
 * - Level 2: the regional coordinator, for the trafficking categories and for field requests
 *   only; never a unit already alerted at level 1.
 */

/** Categories whose unacknowledged items escalate further, to the regional coordinator. */
export const TRAFFICKING_CATEGORIES = [
  'trafficking_sexual',
  'trafficking_labour',
  'child_sexual_exploitation',
] as const;

export function isTraffickingCategory(category: string | null | undefined): boolean {
  return (
    typeof category === 'string' && (TRAFFICKING_CATEGORIES as readonly string[]).includes(category)
  );
}

/** What an escalation is about: a referral (with its category) or a field request. */
export interface EscalationSubjectKind {
  objectType: string;
  category: string | null | undefined;
}

/** Whether an item's escalation goes on to the regional coordinator (level 2). */
export function escalatesToCoordinator(subject: EscalationSubjectKind): boolean {
  return subject.objectType === 'field_request' || isTraffickingCategory(subject.category);
}

/**
 * The on-call unit that may cover for a unit: the one the directory names, only when it belongs to
 * the same organisation and is active. Anything else — another organisation's unit (an on-call
 * setting the directory no longer accepts), a unit that is gone — yields null, so the unit's own
 * staff are alerted instead of outsiders who cannot act on the item.
 */
export function sameOrganisationCover(
  unit: { organisationId: string; onCallUnitId: string | null } | undefined,
  cover: { unitId: string; organisationId: string; status: string } | undefined,
): string | null {
  if (!unit?.onCallUnitId || !cover || cover.unitId !== unit.onCallUnitId) {
    return null;
  }
  return cover.organisationId === unit.organisationId && cover.status === 'active'
    ? cover.unitId
    : null;
}

/**
 * The units a level-1 escalation alerts: each unit's on-call cover, or the unit itself where it
 * has none (`onCallOf` answers `sameOrganisationCover` for the unit).
 */
export function onCallTargets(
  unitIds: readonly string[],
  onCallOf: (unitId: string) => string | null | undefined,
): string[] {
  return [...new Set(unitIds.map((id) => onCallOf(id) ?? id))];
}

/** The coordinator units a level-2 escalation alerts: those not alerted already. */
export function coordinatorTargets(
  coordinatorUnitIds: readonly string[],
  alreadyAlerted: readonly string[],
): string[] {
  const alerted = new Set(alreadyAlerted);
  const out: string[] = [];
  for (const unitId of coordinatorUnitIds) {
    if (!alerted.has(unitId)) {
      alerted.add(unitId);
      out.push(unitId);
    }
  }
  return out;
}

export interface EscalationTarget {
  level: 1 | 2;
  kind: 'unit_on_call' | 'coordinator';
  /** whose on-duty staff (directory `/v1/units/{id}/on-duty`) are to be alerted */
  unitId: string;
}

export interface EscalationFacts extends EscalationSubjectKind {
  /** the units whose deadline passed, each with its same-organisation on-call cover (or null) */
  units: ReadonlyArray<{ id: string; onCallUnitId: string | null }>;
  /** the regional coordinator units for the item's area, from the directory */
  coordinatorUnitIds: readonly string[];
}

/**
 * The whole decision when a deadline passes: level 1 the units' on-call cover (or the units
 * themselves), level 2 — where `escalatesToCoordinator` — each coordinator unit not already alerted
 * (a coordinator unit's own missed deadline is not escalated to itself).
 */
export function escalationTargets(facts: EscalationFacts): EscalationTarget[] {
  const cover = new Map(facts.units.map((u) => [u.id, u.onCallUnitId]));
  const first = onCallTargets(
    facts.units.map((u) => u.id),
    (id) => cover.get(id),
  );
  const targets: EscalationTarget[] = first.map((unitId) => ({
    level: 1,
    kind: 'unit_on_call',
    unitId,
  }));
  if (escalatesToCoordinator(facts)) {
    for (const unitId of coordinatorTargets(facts.coordinatorUnitIds, [
      ...first,
      ...facts.units.map((u) => u.id),
    ])) {
      targets.push({ level: 2, kind: 'coordinator', unitId });
    }
  }
  return targets;
}
