import { MAX_DEVIATION } from './cell-key';
import {
  csvCell,
  durations,
  operationReport,
  operationReportCsv,
  percentile,
  type ReportInput,
} from './operation-report';

const SECRET = 'test secret';
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
        fieldRequestId: 'fr1',
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
        fieldRequestId: 'fr2',
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
  const report = operationReport(input(), min(10_000), SECRET);

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

  it('sums the tallies and publishes counts of people by the cell key method', () => {
    const e = report.encounters;
    const within = (published: unknown, truth: number) => {
      if (truth < 5) {
        expect(published).toBe('<5');
      } else if (typeof published === 'number') {
        expect(Math.abs(published - truth)).toBeLessThanOrEqual(MAX_DEVIATION);
      } else {
        // a true count of 5 or 6 may be perturbed below the threshold
        expect([published, truth <= 4 + MAX_DEVIATION]).toEqual(['<5', true]);
      }
    };
    expect(e.talliesRecorded).toBe(2);
    within(e.peopleMet, 13);
    within(e.supportOffered, 13);
    within(e.supportAccepted, 10);
    within(e.protectedHousingArranged, 1);
    within(e.buyersMet, 6);
    within(e.buyersOfferedClinic, 6);
    within(e.referralsCreated, 2);
    expect(e.byGender.map((r) => r.key)).toEqual(['female', 'male']);
    within(e.byGender[0]!.count, 11);
    within(e.byGender[1]!.count, 2);
    within(e.byAgeBand[0]!.count, 13);
    within(e.byCitizenshipGroup[0]!.count, 8);
    within(e.byCitizenshipGroup[1]!.count, 5);
  });

  it('gives the same people the same perturbation, whichever cell reaches them', () => {
    // All 13 people are adults: the age band cell and the total are the same people.
    expect(report.encounters.byAgeBand[0]!.count).toBe(report.encounters.peopleMet);
    const again = operationReport(input(), min(20_000), SECRET);
    expect(again.encounters).toEqual(report.encounters);
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
    const empty = operationReport(
      input({ fieldRequests: [], tallies: [], shifts: [] }),
      t0,
      SECRET,
    );
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
    const csv = operationReportCsv(operationReport(input(), t0, SECRET));
    const lines = csv.split('\r\n');
    expect(lines[0]).toBe('section,key,value');
    expect(lines).toContain('operation,name,"Insatsvecka, v. 47"');
    expect(lines).toContain('encounters,protectedHousingArranged,<5');
    expect(lines).toContain('people_by_gender,male,<5');
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
