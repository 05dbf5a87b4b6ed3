import type { Principal } from '@samverkan/shared';
import { pipelineOf, type ReferralsContext } from '../services/context';
import {
  requireAuditor,
  requireOwnReview,
  reviewView,
  type LoadedReview,
} from './domain/log-reviews';
import { createLogReviewCommands } from './log-reviews.commands';
import { createLogReviewsRepository } from './log-reviews.repository';

export {
  DEFAULT_SAMPLE_SIZE,
  reviewView,
  type ReviewCreate,
  type ReviewView,
} from './domain/log-reviews';

/**
 * Log reviews (docs/log-review.md) for the auditors of an organisation: over the referrals
 * service's audit entries their organisation may see (actor, object owner or a party), a random
 * sample of content reads plus everything unusual; a finding per item and a sign-off. Generating,
 * each finding and the sign-off are audit entries themselves, so the review is in the chain.
 * The writes are in log-reviews.commands.ts, the rules in domain/log-reviews.ts and
 * log-review.ts, the SQL in log-reviews.repository.ts.
 */
export function createLogReviewsService(ctx: ReferralsContext) {
  const pipeline = pipelineOf(ctx);
  const repository = createLogReviewsRepository(ctx.dataSource);

  /** Only auditors (403, audited). */
  async function auditorOnly(principal: Principal, action: string, objectId?: string) {
    await pipeline.authorize(
      principal,
      { action, objectType: 'audit_review', objectId: objectId ?? null },
      () => requireAuditor(principal),
    );
  }

  /** The caller's organisation's review with its items, or an audited 403/404. */
  async function ownReview(principal: Principal, id: string, action: string) {
    await auditorOnly(principal, action, id);
    const loaded = await repository.load(id);
    await pipeline.authorize(principal, { action, objectType: 'audit_review', objectId: id }, () =>
      requireOwnReview(principal, loaded),
    );
    return loaded!;
  }

  /** A read of a review, audited as one (`partyOrgs`: the reviewing organisation). */
  async function auditedRead(
    principal: Principal,
    action: string,
    loaded: LoadedReview,
    detail?: Record<string, unknown>,
  ) {
    await pipelineOf(ctx).recordRead(principal, {
      action,
      objectType: 'audit_review',
      objectId: loaded.review.id,
      objectOrg: principal.org,
      partyOrgs: [principal.org],
      ...(detail ? { detail } : {}),
    });
    return reviewView(loaded.review, loaded.items);
  }

  return {
    ...createLogReviewCommands(
      pipeline,
      repository,
      ownReview,
      (principal, action) => auditorOnly(principal, action),
      () => ctx.audit.chainPending(),
    ),

    async list(principal: Principal) {
      await auditorOnly(principal, 'audit.review_list');
      const rows = await repository.list(principal.org);
      await pipelineOf(ctx).recordRead(principal, {
        action: 'audit.review_list',
        objectType: 'audit_review',
        objectId: null,
        objectOrg: principal.org,
        partyOrgs: [principal.org],
        detail: { reviews: rows.length },
      });
      return {
        items: rows.map((r) => {
          const { items: _items, findings: _f, ...summary } = reviewView(r, []);
          return summary;
        }),
      };
    },

    async get(principal: Principal, id: string) {
      return auditedRead(
        principal,
        'audit.review_read',
        await ownReview(principal, id, 'audit.review_read'),
      );
    },

    /** The review for export (CSV, printable HTML); the export is audited like a read. */
    async export(principal: Principal, id: string, format: 'csv' | 'html') {
      const loaded = await ownReview(principal, id, 'audit.review_export');
      return auditedRead(principal, 'audit.review_export', loaded, { format });
    },
  };
}

export type LogReviewsService = ReturnType<typeof createLogReviewsService>;
