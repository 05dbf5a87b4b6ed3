import { draft, plan, type Base, type EventPlan } from './plan';

/** Who hears of a field-request event (an operation in the field asking for help). */

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
