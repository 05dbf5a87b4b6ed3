/**
 * Acknowledgement deadlines and who is escalated to when one passes (docs/architecture.md#referral-lifecycle).
 *
 * Durations are absolute (milliseconds added to an instant), never calendar arithmetic: "3 days"
 * is 72 hours even across a daylight-saving change, and nights and weekends count. That is
 * deliberate: an unacknowledged referral escalates to on-call staff, who work around the clock,
 * so there is no business-hours calendar to respect.
 */

export const URGENCIES = ['acute', 'urgent', 'routine'] as const;
export type Urgency = (typeof URGENCIES)[number];

/** Milliseconds until acknowledgement is due, per urgency. */
export type DeadlineConfig = Readonly<Record<Urgency, number>>;

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

export const DEFAULT_DEADLINES: DeadlineConfig = Object.freeze({
  acute: 15 * MINUTE,
  urgent: 4 * HOUR,
  routine: 3 * DAY,
});

/** No deadline may be longer than this; a longer one is surely a typo. */
export const MAX_DEADLINE = 30 * DAY;

const UNIT_MS: Record<string, number> = { s: SECOND, m: MINUTE, h: HOUR, d: DAY };

export const DEADLINES_VARIABLE = 'REFERRALS_ACKNOWLEDGE_DEADLINES';

export function acknowledgeDeadline(
  urgency: Urgency,
  createdAt: Date,
  config: DeadlineConfig = DEFAULT_DEADLINES,
): Date {
  return new Date(createdAt.getTime() + config[urgency]);
}

/**
 * Whether a referral has missed its acknowledgement deadline. Due at the deadline itself, not a
 * moment after: an escalation job scheduled for exactly the deadline must see it as missed, or
 * an acute referral would expire silently.
 */
export function isAcknowledgementOverdue(
  referral: { status: string; acknowledgedAt: Date | null },
  deadline: Date,
  now: Date,
): boolean {
  return (
    referral.status === 'sent' &&
    referral.acknowledgedAt === null &&
    now.getTime() >= deadline.getTime()
  );
}

/**
 * Parses `acute=15m,urgent=4h,routine=3d` (units s, m, h, d; whole numbers). Missing urgencies
 * keep their default; blank or undefined gives the defaults. Throws an Error naming the variable
 * on anything else, for the config loader to fail fast at boot.
 */
export function parseDeadlineConfig(
  value: string | undefined,
  variable: string = DEADLINES_VARIABLE,
): DeadlineConfig {
  const fail = (why: string): never => {
    throw new Error(
      `${variable} is invalid: ${why} (expected e.g. "acute=15m,urgent=4h,routine=3d")`,
    );
  };
  if (value === undefined || value.trim() === '') {
    return DEFAULT_DEADLINES;
  }
  const config: Record<Urgency, number> = { ...DEFAULT_DEADLINES };
  const given = new Set<string>();
  for (const part of value.split(',')) {
    const entry = part.trim();
    const match = /^([a-z]+)\s*=\s*(\d{1,6})\s*([smhd])$/.exec(entry);
    if (!match) {
      fail(entry === '' ? 'an entry is empty' : `cannot read "${entry}"`);
    }
    const [, key = '', amount = '', unit = ''] = match ?? [];
    if (!(URGENCIES as readonly string[]).includes(key)) {
      fail(`unknown urgency "${key}" (known: ${URGENCIES.join(', ')})`);
    }
    if (given.has(key)) {
      fail(`"${key}" is given twice`);
    }
    given.add(key);
    const ms = Number(amount) * (UNIT_MS[unit] ?? NaN);
    if (!(ms > 0)) {
      fail(`"${key}" must be longer than zero`);
    }
    if (ms > MAX_DEADLINE) {
      fail(`"${key}" must be at most 30 days`);
    }
    config[key as Urgency] = ms;
  }
  if (!(config.acute <= config.urgent && config.urgent <= config.routine)) {
    fail('deadlines must not be longer for a more urgent referral (acute ≤ urgent ≤ routine)');
  }
  return Object.freeze(config);
}

// ----- escalation ------------------------------------------------------------

export const TRAFFICKING_CATEGORIES = [
  'trafficking_sexual',
  'trafficking_labour',
  'child_sexual_exploitation',
] as const;

export function isTraffickingCategory(category: string): boolean {
  return (TRAFFICKING_CATEGORIES as readonly string[]).includes(category);
}

export interface EscalationTarget {
  level: 1 | 2;
  kind: 'unit_on_call' | 'coordinator';
  /** whose on-duty staff (directory `/v1/units/{id}/on-duty`) are to be alerted */
  unitId: string;
}

export interface EscalationFacts {
  category: string;
  /** the recipient unit, from the directory */
  recipientUnit: { id: string; onCallUnitId: string | null };
  /** the regional coordinator units for the referral's area, from the directory */
  coordinatorUnitIds: readonly string[];
}

/**
 * The on-call unit that may cover for a unit's missed deadline: the one the directory names, only
 * when it belongs to the same organisation and is active. Anything else — another organisation's
 * unit (set before the directory refused it), a unit that is gone — yields null, so the unit's
 * own staff are alerted instead of outsiders who cannot act on the item.
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
 * Who to alert when acknowledgement is overdue: level 1 the recipient unit's on-call unit, or,
 * when it names none, the recipient unit's own on-duty staff, so that something always fires;
 * level 2, for trafficking categories only, each coordinator unit that is not already alerted.
 */
export function escalationTargets(facts: EscalationFacts): EscalationTarget[] {
  const firstUnit = facts.recipientUnit.onCallUnitId ?? facts.recipientUnit.id;
  const targets: EscalationTarget[] = [{ level: 1, kind: 'unit_on_call', unitId: firstUnit }];
  if (isTraffickingCategory(facts.category)) {
    // The recipient is left out: escalating a coordinator unit's own missed deadline to that same
    // unit adds nothing; level 1 already reaches its on-call cover.
    const alerted = new Set([firstUnit, facts.recipientUnit.id]);
    for (const unitId of facts.coordinatorUnitIds) {
      if (!alerted.has(unitId)) {
        alerted.add(unitId);
        targets.push({ level: 2, kind: 'coordinator', unitId });
      }
    }
  }
  return targets;
}
