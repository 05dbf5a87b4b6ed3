import { defineProblems } from '@samverkan/shared';

/** The webhook module's problem types; `type` is `urn:samverkan:problem:<slug>`. */
export const WebhookProblems = defineProblems({
  endpointNotFound: {
    slug: 'webhook-endpoint-not-found',
    status: 404,
    title: 'No such webhook endpoint',
    code: 'NOTIFICATIONS_WEBHOOK_NOT_FOUND',
  },
  deliveryNotFound: {
    slug: 'webhook-delivery-not-found',
    status: 404,
    title: 'No such delivery of this webhook endpoint',
    code: 'NOTIFICATIONS_WEBHOOK_DELIVERY_NOT_FOUND',
  },
  notOrgAdmin: {
    slug: 'webhook-not-org-admin',
    status: 403,
    title: "Only an org_admin of the unit's organisation manages its webhooks",
    code: 'NOTIFICATIONS_WEBHOOK_NOT_ORG_ADMIN',
  },
  unitUnknown: {
    slug: 'webhook-unit-unknown',
    status: 422,
    title: 'The directory knows no active unit with this id',
    code: 'NOTIFICATIONS_WEBHOOK_UNIT_UNKNOWN',
  },
  eventTypeUnknown: {
    slug: 'webhook-event-type-unknown',
    status: 422,
    title: 'No such event type to subscribe to',
    code: 'NOTIFICATIONS_WEBHOOK_EVENT_TYPE_UNKNOWN',
  },
  destinationNotAllowed: {
    slug: 'webhook-destination-not-allowed',
    status: 422,
    title: 'Webhooks may only go to https URLs at public addresses',
    code: 'NOTIFICATIONS_WEBHOOK_DESTINATION_NOT_ALLOWED',
  },
  endpointDisabled: {
    slug: 'webhook-endpoint-disabled',
    status: 409,
    title: 'The webhook endpoint is disabled; enable it first',
    code: 'NOTIFICATIONS_WEBHOOK_ENDPOINT_DISABLED',
  },
  deliveryInProgress: {
    slug: 'webhook-delivery-in-progress',
    status: 409,
    title: 'The delivery is still being tried',
    code: 'NOTIFICATIONS_WEBHOOK_DELIVERY_IN_PROGRESS',
  },
  invalidCursor: {
    slug: 'webhook-invalid-cursor',
    status: 400,
    title: 'The cursor is not one this list gave out',
    code: 'NOTIFICATIONS_WEBHOOK_INVALID_CURSOR',
  },
});
