import {
  csvCell,
  durations,
  operationReport,
  operationReportCsv,
  percentile,
  type ReportInput,
} from './operation-report';

const t0 = new Date('2026-11-23T20:00:00Z');
const min = (m: number) => new Date(t0.getTime() + m * 60_000);

function input(overrides: Partial<ReportInput> = {}): ReportInput {
  return {
    operation: {
      id: 'op',
      name: 'Insatsvecka, v. 47',
      status: 'completed',
      startsAt: t0,
      endsAt: min(7 * 24 * 60),
      organiserUnitId: 'police',
      coordinatorUnitId: 'coordinator',
      municipalityCodes: ['0581'],
    },
    participants: [
      { unitId: 'frideborg', status: 'accepted' },
      { unitId: 'novahuset', status: 'declined' },
    ],
    shifts: [
      { unitId: 'frideborg', userId: 'a' },
      { unitId: 'frideborg', userId: 'a' },
      { unitId: 'frideborg', userId: 'b' },
    ],
    fieldRequests: [
      {
        status: 'completed',
        createdAt: min(0),
        claimedAt: min(2),
        onSiteAt: min(12),
        escalatedAt: null,
        claimedByUnitId: 'frideborg',
      },
      {
        status: 'completed',
        createdAt: min(0),
        claimedAt: min(4),
        onSiteAt: min(24),
        escalatedAt: null,
        claimedByUnitId: 'frideborg',
      },
      {
        status: 'cancelled',
        createdAt: min(0),
        claimedAt: null,
        onSiteAt: null,
        escalatedAt: null,
        claimedByUnitId: null,
      },
      {
        status: 'open',
        createdAt: min(0),
        claimedAt: null,
        onSiteAt: null,
        escalatedAt: min(30),
        claimedByUnitId: null,
      },
    ],
    tallies: [
      {
        peopleMet: [
          { gender: 'female', ageBand: 'adult', citizenshipGroup: 'eu', count: 6 },
          { gender: 'male', ageBand: 'adult', citizenshipGroup: 'eu', count: 2 },
        ],
        supportOffered: 8,
        supportAccepted: 5,
        protectedHousingArranged: 1,
        buyersMet: 0,
        buyersOfferedClinic: 0,
        referralIds: ['r1'],
      },
      {
        peopleMet: [{ gender: 'female', ageBand: 'adult', citizenshipGroup: 'non_eu', count: 5 }],
        supportOffered: 5,
        supportAccepted: 5,
        protectedHousingArranged: 0,
        buyersMet: 6,
        buyersOfferedClinic: 6,
        referralIds: ['r1', 'r2'],
      },
    ],
    ...overrides,
  };
}

describe('percentile and durations', () => {
  it('interpolates like percentile_cont', () => {
    expect(percentile([], 0.5)).toBeNull();
    expect(percentile([7], 0.9)).toBe(7);
    expect(percentile([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(percentile([10, 1, 5], 0.5)).toBe(5);
    expect(percentile([0, 10], 0.9)).toBe(9);
  });
  it('rounds minutes to one decimal', () => {
    expect(durations([1 / 3, 2 / 3])).toEqual({ count: 2, medianMinutes: 0.5, p90Minutes: 0.6 });
    expect(durations([])).toEqual({ count: 0, medianMinutes: null, p90Minutes: null });
  });
});

describe('operationReport', () => {
  const report = operationReport(input(), min(10_000));

  it('counts field requests by outcome and escalation', () => {
    expect(report.fieldRequests).toEqual({
      total: 4,
      byStatus: { open: 1, claimed: 0, en_route: 0, on_site: 0, completed: 2, cancelled: 1 },
      escalated: 1,
      escalatedUnclaimed: 1,
    });
  });

  it('gives median and 90th percentile of request → claim and claim → on site', () => {
    expect(report.responseTimes).toEqual({
      requestToClaim: { count: 2, medianMinutes: 3, p90Minutes: 3.8 },
      claimToOnSite: { count: 2, medianMinutes: 15, p90Minutes: 19 },
    });
  });

  it('sums the tallies and suppresses small counts of people', () => {
    expect(report.encounters).toEqual({
      talliesRecorded: 2,
      peopleMet: 13,
      supportOffered: 13,
      supportAccepted: 10,
      protectedHousingArranged: '<5',
      buyersMet: 6,
      buyersOfferedClinic: 6,
      referralsCreated: '<5',
      // male 2 is hidden, so female must be too: 13 − female would give it away
      byGender: [
        { key: 'female', count: 'suppressed' },
        { key: 'male', count: '<5' },
      ],
      byAgeBand: [{ key: 'adult', count: 13 }],
      byCitizenshipGroup: [
        { key: 'eu', count: 8 },
        { key: 'non_eu', count: 5 },
      ],
    });
  });

  it('lists each unit with its part', () => {
    expect(report.participation).toEqual([
      {
        unitId: 'police',
        role: 'organiser',
        status: 'organiser',
        shifts: 0,
        staffOnShifts: 0,
        fieldRequestsClaimed: 0,
        fieldRequestsCompleted: 0,
      },
      {
        unitId: 'coordinator',
        role: 'coordinator',
        status: 'coordinator',
        shifts: 0,
        staffOnShifts: 0,
        fieldRequestsClaimed: 0,
        fieldRequestsCompleted: 0,
      },
      {
        unitId: 'frideborg',
        role: 'participant',
        status: 'accepted',
        shifts: 3,
        staffOnShifts: 2,
        fieldRequestsClaimed: 2,
        fieldRequestsCompleted: 2,
      },
      {
        unitId: 'novahuset',
        role: 'participant',
        status: 'declined',
        shifts: 0,
        staffOnShifts: 0,
        fieldRequestsClaimed: 0,
        fieldRequestsCompleted: 0,
      },
    ]);
  });

  it('reports an operation with nothing in it without dividing by zero', () => {
    const empty = operationReport(input({ fieldRequests: [], tallies: [], shifts: [] }), t0);
    expect(empty.responseTimes.requestToClaim).toEqual({
      count: 0,
      medianMinutes: null,
      p90Minutes: null,
    });
    expect(empty.encounters.peopleMet).toBe('<5');
    expect(empty.encounters.byGender).toEqual([]);
  });
});

describe('CSV', () => {
  it('writes section,key,value rows with CRLF and quotes what needs it', () => {
    const csv = operationReportCsv(operationReport(input(), t0));
    const lines = csv.split('\r\n');
    expect(lines[0]).toBe('section,key,value');
    expect(lines).toContain('operation,name,"Insatsvecka, v. 47"');
    expect(lines).toContain('encounters,protectedHousingArranged,<5');
    expect(lines).toContain('people_by_gender,female,suppressed');
    expect(lines).toContain('response_times,claimToOnSite.p90Minutes,19');
    expect(csv.endsWith('\r\n')).toBe(true);
  });
  it('keeps a spreadsheet from reading a cell as a formula', () => {
    expect(csvCell('=HYPERLINK("x")')).toBe(`"'=HYPERLINK(""x"")"`);
    expect(csvCell('+46')).toBe(`"'+46"`);
    expect(csvCell(null)).toBe('');
    expect(csvCell(12)).toBe('12');
  });
});
