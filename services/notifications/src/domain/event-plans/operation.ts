import { draft, plan, type Base, type EventPlan } from './plan';

/** Who hears of an operation event. */

export interface OperationData {
  operationId: string;
  organiserUnitId: string;
  coordinatorUnitId: string | null;
  invitedUnitIds?: string[];
  participantUnitIds?: string[];
  unitId?: string;
  status: string;
}

export const INVITATION_ROLES = ['org_admin', 'coordinator'];

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
