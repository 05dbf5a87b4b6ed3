import type { NotificationKind, ObjectType, Severity } from './kinds';

/**
 * The facts a notification's text may be built from — and nothing else. Every value is an id
 * or a member of a closed list that is looked up in a table below, so no free text from an
 * event (or anything about a person) can reach a title or body.
 */
export interface NotificationFacts {
  kind: NotificationKind;
  objectType: ObjectType;
  objectId: string;
  unitId: string | null;
  category?: string;
  urgency?: string;
  /** the status change or outcome, from a closed list */
  change?: string;
  /** escalation level */
  level?: number;
}

export interface NotificationText {
  severity: Severity;
  requiresAck: boolean;
  title: string;
  body: string;
  link: string;
}

const CATEGORY: Record<string, string> = {
  trafficking_sexual: 'trafficking for sexual purposes',
  trafficking_labour: 'trafficking for labour',
  sex_for_compensation: 'sex for compensation',
  child_sexual_exploitation: 'sexual exploitation of a child',
  buyer_support: 'support for a buyer',
  other: 'other',
};

const URGENCY: Record<string, string> = { acute: 'Acute', urgent: 'Urgent', routine: 'Routine' };

const REFERRAL_CHANGE: Record<string, string> = {
  acknowledged: 'was acknowledged by the receiving unit',
  accepted: 'was accepted by the receiving unit',
  declined: 'was declined by the receiving unit',
  forwarded: 'was forwarded by the coordinator',
  withdrawn: 'was withdrawn by the sending unit',
  handover_planned: 'has a handover planned',
  handover_confirmed: 'had its handover confirmed',
  closed: 'was closed',
};

const FIELD_REQUEST_CHANGE: Record<string, string> = {
  claimed: 'was claimed',
  en_route: 'has a social worker on the way',
  on_site: 'has a social worker on site',
  completed: 'was completed',
  cancelled: 'was cancelled',
};

const OPERATION_CHANGE: Record<string, string> = {
  accepted: 'A unit accepted to take part in the operation',
  declined: 'A unit declined to take part in the operation',
  activated: 'The operation is now active',
  completed: 'The operation was completed',
  cancelled: 'The operation was cancelled',
};

const LINK: Record<ObjectType, string> = {
  referral: '/v1/referrals/',
  field_request: '/v1/field-requests/',
  operation: '/v1/operations/',
  webhook_endpoint: '/v1/webhooks/',
};

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function lookup(table: Record<string, string>, key: string | undefined, fallback: string): string {
  return key !== undefined && Object.prototype.hasOwnProperty.call(table, key)
    ? table[key]!
    : fallback;
}

export function severityOf(
  facts: Pick<NotificationFacts, 'kind' | 'urgency' | 'change'>,
): Severity {
  switch (facts.kind) {
    case 'referral_received':
      return facts.urgency === 'acute'
        ? 'critical'
        : facts.urgency === 'urgent'
          ? 'high'
          : 'normal';
    case 'referral_escalated':
    case 'field_request_created':
    case 'field_request_escalated':
    case 'notification_escalated':
      return 'critical';
    case 'field_request_status_changed':
      return facts.change === 'cancelled' ? 'high' : 'normal';
    case 'webhook_endpoint_disabled':
      return 'high';
    case 'referral_copy_received':
    case 'referral_status_changed':
    case 'referral_message_posted':
    case 'field_request_taken':
    case 'operation_invitation':
    case 'operation_participation_changed':
    case 'operation_status_changed':
      return 'normal';
  }
}

/** Title, body, link and severity of a notification, from its facts only. */
export function notificationText(facts: NotificationFacts): NotificationText {
  if (!UUID.test(facts.objectId)) {
    throw new Error('objectId must be a UUID');
  }
  const severity = severityOf(facts);
  const category = lookup(CATEGORY, facts.category, 'unspecified category');
  const urgency = lookup(URGENCY, facts.urgency, 'Unspecified urgency');
  const link = `${LINK[facts.objectType]}${facts.objectId.toLowerCase()}`;
  let title: string;
  let body: string;
  switch (facts.kind) {
    case 'referral_received':
      title = `${urgency} referral received`;
      body = `Your unit received a referral (${category}). Open it to read and acknowledge it.`;
      break;
    case 'referral_copy_received':
      title = 'Copy of a referral received';
      body = `Your unit received a copy of a referral (${category}, ${urgency.toLowerCase()}).`;
      break;
    case 'referral_status_changed':
      title = 'Referral updated';
      body = `A referral (${category}) ${lookup(REFERRAL_CHANGE, facts.change, 'changed status')}.`;
      break;
    case 'referral_message_posted':
      title = 'New message on a referral';
      body = `A new encrypted message was posted on a referral (${category}).`;
      break;
    case 'referral_escalated':
      title = `Escalated: ${urgency.toLowerCase()} referral not acknowledged`;
      body = `A referral (${category}) was not acknowledged in time and was escalated to your unit.`;
      break;
    case 'field_request_created':
      title = `${urgency} field request: social worker needed on site`;
      body = 'Police ask for a social worker on site during an operation. Open it to claim it.';
      break;
    case 'field_request_taken':
      title = 'Field request taken';
      body = 'A field request you were alerted to was claimed by someone else.';
      break;
    case 'field_request_status_changed':
      title = 'Field request updated';
      body = `A field request ${lookup(FIELD_REQUEST_CHANGE, facts.change, 'changed status')}.`;
      break;
    case 'field_request_escalated':
      title = `Escalated: ${urgency.toLowerCase()} field request not claimed`;
      body = 'A field request was not claimed in time and was escalated to your unit.';
      break;
    case 'operation_invitation':
      title = 'Invitation to a joint operation';
      body =
        'Your unit is invited to take part in a joint operation. Open it to accept or decline.';
      break;
    case 'operation_participation_changed':
      title = 'Operation participation changed';
      body = `${lookup(OPERATION_CHANGE, facts.change, 'Participation in the operation changed')}.`;
      break;
    case 'operation_status_changed':
      title = 'Operation updated';
      body = `${lookup(OPERATION_CHANGE, facts.change, 'The operation changed status')}.`;
      break;
    case 'notification_escalated':
      title =
        facts.objectType === 'field_request'
          ? 'Escalated: field request not claimed'
          : `Escalated: ${urgency.toLowerCase()} referral not acknowledged`;
      body =
        facts.level === 2
          ? `A critical item (${facts.objectType === 'field_request' ? 'field request' : category}) is still unacknowledged; it is escalated to the regional coordinator.`
          : `A critical item (${facts.objectType === 'field_request' ? 'field request' : category}) was not acknowledged in time; your unit is on call for it.`;
      break;
    case 'webhook_endpoint_disabled':
      title = 'Webhook endpoint disabled';
      body = 'A webhook endpoint of your organisation was disabled after failed deliveries.';
      break;
  }
  return { severity, requiresAck: severity === 'critical', title, body, link };
}
