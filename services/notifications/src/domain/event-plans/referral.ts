import { draft, plan, type Base, type EventPlan } from './plan';

/** Who hears of a referral event (`samverkan.referrals.referral.<change>`). */

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

const REFERRAL_STATUS_TO_SENDER = new Set([
  'acknowledged',
  'accepted',
  'declined',
  'forwarded',
  'handover_planned',
  'handover_confirmed',
  'closed',
]);

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
