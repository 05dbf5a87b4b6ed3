import { ProblemError } from '@samverkan/shared';
import { ReferralProblems as P } from '../errors';
import {
  HANDOVER_MODES,
  MAX_FORWARDS,
  type DeclineReason,
  type ForwardTarget,
  type HandoverMode,
  type ReferralState,
  type TransitionInput,
} from './model';

/** The checks of an action's input (422 problems), in the order the state machine applies them. */

// ----- what ------------------------------------------------------------------

export function oneOf<T extends string>(allowed: readonly T[], value: unknown): T | undefined {
  return typeof value === 'string' && (allowed as readonly string[]).includes(value)
    ? (value as T)
    : undefined;
}

export function handoverPlan(input: TransitionInput): { mode: HandoverMode; plannedFor: Date } {
  const mode = oneOf(HANDOVER_MODES, input.mode);
  if (mode === undefined) {
    throw new ProblemError(P.handoverInvalid, `mode must be one of ${HANDOVER_MODES.join(', ')}`, {
      errors: [{ field: 'body.mode', message: `must be one of: ${HANDOVER_MODES.join(', ')}` }],
    });
  }
  const raw = input.plannedFor;
  const plannedFor =
    raw instanceof Date ? raw : typeof raw === 'string' && raw !== '' ? new Date(raw) : undefined;
  if (plannedFor === undefined || Number.isNaN(plannedFor.getTime())) {
    throw new ProblemError(P.handoverInvalid, 'plannedFor must be a date-time', {
      errors: [{ field: 'body.plannedFor', message: 'must be a date-time' }],
    });
  }
  // A copy, so that the caller's Date object is not shared with the returned state.
  return { mode, plannedFor: new Date(plannedFor.getTime()) };
}

export function declineNote(reason: DeclineReason, raw: unknown): string | undefined {
  const id = typeof raw === 'string' && raw !== '' ? raw : undefined;
  if (reason === 'other' && id === undefined) {
    throw new ProblemError(
      P.declineReasonRequired,
      'reason other needs a note for the sender, sealed for the parties',
      { errors: [{ field: 'body.note', message: 'is required when reason is other' }] },
    );
  }
  return id;
}

export function forwardTargets(
  referral: ReferralState,
  forwards: readonly ForwardTarget[] | null | undefined,
): ForwardTarget[] {
  const refuse = (detail: string) => {
    throw new ProblemError(P.recipientNotAllowed, detail);
  };
  if (!Array.isArray(forwards) || forwards.length === 0) {
    return refuse('Forwarding needs at least one new referral in forwards');
  }
  if (forwards.length > MAX_FORWARDS) {
    return refuse(`A referral can be forwarded to at most ${MAX_FORWARDS} units at once`);
  }
  const units = new Set<string>();
  const ids = new Set<string>();
  for (const target of forwards as readonly unknown[]) {
    const { id, recipientUnitId } = (target ?? {}) as Partial<ForwardTarget>;
    if (
      typeof id !== 'string' ||
      id === '' ||
      typeof recipientUnitId !== 'string' ||
      recipientUnitId === ''
    ) {
      return refuse('Each forward needs an id and a recipientUnitId');
    }
    // The forwarding unit becomes the sender of the new referrals; it cannot address itself.
    if (recipientUnitId === referral.recipientUnitId) {
      return refuse(`Unit ${recipientUnitId} is the unit forwarding the referral`);
    }
    if (units.has(recipientUnitId)) {
      return refuse(`Unit ${recipientUnitId} appears more than once; one new referral per unit`);
    }
    if (ids.has(id)) {
      return refuse(`Referral id ${id} appears more than once`);
    }
    units.add(recipientUnitId);
    ids.add(id);
  }
  return forwards.map(({ id, recipientUnitId }) => ({ id, recipientUnitId }));
}
