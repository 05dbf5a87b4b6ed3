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
