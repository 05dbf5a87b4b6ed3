/**
 * What an agency system receives: thin payloads in the Standard Webhooks shape
 * `{ type, timestamp, data }`. `data` holds only ids of hub objects and units and a few
 * enumerations (status, urgency, category…); never a user id, free text, or anything from an
 * envelope. The receiver fetches what it needs through the API, under its own authorisation.
 */
export interface WebhookPayload {
  type: string;
  timestamp: string;
  data: Record<string, string | string[]>;
}

/** The prefix of the events agency systems may subscribe to, dropped in webhook event types. */
const PRODUCER_PREFIXES = ['samverkan.referrals.', 'samverkan.notifications.'];

/** Enumerations that say what kind of thing happened, safe to pass on. */
const ENUM_FIELDS = new Set([
  'objectType',
  'status',
  'urgency',
  'category',
  'reason',
  'level',
  'kind',
  'severity',
]);

/**
 * Ids of people (staff `sub`s, and the organisation half of a person's identity) — personal data,
 * never passed on even where an event has them.
 */
const PERSON_ID_FIELDS = new Set([
  'userId',
  'userOrganisationId',
  'claimedBy',
  'recipientUserId',
  'actorId',
  'createdBy',
]);

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ENUM_VALUE = /^[a-z][a-z0-9_]{0,63}$/;
/** An in-hub link such as `/v1/referrals/<uuid>`: a path, no query, no host. */
const LINK = /^\/v1\/[a-z0-9/_-]{1,200}$/i;

/** `samverkan.referrals.referral.sent` → `referral.sent`; undefined for other producers. */
export function webhookEventType(eventType: string): string | undefined {
  for (const prefix of PRODUCER_PREFIXES) {
    if (eventType.startsWith(prefix)) {
      return eventType.slice(prefix.length);
    }
  }
  return undefined;
}

/** Every unit an event concerns: each `…UnitId` and `…UnitIds` field of its data. */
export function unitsConcerned(data: Record<string, unknown>): string[] {
  const units = new Set<string>();
  for (const [key, value] of Object.entries(data)) {
    if (/UnitId$/.test(key) || key === 'unitId') {
      if (typeof value === 'string' && UUID.test(value)) {
        units.add(value);
      }
    } else if (/UnitIds$/.test(key) && Array.isArray(value)) {
      for (const v of value) {
        if (typeof v === 'string' && UUID.test(v)) {
          units.add(v);
        }
      }
    }
  }
  return [...units].sort();
}

/** The thin payload of an event for the endpoint of one unit. */
export function thinPayload(
  type: string,
  time: string,
  data: Record<string, unknown>,
  unitId: string,
): WebhookPayload {
  const out: Record<string, string | string[]> = {};
  for (const [key, value] of Object.entries(data)) {
    if (PERSON_ID_FIELDS.has(key)) {
      continue;
    }
    if (/Ids?$/.test(key)) {
      if (typeof value === 'string' && UUID.test(value)) {
        out[key] = value;
      } else if (
        Array.isArray(value) &&
        value.every((v) => typeof v === 'string' && UUID.test(v))
      ) {
        out[key] = value as string[];
      }
    } else if (ENUM_FIELDS.has(key) && typeof value === 'string' && ENUM_VALUE.test(value)) {
      out[key] = value;
    } else if (key === 'link' && typeof value === 'string' && LINK.test(value)) {
      out[key] = value;
    }
  }
  out.unitId = unitId;
  return { type, timestamp: time, data: out };
}
