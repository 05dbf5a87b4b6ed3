/** Categories whose unacknowledged items escalate further, to the regional coordinator. */
export const TRAFFICKING_CATEGORIES: ReadonlySet<string> = new Set([
  'trafficking_sexual',
  'trafficking_labour',
  'child_sexual_exploitation',
]);

/** Whether a fired level-1 escalation goes on to the regional coordinator. */
export function escalatesToCoordinator(timer: {
  objectType: string;
  category: string | null;
}): boolean {
  return (
    timer.objectType === 'field_request' ||
    (timer.category !== null && TRAFFICKING_CATEGORIES.has(timer.category))
  );
}

/**
 * The units a level-1 escalation alerts: each unit's on-call unit, or the unit itself where it
 * names none (so that nothing acute goes unseen).
 */
export function onCallTargets(
  unitIds: string[],
  onCallOf: (unitId: string) => string | null | undefined,
): string[] {
  return [...new Set(unitIds.map((id) => onCallOf(id) ?? id))];
}

/**
 * The on-call unit that may cover for a unit: only an active unit of the same organisation.
 * Another organisation's unit (an on-call setting the directory no longer accepts) cannot act on
 * the item, so the unit's own staff are alerted instead.
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
