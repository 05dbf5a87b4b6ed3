import { ProblemError } from '@samverkan/shared';
import { ReferralProblems as P } from '../errors';
import { authorise, requireFrom } from './access';
import { declineNote, forwardTargets, handoverPlan, oneOf } from './inputs';
import {
  DECLINE_REASONS,
  NO_HANDOVER_OUTCOMES,
  REFERRAL_OUTCOMES,
  confirmationOf,
  type Handover,
  type HandoverConfirmation,
  unitOf,
  type Actor,
  type LifecycleEvent,
  type ReferralAction,
  type ReferralState,
  type TransitionInput,
  type TransitionResult,
} from './model';

/** Applies `action` to `referral`, or throws a ProblemError. Pure: `now` is the only clock. */
export function transition(
  referral: ReferralState,
  action: ReferralAction,
  input: TransitionInput,
  actor: Actor,
  now: Date,
): TransitionResult {
  const side = authorise(referral, action, actor);
  const by = actor.principal.sub;
  const at = now.toISOString();
  const bump = (changes: Partial<ReferralState>): ReferralState => ({
    ...referral,
    ...changes,
    version: referral.version + 1,
  });

  switch (action) {
    case 'acknowledge': {
      requireFrom(referral, action);
      return {
        next: bump({ status: 'received', acknowledgedAt: now }),
        events: [acknowledgedEvent(referral, by, at, false)],
      };
    }

    case 'accept': {
      requireFrom(referral, action);
      return {
        next: bump({
          status: 'accepted',
          acknowledgedAt: referral.acknowledgedAt ?? now,
          acceptedAt: now,
        }),
        events: [
          ...impliedAcknowledgement(referral, by, at),
          { event: 'accepted', detail: { unitId: referral.recipientUnitId, by, at } },
        ],
      };
    }

    case 'decline': {
      requireFrom(referral, action);
      const reason = oneOf(DECLINE_REASONS, input.reason);
      if (reason === undefined) {
        throw new ProblemError(
          P.declineReasonRequired,
          `reason must be one of ${DECLINE_REASONS.join(', ')}`,
          {
            errors: [
              { field: 'body.reason', message: `must be one of: ${DECLINE_REASONS.join(', ')}` },
            ],
          },
        );
      }
      const noteMessageId = declineNote(reason, input.noteMessageId);
      return {
        next: bump({
          status: 'declined',
          acknowledgedAt: referral.acknowledgedAt ?? now,
          declinedAt: now,
          declineReason: reason,
        }),
        events: [
          ...impliedAcknowledgement(referral, by, at),
          {
            event: 'declined',
            detail: {
              unitId: referral.recipientUnitId,
              by,
              at,
              reason,
              ...(noteMessageId === undefined ? {} : { noteMessageId }),
            },
          },
        ],
      };
    }

    case 'forward': {
      requireFrom(referral, action);
      const forwards = forwardTargets(referral, input.forwards);
      return {
        next: bump({ status: 'forwarded', acknowledgedAt: referral.acknowledgedAt ?? now }),
        events: [
          ...impliedAcknowledgement(referral, by, at),
          {
            event: 'forwarded',
            detail: {
              unitId: referral.recipientUnitId,
              by,
              at,
              forwardedToIds: forwards.map((f) => f.id),
              toUnitIds: forwards.map((f) => f.recipientUnitId),
            },
          },
        ],
      };
    }

    case 'withdraw': {
      requireFrom(referral, action);
      return {
        next: bump({ status: 'withdrawn' }),
        events: [{ event: 'withdrawn', detail: { unitId: referral.senderUnitId, by, at } }],
      };
    }

    case 'plan_handover': {
      requireFrom(referral, action);
      const { mode, plannedFor } = handoverPlan(input);
      const previous = referral.handover;
      const confirmationsReset = Boolean(
        previous && (previous.senderConfirmation || previous.recipientConfirmation),
      );
      return {
        next: bump({
          status: 'handover_planned',
          handover: { mode, plannedFor, senderConfirmation: null, recipientConfirmation: null },
        }),
        events: [
          {
            event: 'handover_planned',
            detail: {
              unitId: unitOf(referral, side),
              side,
              by,
              at,
              mode,
              plannedFor: plannedFor.toISOString(),
              replanned: referral.status === 'handover_planned',
              confirmationsReset,
            },
          },
        ],
      };
    }

    case 'confirm_handover': {
      if (referral.status === 'accepted') {
        throw new ProblemError(P.handoverNotPlanned, 'Plan the handover before confirming it');
      }
      if (referral.status === 'handover_confirmed') {
        throw new ProblemError(P.handoverAlreadyConfirmed, 'Both sides have already confirmed');
      }
      requireFrom(referral, action);
      const handover = referral.handover;
      if (handover === null) {
        // A row in handover_planned without a plan breaks an invariant; refuse rather than guess.
        throw new ProblemError(P.handoverNotPlanned, 'The referral has no planned handover');
      }
      if (confirmationOf(handover, side) !== null) {
        throw new ProblemError(
          P.handoverAlreadyConfirmed,
          `The ${side} side has already confirmed the handover`,
        );
      }
      const other = confirmationOf(handover, side === 'sender' ? 'recipient' : 'sender');
      // The same person: same subject in the same organisation (an older confirmation without its
      // organisation is compared by subject, the stricter reading).
      const org = actor.principal.org;
      if (
        other !== null &&
        other.userId === by &&
        (other.organisationId === undefined || other.organisationId === org)
      ) {
        throw new ProblemError(
          P.handoverSamePerson,
          `You confirmed the ${side === 'sender' ? 'receiving' : 'sending'} side already; a colleague on the ${side} side must confirm`,
        );
      }
      const confirmation: HandoverConfirmation = {
        unitId: unitOf(referral, side),
        userId: by,
        organisationId: org,
        at: now,
      };
      const nextHandover: Handover =
        side === 'sender'
          ? { ...handover, senderConfirmation: confirmation }
          : { ...handover, recipientConfirmation: confirmation };
      const both =
        nextHandover.senderConfirmation !== null && nextHandover.recipientConfirmation !== null;
      const events: LifecycleEvent[] = [
        {
          event:
            side === 'sender' ? 'handover_confirmed_by_sender' : 'handover_confirmed_by_recipient',
          detail: { unitId: confirmation.unitId, side, by, at, mode: handover.mode },
        },
      ];
      if (both) {
        events.push({
          event: 'handover_confirmed',
          detail: {
            at,
            mode: handover.mode,
            senderConfirmedAt: nextHandover.senderConfirmation?.at.toISOString(),
            recipientConfirmedAt: nextHandover.recipientConfirmation?.at.toISOString(),
          },
        });
      }
      return {
        next: bump({
          status: both ? 'handover_confirmed' : 'handover_planned',
          handover: nextHandover,
        }),
        events,
      };
    }

    case 'close': {
      requireFrom(referral, action);
      const outcome = oneOf(REFERRAL_OUTCOMES, input.outcome);
      if (outcome === undefined) {
        throw new ProblemError(
          P.outcomeRequired,
          `outcome must be one of ${REFERRAL_OUTCOMES.join(', ')}`,
          {
            errors: [
              { field: 'body.outcome', message: `must be one of: ${REFERRAL_OUTCOMES.join(', ')}` },
            ],
          },
        );
      }
      if (referral.status !== 'handover_confirmed' && !NO_HANDOVER_OUTCOMES.includes(outcome)) {
        throw new ProblemError(
          P.transitionNotAllowed,
          `Cannot close a referral that is ${referral.status} with outcome ${outcome}: ` +
            `without a confirmed handover the outcome must be one of ${NO_HANDOVER_OUTCOMES.join(', ')}`,
          { extensions: { currentStatus: referral.status } },
        );
      }
      return {
        next: bump({ status: 'closed', closedAt: now, outcome }),
        events: [
          {
            event: 'closed',
            detail: {
              unitId: referral.recipientUnitId,
              by,
              at,
              outcome,
              handoverConfirmed: referral.status === 'handover_confirmed',
            },
          },
        ],
      };
    }
  }
}

function acknowledgedEvent(
  referral: ReferralState,
  by: string,
  at: string,
  implied: boolean,
): LifecycleEvent {
  return { event: 'acknowledged', detail: { unitId: referral.recipientUnitId, by, at, implied } };
}

function impliedAcknowledgement(referral: ReferralState, by: string, at: string): LifecycleEvent[] {
  return referral.status === 'sent' ? [acknowledgedEvent(referral, by, at, true)] : [];
}
