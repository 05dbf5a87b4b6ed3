import type { ObjectType } from './kinds';
import type { NotificationFacts } from './notification-text';

/**
 * Who hears of what: for each event of the referrals service (referrals, field requests,
 * operations) and of our own webhooks, the notifications it makes and for whom, as a plan of
 * audiences that consumers/event-handlers.ts resolves against the directory read model. Pure: the
 * event's data in, the plan out.
 */

/** A group of people, as the read model finds them. */
export type Audience =
  /** active members of the units (the first unit a person is found in is theirs) */
  | { members: string[] }
  /** members with one of the roles; all members of a unit where nobody has them */
  | { membersPreferringRoles: string[]; roles: string[] }
  /** staff on duty at each unit (all members where nobody is); less whom an escalation reached */
  | { onDuty: string[]; notYetEscalated?: boolean }
  /** the people on shift whose unit is known; staff on duty at `orElseOnDuty` if there are none */
  | { onShift: Array<{ unitId: string; userId: string }>; orElseOnDuty: string[] }
  /** the people earlier notified of the object with `kind`, less the claimant (if any) */
  | { notifiedOf: NotificationFacts['kind']; except?: { unitId: string; userId: string } }
  /** the organisation's administrators */
  | { organisationAdmins: string };

export interface PlannedDraft {
  facts: NotificationFacts;
  audiences: Audience[];
  /** finding nobody is most likely early (the read model is behind): retry the event */
  required?: boolean;
}

export interface EscalationPlan {
  unitIds: string[];
  category?: string | null;
  urgency?: string | null;
  municipalityCode?: string | null;
  coordinatorUnitId?: string | null;
}

export interface EventPlan {
  object: { objectType: ObjectType; objectId: string };
  /** units the read model must know before anything is written (the event is retried until then) */
  requireUnits: string[];
  /** the object's pending escalation timers stop: someone has seen it */
  cancelEscalations: boolean;
  drafts: PlannedDraft[];
  /** the level-1 escalation timer to start (after the drafts are written) */
  escalate?: EscalationPlan;
}

export interface ReferralData {
  referralId: string;
  senderUnitId: string;
  recipientUnitId: string;
  copyUnitIds: string[];
  category: string;
  urgency: string;
  status: string;
  municipalityCode: string;
  escalatedToUnitIds?: string[];
  /** message_posted: the side that wrote */
  authorUnitId?: string;
}

export interface FieldRequestData {
  fieldRequestId: string;
  operationId: string;
  organiserUnitId: string;
  requesterUnitId: string;
  participantUnitIds: string[];
  coordinatorUnitId: string | null;
  urgency: string;
  status: string;
  onShift?: Array<{ unitId: string; userId: string }>;
  claimedBy?: string | null;
  claimedByUnitId?: string | null;
  escalatedToUnitIds?: string[];
}

export interface OperationData {
  operationId: string;
  organiserUnitId: string;
  coordinatorUnitId: string | null;
  invitedUnitIds?: string[];
  participantUnitIds?: string[];
  unitId?: string;
  status: string;
}

export interface EndpointDisabledData {
  endpointId: string;
  unitId: string;
  organisationId: string;
}

const REFERRAL_STATUS_TO_SENDER = new Set([
  'acknowledged',
  'accepted',
  'declined',
  'forwarded',
  'handover_planned',
  'handover_confirmed',
  'closed',
]);

export const INVITATION_ROLES = ['org_admin', 'coordinator'];

type Base = Omit<NotificationFacts, 'kind' | 'unitId'>;

const draft = (
  base: Base,
  facts: Pick<NotificationFacts, 'kind'> & Partial<NotificationFacts>,
  audiences: Audience[],
  required = false,
): PlannedDraft => ({
  facts: { ...base, ...facts, unitId: facts.unitId ?? null },
  audiences,
  ...(required ? { required } : {}),
});

const plan = (
  base: Base,
  drafts: PlannedDraft[],
  more: Partial<Omit<EventPlan, 'object' | 'drafts'>> = {},
): EventPlan => ({
  object: { objectType: base.objectType, objectId: base.objectId },
  requireUnits: [],
  cancelEscalations: false,
  drafts,
  ...more,
});

/** A referral event (`samverkan.referrals.referral.<change>`); null when it tells nobody. */
export function referralPlan(change: string, d: ReferralData): EventPlan | null {
  const base: Base = {
    objectType: 'referral',
    objectId: d.referralId,
    category: d.category,
    urgency: d.urgency,
  };
  switch (change) {
    case 'sent':
      return plan(
        base,
        [
          draft(
            base,
            { kind: 'referral_received', unitId: d.recipientUnitId },
            [{ members: [d.recipientUnitId] }],
            true,
          ),
          draft(base, { kind: 'referral_copy_received' }, [{ members: d.copyUnitIds }]),
        ],
        {
          requireUnits: [d.recipientUnitId, ...d.copyUnitIds],
          ...(d.urgency === 'acute'
            ? {
                escalate: {
                  unitIds: [d.recipientUnitId],
                  category: d.category,
                  urgency: d.urgency,
                  municipalityCode: d.municipalityCode,
                },
              }
            : {}),
        },
      );
    case 'message_posted':
      // The other side of the thread hears of it; the author's own unit does not.
      return plan(base, [
        draft(base, { kind: 'referral_message_posted' }, [
          { members: [d.senderUnitId, d.recipientUnitId].filter((u) => u !== d.authorUnitId) },
        ]),
      ]);
    case 'escalated':
      return plan(base, [
        draft(base, { kind: 'referral_escalated' }, [
          { onDuty: d.escalatedToUnitIds ?? [], notYetEscalated: true },
        ]),
      ]);
    case 'withdrawn':
      return plan(
        base,
        [
          draft(base, { kind: 'referral_status_changed', change }, [
            { members: [d.recipientUnitId, ...d.copyUnitIds] },
          ]),
        ],
        { cancelEscalations: true },
      );
    default:
      // Any step past `sent` means the recipient has seen it: no escalation any more.
      return REFERRAL_STATUS_TO_SENDER.has(change)
        ? plan(
            base,
            [
              draft(base, { kind: 'referral_status_changed', change }, [
                { members: [d.senderUnitId] },
              ]),
            ],
            { cancelEscalations: true },
          )
        : null;
  }
}

/** A field-request event; null when it tells nobody (a tally). */
export function fieldRequestPlan(change: string, d: FieldRequestData): EventPlan | null {
  const base: Base = {
    objectType: 'field_request',
    objectId: d.fieldRequestId,
    urgency: d.urgency,
  };
  const toRequester = () =>
    draft(base, { kind: 'field_request_status_changed', change, unitId: d.requesterUnitId }, [
      { members: [d.requesterUnitId] },
    ]);
  switch (change) {
    case 'created':
      // People on shift are members of participating units: people of those units' organisations.
      return plan(
        base,
        [
          draft(
            base,
            { kind: 'field_request_created' },
            [{ onShift: d.onShift ?? [], orElseOnDuty: d.participantUnitIds }],
            true,
          ),
        ],
        {
          requireUnits: d.participantUnitIds,
          escalate: {
            unitIds: d.participantUnitIds,
            urgency: d.urgency,
            coordinatorUnitId: d.coordinatorUnitId,
          },
        },
      );
    case 'claimed':
      // Everyone alerted but the claimant hears it is taken; the requester that it is claimed.
      return plan(
        base,
        [
          draft(base, { kind: 'field_request_taken' }, [
            {
              notifiedOf: 'field_request_created',
              ...(d.claimedByUnitId && d.claimedBy
                ? { except: { unitId: d.claimedByUnitId, userId: d.claimedBy } }
                : {}),
            },
          ]),
          toRequester(),
        ],
        { cancelEscalations: true },
      );
    case 'cancelled':
      return plan(
        base,
        [
          draft(base, { kind: 'field_request_status_changed', change }, [
            { members: [d.requesterUnitId] },
            { notifiedOf: 'field_request_created' },
          ]),
        ],
        { cancelEscalations: true },
      );
    case 'en_route':
    case 'on_site':
    case 'completed':
      return plan(base, [toRequester()]);
    case 'escalated':
      return plan(base, [
        draft(base, { kind: 'field_request_escalated' }, [
          { onDuty: d.escalatedToUnitIds ?? [], notYetEscalated: true },
        ]),
      ]);
    default:
      // tally_recorded: nothing to tell anyone
      return null;
  }
}

/** An operation event; null when it tells nobody (shifts: the field request carries them). */
export function operationPlan(change: string, d: OperationData): EventPlan | null {
  const base: Base = { objectType: 'operation', objectId: d.operationId };
  switch (change) {
    case 'created':
    case 'participants_invited':
      return plan(base, [
        draft(base, { kind: 'operation_invitation' }, [
          { membersPreferringRoles: d.invitedUnitIds ?? [], roles: INVITATION_ROLES },
        ]),
      ]);
    case 'participation_accepted':
    case 'participation_declined':
      return plan(base, [
        draft(
          base,
          {
            kind: 'operation_participation_changed',
            change: change === 'participation_accepted' ? 'accepted' : 'declined',
            unitId: d.unitId ?? null,
          },
          [{ members: [d.organiserUnitId] }],
        ),
      ]);
    case 'activated':
    case 'completed':
    case 'cancelled':
      return plan(base, [
        draft(base, { kind: 'operation_status_changed', change }, [
          {
            members: [
              d.organiserUnitId,
              ...(d.coordinatorUnitId ? [d.coordinatorUnitId] : []),
              ...(d.participantUnitIds ?? []),
            ],
          },
        ]),
      ]);
    default:
      return null;
  }
}

/** The referrals service's event of `type`, or null when it tells nobody. */
export function eventPlan(type: string, data: unknown): EventPlan | null {
  const [, , entity, change] = type.split('.');
  switch (entity) {
    case 'referral':
      return referralPlan(change!, data as ReferralData);
    case 'field_request':
      return fieldRequestPlan(change!, data as FieldRequestData);
    case 'operation':
      return operationPlan(change!, data as OperationData);
    default:
      return null;
  }
}

/** A webhook endpoint we disabled: its organisation's administrators hear of it. */
export function endpointDisabledPlan(d: EndpointDisabledData): EventPlan {
  const base: Base = { objectType: 'webhook_endpoint', objectId: d.endpointId };
  return plan(base, [
    draft(base, { kind: 'webhook_endpoint_disabled', unitId: d.unitId }, [
      { organisationAdmins: d.organisationId },
    ]),
  ]);
}
