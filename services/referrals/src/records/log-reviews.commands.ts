import { randomBytes, randomUUID } from 'node:crypto';
import {
  ProblemError,
  type CommandDefinition,
  type CommandPipeline,
  type Principal,
} from '@samverkan/shared';
import {
  checkPeriodSize,
  decideFinding,
  decideSignOff,
  DEFAULT_SAMPLE_SIZE,
  findingsOf,
  newReview,
  reviewPeriod,
  reviewView,
  type LoadedReview,
  type ReviewCreate,
  type ReviewView,
} from './domain/log-reviews';
import { CONTENT_READS, type ReviewFinding } from './log-review';
import type { LogReviewsRepository } from './log-reviews.repository';
import { RecordsProblems as R } from './records.errors';

interface NewReviewSpec {
  id: string;
  seed: string;
  from: Date;
  to: Date;
  sampleSize: number;
}

/**
 * The log review writes, each one statement on the write pipeline; the rules in
 * domain/log-reviews.ts. A finding and a sign-off work on the review `ownReview` loaded (one
 * statement, its 403/404 audited with the bare target, as a read's); the pipeline's load step
 * hands it on.
 */
export function createLogReviewCommands(
  pipeline: CommandPipeline,
  repository: LogReviewsRepository,
  /** the caller's own review, or an audited 403/404 */
  ownReview: (principal: Principal, id: string, action: string) => Promise<LoadedReview>,
  requireAuditor: (principal: Principal, action: string) => Promise<void>,
  chainPending: () => Promise<unknown>,
) {
  const view = ({ review, items }: LoadedReview) => reviewView(review, items);

  const generate = (
    principal: Principal,
  ): CommandDefinition<
    NewReviewSpec,
    Awaited<ReturnType<LogReviewsRepository['shiftsAndHead']>> & {
      entries: Awaited<ReturnType<LogReviewsRepository['periodEntries']>>;
    },
    LoadedReview,
    ReviewView
  > => ({
    target: (s) => ({
      action: 'audit.review_generate',
      objectType: 'audit_review',
      objectId: s.id,
      objectOrg: principal.org,
      detail: {
        from: s.from.toISOString(),
        to: s.to.toISOString(),
        sampleSize: s.sampleSize,
        seed: s.seed,
      },
    }),
    async load(s) {
      const entries = await repository.periodEntries(s.from, s.to, principal.org, CONTENT_READS);
      // Too long a period is refused before anything is written, as a request error.
      checkPeriodSize(entries.length);
      return { entries, ...(await repository.shiftsAndHead(s.from, s.to)) };
    },
    authorize: () => undefined,
    decide: (s, loaded, now) => newReview(principal, s, loaded, now),
    persist: (created, sql) => repository.insert(sql, created),
    events: () => [],
    audit: () => ({ detail: {}, partyOrgs: [] }),
    answer: view,
  });

  return {
    async create(principal: Principal, input: ReviewCreate): Promise<ReviewView> {
      await requireAuditor(principal, 'audit.review_generate');
      const { from, to } = reviewPeriod(input, new Date());
      // Entries are chained after commit (docs/audit.md): a review reads the chain, so what
      // still waits to be chained is chained first.
      await chainPending();
      const spec = {
        id: randomUUID(),
        seed: randomBytes(16).toString('hex'),
        from,
        to,
        sampleSize: input.sampleSize ?? DEFAULT_SAMPLE_SIZE,
      };
      return pipeline.run(generate(principal), principal, spec);
    },

    async recordFinding(
      principal: Principal,
      id: string,
      itemNo: number,
      input: { finding: ReviewFinding; reference?: string | null },
    ): Promise<ReviewView> {
      const action = 'audit.review_finding';
      const loaded = await ownReview(principal, id, action);
      const command: CommandDefinition<
        LoadedReview,
        LoadedReview,
        ReturnType<typeof decideFinding>,
        ReviewView
      > = {
        target: () => ({
          action,
          objectType: 'audit_review',
          objectId: id,
          objectOrg: principal.org,
          detail: { itemNo, finding: input.finding },
        }),
        load: async (l) => l,
        authorize: () => undefined,
        decide: (l, _loaded, now) => decideFinding(principal, l, itemNo, input, now),
        persist: ({ item }, sql) => repository.finding(sql, id, item),
        events: () => [],
        audit: ({ item }) => ({ detail: { auditSeq: Number(item.auditSeq) }, partyOrgs: [] }),
        answer: ({ after }) => view(after),
        // Signed off since it was loaded.
        onNoChange: () => Promise.reject(new ProblemError(R.reviewSignedOff)),
      };
      return pipeline.run(command, principal, loaded);
    },

    async signOff(
      principal: Principal,
      id: string,
      input: { conclusion: 'no_remarks' | 'remarks' },
    ): Promise<ReviewView> {
      const action = 'audit.review_sign_off';
      const loaded = await ownReview(principal, id, action);
      const command: CommandDefinition<LoadedReview, LoadedReview, LoadedReview, ReviewView> = {
        target: () => ({
          action,
          objectType: 'audit_review',
          objectId: id,
          objectOrg: principal.org,
          detail: { conclusion: input.conclusion },
        }),
        load: async (l) => l,
        authorize: () => undefined,
        decide: (l, _loaded, now) => decideSignOff(principal, l, input.conclusion, now),
        persist: ({ review }, sql) => repository.signOff(sql, review),
        events: () => [],
        audit: ({ items }) => ({ detail: { findings: findingsOf(items) }, partyOrgs: [] }),
        answer: view,
        onNoChange: () => Promise.reject(new ProblemError(R.reviewSignedOff)),
      };
      return pipeline.run(command, principal, loaded);
    },
  };
}
