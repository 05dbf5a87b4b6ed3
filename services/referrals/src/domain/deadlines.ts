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

// Who is alerted when a deadline passes is the platform's one escalation rule, shared with the
// notifications service's timers (shared/src/domain/escalation.ts).
export {
  escalationTargets,
  isTraffickingCategory,
  sameOrganisationCover,
  TRAFFICKING_CATEGORIES,
  type EscalationFacts,
  type EscalationTarget,
} from '@samverkan/shared';
