import { defineProblems } from '@samverkan/shared';

/** Problem types of retention, legal holds and log reviews; `type` is `urn:samverkan:problem:<slug>`. */
export const RecordsProblems = defineProblems({
  contentPurged: {
    slug: 'content-purged',
    status: 410,
    title: 'The sealed content was purged after its retention period',
    code: 'REFERRALS_CONTENT_PURGED',
  },
  alreadyPurged: {
    slug: 'legal-hold-too-late',
    status: 409,
    title: 'The referral’s content has already been purged; a legal hold cannot bring it back',
    code: 'REFERRALS_LEGAL_HOLD_TOO_LATE',
  },
  legalHoldNotFound: {
    slug: 'legal-hold-not-found',
    status: 404,
    title: 'Your organisation has no legal hold on this referral',
    code: 'REFERRALS_LEGAL_HOLD_NOT_FOUND',
  },
  reviewNotFound: {
    slug: 'log-review-not-found',
    status: 404,
    title: 'No such log review',
    code: 'REFERRALS_LOG_REVIEW_NOT_FOUND',
  },
  reviewItemNotFound: {
    slug: 'log-review-item-not-found',
    status: 404,
    title: 'No such item in this log review',
    code: 'REFERRALS_LOG_REVIEW_ITEM_NOT_FOUND',
  },
  reviewSignedOff: {
    slug: 'log-review-signed-off',
    status: 409,
    title: 'The log review has been signed off and can no longer change',
    code: 'REFERRALS_LOG_REVIEW_SIGNED_OFF',
  },
  reviewIncomplete: {
    slug: 'log-review-incomplete',
    status: 409,
    title: 'Every item needs a finding before the review can be signed off',
    code: 'REFERRALS_LOG_REVIEW_INCOMPLETE',
  },
  countyUnknown: {
    slug: 'county-unknown',
    status: 400,
    title: 'No such county code',
    code: 'REFERRALS_COUNTY_UNKNOWN',
  },
});
