import { ProblemError, type Principal } from '@samverkan/shared';
import { ReferralProblems as P } from '../errors';
import {
  ACTING_ROLES,
  ACTION_RULES,
  REFERRAL_ACTIONS,
  TERMINAL_STATUSES,
  confirmationOf,
  unitOf,
  type Actor,
  type ReferralAction,
  type ReferralState,
  type ReferralStatus,
  type Side,
} from './model';

/** Who may see a referral and who may take which action from which status (403/409 problems). */
/**
 * The capacity in which a principal sees a referral. A member of several of its units gets the
 * first of sender, recipient, copy; authority to act is still checked against every membership.
 */
export function sideOf(
  principal: Pick<Principal, 'units'>,
  referral: Pick<ReferralState, 'senderUnitId' | 'recipientUnitId' | 'copyUnitIds'>,
): Side {
  if (principal.units.includes(referral.senderUnitId)) {
    return 'sender';
  }
  if (principal.units.includes(referral.recipientUnitId)) {
    return 'recipient';
  }
  if (referral.copyUnitIds.some((id) => principal.units.includes(id))) {
    return 'copy';
  }
  return 'none';
}

/**
 * Whether the referral (metadata, envelope) may be shown at all. Routes answer
 * `referral-not-found` for 'none', so that outsiders cannot learn that a referral exists.
 */
export function canRead(side: Side): boolean {
  return side !== 'none';
}

export function isTerminal(status: ReferralStatus): boolean {
  return TERMINAL_STATUSES.includes(status);
}

/** Refuses a write made against a stale copy (`If-Match` / `version` in the request). */
export function assertVersion(referral: Pick<ReferralState, 'version'>, expected: number): void {
  if (referral.version !== expected) {
    throw new ProblemError(
      P.versionConflict,
      `The referral is at version ${referral.version}, not ${expected}`,
      { extensions: { currentVersion: referral.version } },
    );
  }
}

/**
 * The actions this actor could take now, ignoring input (for links and buttons in clients).
 * `transition` remains the authority.
 */
export function availableActions(referral: ReferralState, actor: Actor): ReferralAction[] {
  return REFERRAL_ACTIONS.filter((action) => {
    try {
      authorise(referral, action, actor);
    } catch {
      return false;
    }
    if (!ACTION_RULES[action].from.includes(referral.status)) {
      return false;
    }
    if (action === 'confirm_handover') {
      const side = actingSide(action, actor);
      return side !== null && confirmationOf(referral.handover, side) === null;
    }
    return true;
  });
}

// ----- who -------------------------------------------------------------------

/** The side the actor acts for, or null when the actor cannot act for the required side. */
export function actingSide(action: ReferralAction, actor: Actor): 'sender' | 'recipient' | null {
  const by = ACTION_RULES[action].by;
  if (by !== 'either') {
    return by;
  }
  return actor.side === 'sender' || actor.side === 'recipient' ? actor.side : null;
}

/** Throws the 403/422 problem for an actor who may not take `action`; returns the acting side. */
export function authorise(
  referral: ReferralState,
  action: ReferralAction,
  actor: Actor,
): 'sender' | 'recipient' {
  const side = actingSide(action, actor);
  if (side === null) {
    throw new ProblemError(
      P.notAParty,
      `Only the sending or the receiving unit may ${action.replace('_', ' ')} (you act as ${actor.side})`,
    );
  }
  if (!actor.principal.units.includes(unitOf(referral, side))) {
    throw new ProblemError(
      side === 'sender' ? P.notMemberOfSender : P.notMemberOfRecipient,
      `Only members of the ${side === 'sender' ? 'sending' : 'receiving'} unit may ${action.replace('_', ' ')}`,
    );
  }
  if (!actor.principal.roles.some((role) => ACTING_ROLES.includes(role))) {
    throw new ProblemError(
      P.roleNotPermitted,
      `Handling referrals needs one of the roles ${ACTING_ROLES.join(', ')}`,
    );
  }
  if (action === 'forward' && !actor.principal.roles.includes('coordinator')) {
    throw new ProblemError(P.notCoordinator, 'Forwarding needs the role coordinator');
  }
  return side;
}

// ----- when ------------------------------------------------------------------

export function requireFrom(referral: ReferralState, action: ReferralAction): void {
  if (!ACTION_RULES[action].from.includes(referral.status)) {
    throw new ProblemError(
      P.transitionNotAllowed,
      `Cannot ${action.replace('_', ' ')} a referral that is ${referral.status}`,
      { extensions: { currentStatus: referral.status } },
    );
  }
}
