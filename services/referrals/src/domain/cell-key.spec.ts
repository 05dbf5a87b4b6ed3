import {
  CELL_KEY_MODULUS,
  cellKeyOf,
  deviationFor,
  perturbCount,
  possibleTrueCounts,
  PERTURBATION_TABLE,
} from './cell-key';

describe('the cell key method', () => {
  it('takes the sum of record keys modulo 2^32 to a key in [0, 1)', () => {
    expect(cellKeyOf(0n)).toBe(0);
    expect(cellKeyOf(BigInt(CELL_KEY_MODULUS) + 1n)).toBe(1 / CELL_KEY_MODULUS);
    expect(cellKeyOf(BigInt(CELL_KEY_MODULUS) * 3n - 1n)).toBeLessThan(1);
  });

  it('has an unbiased table of −2…+2', () => {
    let previous = 0;
    let mean = 0;
    for (const row of PERTURBATION_TABLE) {
      mean += (row.below - previous) * row.deviation;
      previous = row.below;
    }
    expect(previous).toBe(1);
    expect(mean).toBeCloseTo(0, 10);
    expect([0, 0.05, 0.1, 0.29, 0.5, 0.7, 0.95].map(deviationFor)).toEqual([
      -2, -2, -1, -1, 0, 1, 2,
    ]);
    expect(() => deviationFor(1)).toThrow(RangeError);
  });

  it('never publishes a count under 5 as a number, whatever the key', () => {
    for (let count = 0; count < 12; count += 1) {
      for (let key = 0; key < 1; key += 0.05) {
        const published = perturbCount(count, key);
        if (count < 5) {
          expect(published).toBe('<5');
        } else if (typeof published === 'number') {
          expect(published).toBeGreaterThanOrEqual(5);
          expect(Math.abs(published - count)).toBeLessThanOrEqual(2);
        } else {
          expect(published).toBe('<5');
          expect(count).toBeLessThanOrEqual(6);
        }
      }
    }
  });

  it('perturbs the same cell the same way every time', () => {
    expect(perturbCount(13, 0.95)).toBe(15);
    expect(perturbCount(13, 0.95)).toBe(
      perturbCount(13, cellKeyOf(BigInt(Math.floor(0.95 * 2 ** 32)))),
    );
  });

  it('leaves several true counts possible for every published value', () => {
    expect(possibleTrueCounts(14)).toEqual({ min: 12, max: 16 });
    expect(possibleTrueCounts(5)).toEqual({ min: 5, max: 7 });
    expect(possibleTrueCounts('<5')).toEqual({ min: 1, max: 6 });
  });
});
