import { ProblemError } from '@samverkan/shared';
import { ReferralProblems as P } from './errors';

/**
 * Joint operation weeks (docs/architecture.md#operation-weeks) as plain rules: the operation's state machine, its period,
 * who may take part and staff it. No Fastify, no TypeORM.
 */

export const OPERATION_STATUSES = ['planned', 'active', 'completed', 'cancelled'] as const;
export type OperationStatus = (typeof OPERATION_STATUSES)[number];

export type OperationAction = 'activate' | 'complete' | 'cancel';

export const PARTICIPATION_STATUSES = ['invited', 'accepted', 'declined'] as const;
export type ParticipationStatus = (typeof PARTICIPATION_STATUSES)[number];

/** Longest operation period: an operation *week*, with room for a fortnight or a month. */
export const MAX_OPERATION_DAYS = 31;
const DAY_MS = 24 * 60 * 60 * 1000;

/** Kinds of organisation whose units may be invited (docs/architecture.md#who-uses-it). */
export const INVITABLE_KINDS = [
  'social_services',
  'ngo',
  'healthcare',
  'police',
  'regional_coordinator',
] as const;

const FROM: Readonly<Record<OperationAction, readonly OperationStatus[]>> = {
  activate: ['planned'],
  complete: ['active'],
  cancel: ['planned', 'active'],
};
const TO: Readonly<Record<OperationAction, OperationStatus>> = {
  activate: 'active',
  complete: 'completed',
  cancel: 'cancelled',
};

export interface Period {
  startsAt: Date;
  endsAt: Date;
}

/** `planned → active → completed`, or `cancelled`; `active` only within the period. */
export function operationTransition(
  status: OperationStatus,
  action: OperationAction,
  period: Period,
  now: Date,
): OperationStatus {
  if (!FROM[action].includes(status)) {
    throw new ProblemError(
      P.operationTransitionNotAllowed,
      `An operation in status ${status} cannot be ${TO[action]}`,
      { extensions: { currentStatus: status } },
    );
  }
  if (action === 'activate' && (now < period.startsAt || now >= period.endsAt)) {
    throw new ProblemError(
      P.operationOutsidePeriod,
      `The operation runs from ${period.startsAt.toISOString()} to ${period.endsAt.toISOString()}`,
    );
  }
  return TO[action];
}

/** Invitations and shifts change only while the operation is planned or active. */
export function checkOperationOpen(status: OperationStatus): void {
  if (status !== 'planned' && status !== 'active') {
    throw new ProblemError(P.operationTransitionNotAllowed, `The operation is ${status}`, {
      extensions: { currentStatus: status },
    });
  }
}

/** A new operation's period: ends after it starts, ends in the future, at most 31 days. */
export function checkOperationPeriod(period: Period, now: Date): void {
  const errors: Array<{ field: string; message: string }> = [];
  if (!(period.endsAt > period.startsAt)) {
    errors.push({ field: 'body.endsAt', message: 'must be after startsAt' });
  } else if (period.endsAt.getTime() - period.startsAt.getTime() > MAX_OPERATION_DAYS * DAY_MS) {
    errors.push({
      field: 'body.endsAt',
      message: `is more than ${MAX_OPERATION_DAYS} days after startsAt`,
    });
  }
  if (!(period.endsAt > now)) {
    errors.push({ field: 'body.endsAt', message: 'is in the past' });
  }
  if (errors.length > 0) {
    throw new ProblemError(
      P.operationPeriodInvalid,
      errors.map((e) => `${e.field} ${e.message}`).join('; '),
      { errors },
    );
  }
}

/** A shift lies within the operation's period and ends after it starts. */
export function checkShiftPeriod(shift: Period, operation: Period): void {
  const errors: Array<{ field: string; message: string }> = [];
  if (!(shift.endsAt > shift.startsAt)) {
    errors.push({ field: 'body.endsAt', message: 'must be after startsAt' });
  }
  if (shift.startsAt < operation.startsAt) {
    errors.push({ field: 'body.startsAt', message: 'is before the operation starts' });
  }
  if (shift.endsAt > operation.endsAt) {
    errors.push({ field: 'body.endsAt', message: 'is after the operation ends' });
  }
  if (errors.length > 0) {
    throw new ProblemError(
      P.shiftOutsideOperation,
      errors.map((e) => `${e.field} ${e.message}`).join('; '),
      { errors },
    );
  }
}

/** An invitation is answered once: `invited → accepted | declined`. */
export function answerParticipation(
  current: ParticipationStatus,
  answer: 'accept' | 'decline',
  operationStatus: OperationStatus,
): ParticipationStatus {
  if (operationStatus === 'completed' || operationStatus === 'cancelled') {
    throw new ProblemError(P.operationTransitionNotAllowed, `The operation is ${operationStatus}`, {
      extensions: { currentStatus: operationStatus },
    });
  }
  if (current !== 'invited') {
    throw new ProblemError(P.participationAlreadyAnswered, `The unit has ${current}`, {
      extensions: { currentStatus: current },
    });
  }
  return answer === 'accept' ? 'accepted' : 'declined';
}

export interface UnitFacts {
  unitId: string;
  organisationKind: string;
  status: 'active' | 'inactive';
}

/**
 * The units of a new operation: the organiser is a police or regional coordinator unit, the
 * coordinator (if any) a regional coordinator unit, the invited units active units of the kinds
 * that take part, none of them the organiser.
 */
export function checkOperationUnits(input: {
  organiser: UnitFacts | undefined;
  coordinator: UnitFacts | undefined | null;
  invited: Array<{ unitId: string; unit: UnitFacts | undefined }>;
}): void {
  const bad: string[] = [];
  const { organiser, coordinator } = input;
  if (
    !organiser ||
    organiser.status !== 'active' ||
    !['police', 'regional_coordinator'].includes(organiser.organisationKind)
  ) {
    bad.push('organiserUnitId is not an active police or regional coordinator unit');
  }
  if (
    coordinator !== null &&
    (!coordinator ||
      coordinator.status !== 'active' ||
      coordinator.organisationKind !== 'regional_coordinator')
  ) {
    bad.push('coordinatorUnitId is not an active regional coordinator unit');
  }
  for (const { unitId, unit } of input.invited) {
    if (
      !unit ||
      unit.status !== 'active' ||
      !(INVITABLE_KINDS as readonly string[]).includes(unit.organisationKind)
    ) {
      bad.push(`unit ${unitId} is unknown, inactive or of a kind that cannot take part`);
    } else if (unitId === organiser?.unitId) {
      bad.push(`unit ${unitId} is the organiser`);
    }
  }
  if (bad.length > 0) {
    throw new ProblemError(P.operationUnitsInvalid, bad.join('; '));
  }
}
