/** Event types the notifications service publishes (openapi/notifications.events.yaml). */
export const NotificationEvents = {
  created: 'samverkan.notifications.notification.created',
  escalated: 'samverkan.notifications.notification.escalated',
  webhookEndpointDisabled: 'samverkan.notifications.webhook.endpoint_disabled',
} as const;
