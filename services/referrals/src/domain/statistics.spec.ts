import { suppressSmallCells } from './statistics';

const row = (key: string, count: number, medianMinutesToAcknowledge: number | null = 30) => ({
  key,
  count,
  medianMinutesToAcknowledge,
});

describe('suppressSmallCells', () => {
  it('shows cells of 5 and more as they are', () => {
    expect(suppressSmallCells([row('a', 5, 12), row('b', 120, 45.5)])).toEqual([
      { key: 'a', count: 5, medianMinutesToAcknowledge: 12 },
      { key: 'b', count: 120, medianMinutesToAcknowledge: 45.5 },
    ]);
  });

  it.each([0, 1, 2, 3, 4])('shows a count of %i as "<5" with no median', (count) => {
    expect(suppressSmallCells([row('a', count, 7)])).toEqual([
      { key: 'a', count: '<5', medianMinutesToAcknowledge: null },
    ]);
  });

  it('keeps a null median null', () => {
    expect(suppressSmallCells([row('a', 9, null)])[0]!.medianMinutesToAcknowledge).toBeNull();
  });

  it('hides the median when it is over fewer than the threshold, even in a large cell', () => {
    expect(suppressSmallCells([{ ...row('a', 40, 12), acknowledgedCount: 3 }])).toEqual([
      { key: 'a', count: 40, medianMinutesToAcknowledge: null },
    ]);
    expect(suppressSmallCells([{ ...row('a', 40, 12), acknowledgedCount: 5 }])[0]).toEqual({
      key: 'a',
      count: 40,
      medianMinutesToAcknowledge: 12,
    });
  });

  it('honours another threshold in the label', () => {
    expect(suppressSmallCells([row('a', 9), row('b', 10)], 10)).toEqual([
      { key: 'a', count: '<10', medianMinutesToAcknowledge: null },
      { key: 'b', count: 10, medianMinutesToAcknowledge: 30 },
    ]);
  });

  it('keeps structured keys and the order of rows', () => {
    const keys = [
      { month: '2025-01', category: 'trafficking_sexual' },
      { month: '2025-01', category: 'prostitution' },
    ];
    const out = suppressSmallCells([
      { key: keys[0]!, count: 2, medianMinutesToAcknowledge: 3 },
      { key: keys[1]!, count: 8, medianMinutesToAcknowledge: 3 },
    ]);
    expect(out.map((r) => r.key)).toEqual(keys);
  });

  it('returns no total row', () => {
    const out = suppressSmallCells([row('a', 3), row('b', 9)]);
    expect(out).toHaveLength(2);
    expect(out.map((r) => r.key)).toEqual(['a', 'b']);
  });

  it.each([0, -1, 2.5, Number.NaN])('refuses threshold %p', (threshold) => {
    expect(() => suppressSmallCells([row('a', 1)], threshold)).toThrow(RangeError);
  });

  it.each([-1, 1.5, Number.NaN])('refuses count %p', (count) => {
    expect(() => suppressSmallCells([row('a', count)])).toThrow(RangeError);
  });

  describe('complementary suppression by group', () => {
    const month = (key: string) => key.split('/')[0]!;

    it('does nothing without groupOf, however derivable a cell would be', () => {
      const out = suppressSmallCells([row('jan/a', 2), row('jan/b', 9)]);
      expect(out.map((r) => r.count)).toEqual(['<5', 9]);
    });

    it('hides the smallest other cell when a group has exactly one small cell', () => {
      const out = suppressSmallCells(
        [row('jan/a', 2), row('jan/b', 40), row('jan/c', 9), row('feb/a', 12), row('feb/b', 7)],
        5,
        { groupOf: month },
      );
      expect(out.map((r) => [r.key, r.count, r.medianMinutesToAcknowledge])).toEqual([
        ['jan/a', '<5', null],
        ['jan/b', 40, 30],
        ['jan/c', 'suppressed', null],
        ['feb/a', 12, 30],
        ['feb/b', 7, 30],
      ]);
    });

    it('hides more until the hidden cells sum to the threshold', () => {
      // 1 + 1 = 2: the two small cells together would be known to hold 2
      const out = suppressSmallCells(
        [row('jan/a', 1), row('jan/b', 1), row('jan/c', 6), row('jan/d', 50)],
        5,
        { groupOf: month },
      );
      expect(out.map((r) => r.count)).toEqual(['<5', '<5', 'suppressed', 50]);
    });

    it('leaves a group alone when two small cells already sum to the threshold', () => {
      const out = suppressSmallCells([row('jan/a', 3), row('jan/b', 4), row('jan/c', 6)], 5, {
        groupOf: month,
      });
      expect(out.map((r) => r.count)).toEqual(['<5', '<5', 6]);
    });

    it('breaks ties by input order, so the result is stable', () => {
      const out = suppressSmallCells([row('jan/a', 2), row('jan/b', 8), row('jan/c', 8)], 5, {
        groupOf: month,
      });
      expect(out.map((r) => r.count)).toEqual(['<5', 'suppressed', 8]);
    });

    it('can do nothing for a group of one small cell (its marginal must be hidden upstream)', () => {
      const out = suppressSmallCells([row('jan/a', 2), row('feb/a', 9)], 5, { groupOf: month });
      expect(out.map((r) => r.count)).toEqual(['<5', 9]);
    });
  });
});
