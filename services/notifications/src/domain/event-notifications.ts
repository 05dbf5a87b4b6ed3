import { fieldRequestPlan, type FieldRequestData } from './event-plans/field-request';
import { operationPlan, type OperationData } from './event-plans/operation';
import { draft, plan, type Base, type EventPlan } from './event-plans/plan';
import { referralPlan, type ReferralData } from './event-plans/referral';

/**
 * Who hears of what: for each event of the referrals service (referrals, field requests,
 * operations) and of our own webhooks, the notifications it makes and for whom, as a plan of
 * audiences that consumers/event-handlers.ts resolves against the directory read model. Pure: the
 * event's data in, the plan out. The plan's shape is in event-plans/plan.ts, the rules of each
 * kind of object in a file of their own beside it.
 */

export type { Audience, EscalationPlan, EventPlan, PlannedDraft } from './event-plans/plan';
export { referralPlan, type ReferralData } from './event-plans/referral';
export { fieldRequestPlan, type FieldRequestData } from './event-plans/field-request';
export { INVITATION_ROLES, operationPlan, type OperationData } from './event-plans/operation';

export interface EndpointDisabledData {
  endpointId: string;
  unitId: string;
  organisationId: string;
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
