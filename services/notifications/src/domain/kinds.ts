/** The notification kinds, their channels and severities (openapi/notifications.yaml). */
export const NOTIFICATION_KINDS = [
  'referral_received',
  'referral_copy_received',
  'referral_status_changed',
  'referral_message_posted',
  'referral_escalated',
  'field_request_created',
  'field_request_taken',
  'field_request_status_changed',
  'field_request_escalated',
  'operation_invitation',
  'operation_participation_changed',
  'operation_status_changed',
  'notification_escalated',
  'webhook_endpoint_disabled',
] as const;
export type NotificationKind = (typeof NOTIFICATION_KINDS)[number];

export const CHANNELS = ['in_app', 'webhook'] as const;
export type Channel = (typeof CHANNELS)[number];

export type Severity = 'critical' | 'high' | 'normal';
export type ObjectType = 'referral' | 'field_request' | 'operation' | 'webhook_endpoint';

/** Kinds that can be critical: their in-app channel cannot be turned off. */
export const CRITICAL_KINDS: ReadonlySet<NotificationKind> = new Set<NotificationKind>([
  'referral_received',
  'referral_escalated',
  'field_request_created',
  'field_request_escalated',
  'notification_escalated',
]);

export const DEFAULT_CHANNELS: readonly Channel[] = ['in_app', 'webhook'];

export function isNotificationKind(value: string): value is NotificationKind {
  return (NOTIFICATION_KINDS as readonly string[]).includes(value);
}

/**
 * The channels a user gets a kind on: their choice, or the defaults; a critical kind always
 * keeps `in_app`, whatever is stored.
 */
export function effectiveChannels(kind: NotificationKind, chosen?: readonly string[]): Channel[] {
  const channels = (chosen ?? DEFAULT_CHANNELS).filter((c): c is Channel =>
    (CHANNELS as readonly string[]).includes(c),
  );
  if (CRITICAL_KINDS.has(kind) && !channels.includes('in_app')) {
    channels.unshift('in_app');
  }
  return CHANNELS.filter((c) => channels.includes(c));
}

/** Why a preference change is refused, or null if it may be stored. */
export function preferenceRefusal(
  kind: NotificationKind,
  channels: readonly Channel[],
): string | null {
  if (CRITICAL_KINDS.has(kind) && !channels.includes('in_app')) {
    return `${kind} can be critical; its in_app channel cannot be turned off.`;
  }
  return null;
}
