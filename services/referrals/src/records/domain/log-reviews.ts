import { CommonProblems, hasRole, ProblemError, type Principal } from '@samverkan/shared';
import { RecordsProblems as R } from '../records.errors';
import {
  CONTENT_READS,
  pickReviewItems,
  type ReviewEntry,
  type ReviewFinding,
  type ReviewShift,
} from '../log-review';

export const DEFAULT_SAMPLE_SIZE = 20;
/** At most this many entries of a period are looked at; a longer period must be split. */
export const MAX_PERIOD_ENTRIES = 200_000;
const MAX_PERIOD_DAYS = 366;

export interface ReviewCreate {
  from: string;
  to: string;
  sampleSize?: number;
}

/** A log review as stored (`audit_reviews`). */
export interface ReviewRecord {
  id: string;
  organisationId: string;
  periodFrom: Date;
  periodTo: Date;
  sampleSize: number;
  seed: string;
  headSeq: string;
  readsInPeriod: number;
  createdBy: string;
  createdByIssuer: string | null;
  createdAt: Date;
  status: string;
  signedOffBy: string | null;
  signedOffByIssuer: string | null;
  signedOffAt: Date | null;
  conclusion: string | null;
  version: number;
}

/** One picked entry of a review as stored (`audit_review_items`). */
export interface ReviewItemRecord {
  itemNo: number;
  auditSeq: string;
  at: Date;
  actorSub: string;
  actorIssuer: string | null;
  actorOrg: string | null;
  action: string;
  objectType: string;
  objectId: string | null;
  outcome: string;
  reasons: string[];
  finding: string | null;
  findingReference: string | null;
  foundBy: string | null;
  foundByIssuer: string | null;
  foundAt: Date | null;
}

export interface LoadedReview {
  review: ReviewRecord;
  items: ReviewItemRecord[];
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);

/** A person as the hub knows them: token issuer and subject (null issuer on older rows). */
const person = (issuer: string | null, subject: string) => ({ issuer, subject });

export function findingsOf(items: Pick<ReviewItemRecord, 'finding'>[]) {
  const findings = { appropriate: 0, inappropriate: 0, needs_follow_up: 0, open: 0 };
  for (const i of items) {
    findings[(i.finding as ReviewFinding | null) ?? 'open'] += 1;
  }
  return findings;
}

/** The log review resource (openapi/referrals.yaml `LogReview`). */
export function reviewView(review: ReviewRecord, items: ReviewItemRecord[]) {
  return {
    id: review.id,
    organisationId: review.organisationId,
    from: review.periodFrom.toISOString(),
    to: review.periodTo.toISOString(),
    sampleSize: review.sampleSize,
    seed: review.seed,
    headSeq: Number(review.headSeq),
    readsInPeriod: review.readsInPeriod,
    createdBy: person(review.createdByIssuer, review.createdBy),
    createdAt: review.createdAt.toISOString(),
    status: review.status as 'open' | 'signed_off',
    signedOffBy: review.signedOffBy ? person(review.signedOffByIssuer, review.signedOffBy) : null,
    signedOffAt: iso(review.signedOffAt),
    conclusion: review.conclusion as 'no_remarks' | 'remarks' | null,
    findings: findingsOf(items),
    items: items.map((i) => ({
      itemNo: i.itemNo,
      auditSeq: Number(i.auditSeq),
      at: i.at.toISOString(),
      person: i.actorSub,
      issuer: i.actorIssuer,
      organisationId: i.actorOrg,
      action: i.action,
      objectType: i.objectType,
      objectId: i.objectId,
      outcome: i.outcome as 'allowed' | 'denied',
      reasons: i.reasons,
      finding: i.finding as ReviewFinding | null,
      findingReference: i.findingReference,
      foundBy: i.foundBy ? person(i.foundByIssuer, i.foundBy) : null,
      foundAt: iso(i.foundAt),
    })),
  };
}

export type ReviewView = ReturnType<typeof reviewView>;

/** Log reviews are for the auditors of an organisation (403 otherwise). */
export function requireAuditor(principal: Principal): void {
  if (!hasRole(principal, 'auditor')) {
    throw new ProblemError(
      CommonProblems.forbidden,
      'Log reviews are for the auditors of an organisation',
    );
  }
}

/** A review of another organisation is answered as one that does not exist. */
export function requireOwnReview(
  principal: Principal,
  loaded: LoadedReview | null,
): asserts loaded is LoadedReview {
  if (!loaded || loaded.review.organisationId !== principal.org) {
    throw new ProblemError(R.reviewNotFound);
  }
}

/** The period of a new review: times, in order, at most a year, not in the future. */
export function reviewPeriod(input: ReviewCreate, now: Date): { from: Date; to: Date } {
  const from = new Date(input.from);
  const to = new Date(input.to);
  const bad = (field: string, message: string) =>
    new ProblemError(CommonProblems.validation, `${field} ${message}`, {
      errors: [{ field: `body.${field}`, message }],
    });
  if (Number.isNaN(from.getTime())) {
    throw bad('from', 'is not a time');
  }
  if (Number.isNaN(to.getTime())) {
    throw bad('to', 'is not a time');
  }
  if (from >= to) {
    throw bad('from', 'must be before to');
  }
  if (to.getTime() - from.getTime() > MAX_PERIOD_DAYS * 86_400_000) {
    throw bad('to', `must be at most ${MAX_PERIOD_DAYS} days after from`);
  }
  if (to.getTime() > now.getTime() + 60_000) {
    throw bad('to', 'must not be in the future');
  }
  return { from, to };
}

/** A period with more entries than a review looks at must be split. */
export function checkPeriodSize(entries: number): void {
  if (entries > MAX_PERIOD_ENTRIES) {
    throw new ProblemError(
      CommonProblems.validation,
      `More than ${MAX_PERIOD_ENTRIES} entries in the period: review a shorter one`,
      { errors: [{ field: 'body.to', message: 'gives too many entries' }] },
    );
  }
}

/** A new review: the picked entries (domain in log-review.ts) and the review's own record. */
export function newReview(
  principal: Principal,
  spec: { id: string; seed: string; from: Date; to: Date; sampleSize: number },
  loaded: { entries: ReviewEntry[]; shifts: ReviewShift[]; headSeq: string },
  now: Date,
): LoadedReview {
  const { entries, shifts } = loaded;
  const picks = pickReviewItems({ entries, shifts, sampleSize: spec.sampleSize, seed: spec.seed });
  return {
    review: {
      id: spec.id,
      organisationId: principal.org,
      periodFrom: spec.from,
      periodTo: spec.to,
      sampleSize: spec.sampleSize,
      seed: spec.seed,
      headSeq: loaded.headSeq,
      readsInPeriod: entries.filter(
        (e) => e.outcome === 'allowed' && (CONTENT_READS as readonly string[]).includes(e.action),
      ).length,
      createdBy: principal.sub,
      createdByIssuer: principal.iss,
      createdAt: now,
      status: 'open',
      signedOffBy: null,
      signedOffByIssuer: null,
      signedOffAt: null,
      conclusion: null,
      version: 1,
    },
    items: picks.map((p, i) => ({
      itemNo: i + 1,
      auditSeq: String(p.entry.seq),
      at: p.entry.at,
      actorSub: p.entry.actorSub,
      actorIssuer: p.entry.actorIssuer,
      actorOrg: p.entry.actorOrg,
      action: p.entry.action,
      objectType: p.entry.objectType,
      objectId: p.entry.objectId,
      outcome: p.entry.outcome,
      reasons: p.reasons,
      finding: null,
      findingReference: null,
      foundBy: null,
      foundByIssuer: null,
      foundAt: null,
    })),
  };
}

/** A finding on an item of an open review; the review as it is after it. */
export function decideFinding(
  principal: Principal,
  loaded: LoadedReview,
  itemNo: number,
  input: { finding: ReviewFinding; reference?: string | null },
  now: Date,
): { item: ReviewItemRecord; after: LoadedReview } {
  if (loaded.review.status !== 'open') {
    throw new ProblemError(R.reviewSignedOff);
  }
  const found = loaded.items.find((i) => i.itemNo === itemNo);
  if (!found) {
    throw new ProblemError(R.reviewItemNotFound);
  }
  const item: ReviewItemRecord = {
    ...found,
    finding: input.finding,
    findingReference: input.reference ?? null,
    foundBy: principal.sub,
    foundByIssuer: principal.iss,
    foundAt: now,
  };
  const items = loaded.items.map((i) => (i.itemNo === itemNo ? item : i));
  return { item, after: { review: loaded.review, items } };
}

/**
 * The sign-off of an open review: every item has a finding, and a review with an inappropriate
 * access is concluded with remarks. The review as it is after it.
 */
export function decideSignOff(
  principal: Principal,
  loaded: LoadedReview,
  conclusion: 'no_remarks' | 'remarks',
  now: Date,
): LoadedReview {
  if (loaded.review.status !== 'open') {
    throw new ProblemError(R.reviewSignedOff);
  }
  const findings = findingsOf(loaded.items);
  if (findings.open > 0) {
    throw new ProblemError(R.reviewIncomplete, `${findings.open} items have no finding yet`);
  }
  if (conclusion === 'no_remarks' && findings.inappropriate > 0) {
    throw new ProblemError(
      CommonProblems.validation,
      'A review with an inappropriate access cannot be concluded without remarks',
      { errors: [{ field: 'body.conclusion', message: 'must be remarks' }] },
    );
  }
  return {
    review: {
      ...loaded.review,
      status: 'signed_off',
      signedOffBy: principal.sub,
      signedOffByIssuer: principal.iss,
      signedOffAt: now,
      conclusion,
      version: loaded.review.version + 1,
    },
    items: loaded.items,
  };
}
