import { ProblemError, type Principal } from '@samverkan/shared';
import type { StatisticsCell } from '../../services/statistics.repository';
import {
  municipalityRow,
  publish,
  reportPeriod,
  requireMappingReader,
  responseTimes,
} from './mapping-report';

const cell = (key: string[], n: number, over: Partial<StatisticsCell> = {}): StatisticsCell => ({
  key,
  n,
  keysum: 12345n,
  acknowledged: n,
  medianMinutes: 12.34,
  ...over,
});

describe('the mapping report', () => {
  it('is for analysts and coordinators', () => {
    const as = (roles: Principal['roles']) =>
      ({ sub: 's', iss: 'i', org: 'o', units: [], roles, hubAdmin: false }) as Principal;
    expect(() => requireMappingReader(as(['analyst']))).not.toThrow();
    expect(() => requireMappingReader(as(['coordinator']))).not.toThrow();
    expect(() => requireMappingReader(as(['caseworker']))).toThrow(ProblemError);
  });

  it('covers Swedish days: to defaults to today, from to the first of to’s year', () => {
    // 23:30 UTC on 31 December is already 1 January in Sweden.
    expect(reportPeriod({ county: '05' }, new Date('2026-12-31T23:30:00Z'))).toEqual({
      from: '2027-01-01',
      to: '2027-01-01',
    });
    expect(
      reportPeriod({ county: '05', from: '2026-02-01', to: '2026-03-31' }, new Date()),
    ).toEqual({ from: '2026-02-01', to: '2026-03-31' });
  });

  it('refuses days that are not calendar days, and a period backwards', () => {
    const now = new Date('2026-06-01T00:00:00Z');
    expect(() => reportPeriod({ county: '05', to: '2026-02-30' }, now)).toThrow(ProblemError);
    expect(() => reportPeriod({ county: '05', from: '2026-5-1' }, now)).toThrow(ProblemError);
    expect(() => reportPeriod({ county: '05', from: '2026-05-02', to: '2026-05-01' }, now)).toThrow(
      ProblemError,
    );
  });

  it('publishes an absent cell as below the threshold', () => {
    expect(publish(undefined)).toBe('<5');
  });

  it('gives a municipality its total, median and breakdowns from the cells', () => {
    const totals = [cell(['0581'], 40)];
    const byDimension = new Map([
      ['gender' as const, [cell(['0581', 'male'], 10), cell(['0581', 'female'], 30)]],
    ]);
    const row = municipalityRow({ code: '0581', name: 'Norrköping' }, totals, byDimension);
    expect(typeof row.referrals).toBe('number');
    expect(row.medianMinutesToAcknowledge).toBe(12.3);
    expect(row.byGender.map((g) => g.key)).toEqual(['female', 'male']);
    expect(row.byCategory).toEqual([]);
    // Too few acknowledged for a median to be shown.
    const few = municipalityRow(
      { code: '0581', name: 'Norrköping' },
      [cell(['0581'], 40, { acknowledged: 2 })],
      new Map(),
    );
    expect(few.medianMinutesToAcknowledge).toBeNull();
    expect(municipalityRow({ code: '0580', name: 'Linköping' }, totals, new Map()).referrals).toBe(
      '<5',
    );
  });

  it('measures response times from request to claim and from claim to on site', () => {
    const t = (m: number) => new Date(Date.UTC(2026, 0, 1, 0, m));
    const times = responseTimes([
      { createdAt: t(0), claimedAt: t(10), onSiteAt: t(40) },
      { createdAt: t(0), claimedAt: null, onSiteAt: null },
    ]);
    expect(times.requestToClaim).toMatchObject({ count: 1, medianMinutes: 10 });
    expect(times.claimToOnSite).toMatchObject({ count: 1, medianMinutes: 30 });
  });
});
