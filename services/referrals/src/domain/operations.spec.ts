import { ProblemError } from '@samverkan/shared';
import {
  answerParticipation,
  checkOperationOpen,
  checkOperationPeriod,
  checkOperationUnits,
  checkShiftPeriod,
  operationTransition,
  type OperationAction,
  type OperationStatus,
} from './operations';

const HOUR = 3_600_000;
const now = new Date('2026-11-23T12:00:00Z');
const at = (h: number) => new Date(now.getTime() + h * HOUR);
const period = { startsAt: at(-1), endsAt: at(24) };

function slugOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return err instanceof ProblemError ? err.definition.slug : 'not a problem';
  }
  return undefined;
}

describe('operationTransition', () => {
  const table: Array<[OperationStatus, OperationAction, OperationStatus | string]> = [
    ['planned', 'activate', 'active'],
    ['active', 'complete', 'completed'],
    ['planned', 'cancel', 'cancelled'],
    ['active', 'cancel', 'cancelled'],
    ['planned', 'complete', 'operation-transition-not-allowed'],
    ['active', 'activate', 'operation-transition-not-allowed'],
    ['completed', 'cancel', 'operation-transition-not-allowed'],
    ['cancelled', 'activate', 'operation-transition-not-allowed'],
  ];
  it.each(table)('%s --%s--> %s', (from, action, expected) => {
    const slug = slugOf(() => operationTransition(from, action, period, now));
    if (slug) {
      expect(slug).toBe(expected);
    } else {
      expect(operationTransition(from, action, period, now)).toBe(expected);
    }
  });

  it('activates only within the period', () => {
    expect(
      slugOf(() =>
        operationTransition('planned', 'activate', { startsAt: at(1), endsAt: at(2) }, now),
      ),
    ).toBe('operation-outside-period');
    expect(
      slugOf(() =>
        operationTransition('planned', 'activate', { startsAt: at(-2), endsAt: now }, now),
      ),
    ).toBe('operation-outside-period');
    expect(operationTransition('planned', 'activate', { startsAt: now, endsAt: at(1) }, now)).toBe(
      'active',
    );
  });
});

describe('checkOperationPeriod', () => {
  it('accepts a week that has started', () => {
    expect(() =>
      checkOperationPeriod({ startsAt: at(-24), endsAt: at(24 * 6) }, now),
    ).not.toThrow();
  });
  it.each([
    ['backwards', { startsAt: at(2), endsAt: at(1) }],
    ['empty', { startsAt: at(1), endsAt: at(1) }],
    ['over', { startsAt: at(-5), endsAt: at(-1) }],
    ['longer than 31 days', { startsAt: at(0), endsAt: at(24 * 32) }],
  ])('refuses a period that is %s', (_why, p) => {
    expect(slugOf(() => checkOperationPeriod(p, now))).toBe('operation-period-invalid');
  });
});

describe('checkShiftPeriod', () => {
  it('accepts a shift inside the operation, edges included', () => {
    expect(() => checkShiftPeriod(period, period)).not.toThrow();
  });
  it.each([
    ['starts before the operation', { startsAt: at(-2), endsAt: at(1) }],
    ['ends after the operation', { startsAt: at(0), endsAt: at(25) }],
    ['ends before it starts', { startsAt: at(3), endsAt: at(2) }],
  ])('refuses a shift that %s', (_why, shift) => {
    expect(slugOf(() => checkShiftPeriod(shift, period))).toBe('shift-outside-operation');
  });
});

describe('answerParticipation', () => {
  it('answers an invitation once', () => {
    expect(answerParticipation('invited', 'accept', 'planned')).toBe('accepted');
    expect(answerParticipation('invited', 'decline', 'active')).toBe('declined');
    expect(slugOf(() => answerParticipation('accepted', 'decline', 'planned'))).toBe(
      'participation-already-answered',
    );
  });
  it('takes no answers once the operation is over', () => {
    expect(slugOf(() => answerParticipation('invited', 'accept', 'completed'))).toBe(
      'operation-transition-not-allowed',
    );
  });
});

describe('checkOperationUnits', () => {
  const unit = (
    unitId: string,
    organisationKind: string,
    status: 'active' | 'inactive' = 'active',
  ) => ({
    unitId,
    organisationKind,
    status,
  });
  const police = unit('p', 'police');
  it('accepts a police organiser, a coordinator and social services, NGO and healthcare units', () => {
    expect(() =>
      checkOperationUnits({
        organiser: police,
        coordinator: unit('c', 'regional_coordinator'),
        invited: ['social_services', 'ngo', 'healthcare'].map((k, i) => ({
          unitId: `u${i}`,
          unit: unit(`u${i}`, k),
        })),
      }),
    ).not.toThrow();
  });
  it.each([
    ['an NGO organiser', { organiser: unit('n', 'ngo'), coordinator: null, invited: [] }],
    [
      'a coordinator that is not one',
      { organiser: police, coordinator: unit('s', 'social_services'), invited: [] },
    ],
    [
      'an unknown unit',
      { organiser: police, coordinator: null, invited: [{ unitId: 'x', unit: undefined }] },
    ],
    [
      'an inactive unit',
      {
        organiser: police,
        coordinator: null,
        invited: [{ unitId: 'i', unit: unit('i', 'ngo', 'inactive') }],
      },
    ],
    [
      'the organiser invited',
      { organiser: police, coordinator: null, invited: [{ unitId: 'p', unit: police }] },
    ],
  ])('refuses %s', (_why, input) => {
    expect(slugOf(() => checkOperationUnits(input))).toBe('operation-units-invalid');
  });
});

describe('checkOperationOpen', () => {
  it.each(['planned', 'active'] as const)('lets a %s operation change', (status) => {
    expect(slugOf(() => checkOperationOpen(status))).toBeUndefined();
  });

  it.each(['completed', 'cancelled'] as const)('refuses a %s one', (status) => {
    expect(slugOf(() => checkOperationOpen(status))).toBe(
      slugOf(() => operationTransition('completed', 'activate', period, now)),
    );
  });
});
