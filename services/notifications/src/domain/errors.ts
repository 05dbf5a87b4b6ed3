import { defineProblems } from '@samverkan/shared';

/** The notifications service's own problem types; `type` is `urn:samverkan:problem:<slug>`. */
export const NotificationProblems = defineProblems({
  notificationNotFound: {
    slug: 'notification-not-found',
    status: 404,
    title: 'No such notification',
    code: 'NOTIFICATIONS_NOTIFICATION_NOT_FOUND',
  },
  needsAcknowledgement: {
    slug: 'notification-needs-acknowledgement',
    status: 409,
    title: 'A critical notification must be acknowledged before it is archived',
    code: 'NOTIFICATIONS_NEEDS_ACKNOWLEDGEMENT',
  },
  criticalKindRequired: {
    slug: 'critical-kind-required',
    status: 422,
    title: 'Critical notifications cannot be turned off in the app',
    code: 'NOTIFICATIONS_CRITICAL_KIND_REQUIRED',
  },
  bulkTargetRequired: {
    slug: 'bulk-target-required',
    status: 422,
    title: 'Give either ids or all: true',
    code: 'NOTIFICATIONS_BULK_TARGET_REQUIRED',
  },
  invalidCursor: {
    slug: 'invalid-cursor',
    status: 400,
    title: 'The cursor is not valid',
    code: 'NOTIFICATIONS_INVALID_CURSOR',
  },
  deadLetterNotFound: {
    slug: 'dead-letter-not-found',
    status: 404,
    title: 'No such dead letter',
    code: 'NOTIFICATIONS_DEAD_LETTER_NOT_FOUND',
  },
  deadLetterConsumerUnknown: {
    slug: 'dead-letter-consumer-unknown',
    status: 409,
    title: 'The consumer of this dead letter does not run in this service any more',
    code: 'NOTIFICATIONS_DEAD_LETTER_CONSUMER_UNKNOWN',
  },
});
