import { pickReviewItems, sample, withinOfficeHours, type ReviewEntry } from './log-review';

let seq = 0;
function entry(overrides: Partial<ReviewEntry>): ReviewEntry {
  seq += 1;
  return {
    seq,
    // Tuesday 2026-11-24 10:00 in Stockholm (09:00 UTC)
    at: new Date('2026-11-24T09:00:00Z'),
    actorSub: 'frideborg.caseworker',
    actorIssuer: 'https://idp.example',
    actorOrg: 'norrkoping',
    action: 'referral.envelope_read',
    objectType: 'referral',
    objectId: 'r1',
    outcome: 'allowed',
    detail: {},
    ...overrides,
  };
}

describe('office hours in Swedish time', () => {
  it.each([
    ['2026-11-24T09:00:00Z', true], // Tue 10:00 CET
    ['2026-11-24T05:59:00Z', false], // Tue 06:59 CET
    ['2026-11-24T06:00:00Z', true], // Tue 07:00 CET
    ['2026-11-24T17:00:00Z', false], // Tue 18:00 CET
    ['2026-06-16T16:30:00Z', false], // Tue 18:30 CEST (summer time)
    ['2026-06-16T05:30:00Z', true], // Tue 07:30 CEST
    ['2026-11-28T10:00:00Z', false], // Saturday
  ])('%s → %s', (at, expected) => {
    expect(withinOfficeHours(new Date(at))).toBe(expected);
  });
});

describe('the sample', () => {
  it('is reproducible from its seed, distinct, and of the asked size', () => {
    const items = Array.from({ length: 50 }, (_v, i) => i);
    const a = sample(items, 10, 'seed-1');
    expect(sample(items, 10, 'seed-1')).toEqual(a);
    expect(new Set(a).size).toBe(10);
    expect(sample(items, 10, 'seed-2')).not.toEqual(a);
    expect(sample(items, 80, 'seed-1')).toHaveLength(50);
  });
});

describe('pickReviewItems', () => {
  it('flags the unusual reads and samples the rest', () => {
    const night = entry({ at: new Date('2026-11-24T23:00:00Z'), actorSub: 'night.owl' });
    const nightOnShift = entry({ at: new Date('2026-11-24T23:00:00Z'), actorSub: 'on.call' });
    const decline = entry({ action: 'referral.decline', objectId: 'r2' });
    const afterDecline = entry({
      objectId: 'r2',
      at: new Date('2026-11-24T10:00:00Z'),
      actorSub: 'police.officer',
    });
    const withdraw = entry({ action: 'referral.withdraw', objectId: 'r3' });
    const deniedAfterWithdraw = entry({
      objectId: 'r3',
      outcome: 'denied',
      at: new Date('2026-11-24T09:30:00Z'),
    });
    const acute = entry({ action: 'referral.send', detail: { legalBasis: 'acute_protection' } });
    const consent = entry({ action: 'referral.send', detail: { legalBasis: 'consent' } });
    const denials = [1, 2, 3].map(() =>
      entry({ actorSub: 'umea.caseworker', outcome: 'denied', objectId: 'r9' }),
    );
    const volume = Array.from({ length: 35 }, () => entry({ actorSub: 'busy.reader' }));
    const ordinary = Array.from({ length: 10 }, () => entry({}));
    const picks = pickReviewItems({
      entries: [
        night,
        nightOnShift,
        decline,
        afterDecline,
        withdraw,
        deniedAfterWithdraw,
        acute,
        consent,
        ...denials,
        ...volume,
        ...ordinary,
      ],
      shifts: [
        {
          userId: 'on.call',
          startsAt: new Date('2026-11-24T20:00:00Z'),
          endsAt: new Date('2026-11-25T06:00:00Z'),
        },
      ],
      sampleSize: 5,
      seed: 'fixed',
    });
    const reasons = new Map(picks.map((p) => [p.entry.seq, p.reasons]));
    expect(reasons.get(night.seq)).toContain('outside_office_hours');
    expect(reasons.get(nightOnShift.seq) ?? []).not.toContain('outside_office_hours');
    expect(reasons.get(afterDecline.seq)).toContain('after_decline');
    expect(reasons.get(deniedAfterWithdraw.seq)).toContain('after_withdrawal');
    expect(reasons.get(acute.seq)).toEqual(['acute_protection_override']);
    expect(reasons.has(consent.seq)).toBe(false);
    for (const d of denials) {
      expect(reasons.get(d.seq)).toContain('repeated_denials');
    }
    // The 31st read of the busy reader passes max(30, 3 × median).
    expect(reasons.get(volume[30]!.seq)).toContain('unusual_volume');
    expect(volume.filter((v) => reasons.get(v.seq)?.includes('unusual_volume'))).toHaveLength(1);
    expect(picks.filter((p) => p.reasons.includes('sampled'))).toHaveLength(5);
    // In order of the log, each entry once.
    const seqs = picks.map((p) => p.entry.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(new Set(seqs).size).toBe(seqs.length);
  });
});
