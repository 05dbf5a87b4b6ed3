import { createHash } from 'node:crypto';

/**
 * Which audit entries a log review puts before the auditor (docs/log-review.md), as a pure
 * function of the entries of the period, so that the same input gives the same review:
 *
 * - `sampled`: a random sample of the content reads (envelopes, message threads, field-request
 *   envelopes), drawn with a seed that the review records;
 * - `outside_office_hours`: a read outside office hours (Monday–Friday 07:00–18:00,
 *   Europe/Stockholm) while the person was on none of their on-call shifts;
 * - `unusual_volume`: the read with which a person passed the volume limit of the period (more
 *   than `max(VOLUME_FLOOR, VOLUME_FACTOR × the median of the persons' reads)`);
 * - `after_decline` / `after_withdrawal`: a read of a referral (or an attempt) within
 *   `AFTER_CLOSE_HOURS` after it was declined or withdrawn;
 * - `acute_protection_override`: a referral sent under the legal basis `acute_protection`;
 * - `repeated_denials`: every refused attempt of a person refused `DENIAL_LIMIT` times or more.
 */

export const CONTENT_READS = [
  'referral.envelope_read',
  'referral.messages_read',
  'field_request.envelope_read',
] as const;

export const REVIEW_REASONS = [
  'sampled',
  'outside_office_hours',
  'unusual_volume',
  'after_decline',
  'after_withdrawal',
  'acute_protection_override',
  'repeated_denials',
] as const;
export type ReviewReason = (typeof REVIEW_REASONS)[number];

export const REVIEW_FINDINGS = ['appropriate', 'inappropriate', 'needs_follow_up'] as const;
export type ReviewFinding = (typeof REVIEW_FINDINGS)[number];

export const OFFICE_HOURS = { firstHour: 7, endHour: 18 } as const;
export const VOLUME_FLOOR = 30;
export const VOLUME_FACTOR = 3;
export const AFTER_CLOSE_HOURS = 24;
export const DENIAL_LIMIT = 3;
export const MAX_REVIEW_ITEMS = 500;

export interface ReviewEntry {
  seq: number;
  at: Date;
  actorSub: string;
  actorIssuer: string | null;
  actorOrg: string | null;
  action: string;
  objectType: string;
  objectId: string | null;
  outcome: 'allowed' | 'denied' | string;
  detail: Record<string, unknown>;
}

export interface ReviewShift {
  /** the person, as the token subject */
  userId: string;
  startsAt: Date;
  endsAt: Date;
}

export interface ReviewPick {
  entry: ReviewEntry;
  reasons: ReviewReason[];
}

const STOCKHOLM = new Intl.DateTimeFormat('en-GB', {
  timeZone: 'Europe/Stockholm',
  weekday: 'short',
  hour: '2-digit',
  hourCycle: 'h23',
});

/** Whether `at` is within office hours in Swedish time (public holidays are not known). */
export function withinOfficeHours(at: Date): boolean {
  const parts = Object.fromEntries(STOCKHOLM.formatToParts(at).map((p) => [p.type, p.value]));
  const hour = Number(parts.hour);
  const weekend = parts.weekday === 'Sat' || parts.weekday === 'Sun';
  return !weekend && hour >= OFFICE_HOURS.firstHour && hour < OFFICE_HOURS.endHour;
}

/** A reproducible pseudo-random sequence in [0, 1) from a seed (SHA-256 in counter mode). */
export function seededRandom(seed: string): () => number {
  let counter = 0;
  return () => {
    const digest = createHash('sha256').update(`${seed}:${counter++}`).digest();
    return digest.readUInt32BE(0) / 2 ** 32;
  };
}

/** `k` distinct items drawn uniformly (a partial Fisher–Yates shuffle with the seeded sequence). */
export function sample<T>(items: readonly T[], k: number, seed: string): T[] {
  const pool = [...items];
  const random = seededRandom(seed);
  const n = Math.min(k, pool.length);
  for (let i = 0; i < n; i += 1) {
    const j = i + Math.floor(random() * (pool.length - i));
    [pool[i], pool[j]] = [pool[j]!, pool[i]!];
  }
  return pool.slice(0, n);
}

function median(values: number[]): number {
  if (values.length === 0) {
    return 0;
  }
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

const person = (e: Pick<ReviewEntry, 'actorSub' | 'actorIssuer'>) =>
  `${e.actorIssuer ?? ''}\n${e.actorSub}`;

/**
 * Picks the review's items from the period's entries (oldest first): each entry at most once,
 * with every reason that applies, ordered by sequence number, at most `MAX_REVIEW_ITEMS`
 * (unusual ones first, then the sample).
 */
export function pickReviewItems(input: {
  entries: readonly ReviewEntry[];
  shifts: readonly ReviewShift[];
  sampleSize: number;
  seed: string;
}): ReviewPick[] {
  const reasons = new Map<number, Set<ReviewReason>>();
  const bySeq = new Map(input.entries.map((e) => [e.seq, e]));
  const flag = (e: ReviewEntry, reason: ReviewReason) => {
    const set = reasons.get(e.seq) ?? new Set<ReviewReason>();
    set.add(reason);
    reasons.set(e.seq, set);
  };
  const isRead = (e: ReviewEntry) => (CONTENT_READS as readonly string[]).includes(e.action);
  const reads = input.entries.filter((e) => isRead(e) && e.outcome === 'allowed');

  const onShift = (e: ReviewEntry) =>
    input.shifts.some((s) => s.userId === e.actorSub && s.startsAt <= e.at && s.endsAt > e.at);
  for (const e of reads) {
    if (!withinOfficeHours(e.at) && !onShift(e)) {
      flag(e, 'outside_office_hours');
    }
  }

  const perPerson = new Map<string, ReviewEntry[]>();
  for (const e of reads) {
    perPerson.set(person(e), [...(perPerson.get(person(e)) ?? []), e]);
  }
  const limit = Math.max(
    VOLUME_FLOOR,
    VOLUME_FACTOR * median([...perPerson.values()].map((l) => l.length)),
  );
  for (const list of perPerson.values()) {
    if (list.length > limit) {
      flag(list[Math.floor(limit)]!, 'unusual_volume');
    }
  }

  const closings = input.entries.filter(
    (e) =>
      e.outcome === 'allowed' &&
      e.objectType === 'referral' &&
      (e.action === 'referral.decline' || e.action === 'referral.withdraw'),
  );
  for (const closing of closings) {
    const until = closing.at.getTime() + AFTER_CLOSE_HOURS * 3_600_000;
    for (const e of input.entries) {
      if (
        isRead(e) &&
        e.objectId === closing.objectId &&
        e.at.getTime() > closing.at.getTime() &&
        e.at.getTime() <= until
      ) {
        flag(e, closing.action === 'referral.decline' ? 'after_decline' : 'after_withdrawal');
      }
    }
  }

  for (const e of input.entries) {
    if (
      e.action === 'referral.send' &&
      e.outcome === 'allowed' &&
      e.detail.legalBasis === 'acute_protection'
    ) {
      flag(e, 'acute_protection_override');
    }
  }

  const denials = new Map<string, ReviewEntry[]>();
  for (const e of input.entries.filter((x) => x.outcome === 'denied')) {
    denials.set(person(e), [...(denials.get(person(e)) ?? []), e]);
  }
  for (const list of denials.values()) {
    if (list.length >= DENIAL_LIMIT) {
      list.slice(0, 50).forEach((e) => flag(e, 'repeated_denials'));
    }
  }

  const unusual = [...reasons.keys()].sort((a, b) => a - b);
  const room = Math.max(0, MAX_REVIEW_ITEMS - unusual.length);
  for (const e of sample(reads, Math.min(input.sampleSize, room), input.seed)) {
    flag(e, 'sampled');
  }
  return [...reasons.entries()]
    .sort(([a], [b]) => a - b)
    .slice(0, MAX_REVIEW_ITEMS)
    .map(([seq, set]) => ({
      entry: bySeq.get(seq)!,
      reasons: REVIEW_REASONS.filter((r) => set.has(r)),
    }));
}
