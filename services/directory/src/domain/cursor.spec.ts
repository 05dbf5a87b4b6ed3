import { ProblemError } from '@samverkan/shared';
import { nameIdCursor, nextNameIdCursor } from './cursor';

const id = (n: number) => `11000000-0000-4000-8000-00000000000${n}`;

describe('the directory lists’ cursor (name, id)', () => {
  it('round-trips the sort key, including non-ASCII names', () => {
    const key = { name: 'Kvinnoboendet Älvsjö – jour', id: id(3) };
    const cursor = nameIdCursor.encode(key);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(nameIdCursor.decode(cursor)).toEqual(key);
  });

  it('gives undefined for no cursor', () => {
    expect(nameIdCursor.decode(undefined)).toBeUndefined();
  });

  it('answers 400 naming querystring.cursor for a cursor it did not give out', () => {
    const enc = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
    for (const bad of [
      '',
      '!!!',
      'bm90IGpzb24',
      enc({ n: 'a', i: id(1) }), // the directory's old object format
      enc(['a']),
      enc(['a', 'not-a-uuid']),
      enc(['a', 1]),
      enc([null, id(1)]),
    ]) {
      let caught: unknown;
      try {
        nameIdCursor.decode(bad);
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(ProblemError);
      expect((caught as ProblemError).statusCode).toBe(400);
      expect(JSON.stringify((caught as ProblemError).errors)).toContain('querystring.cursor');
    }
  });

  it('gives a next cursor only when a row beyond the page was read', () => {
    const rows = [1, 2, 3].map((n) => ({ name: `U${n}`, id: id(n) }));
    expect(nextNameIdCursor(rows.slice(0, 2), 2)).toBeNull();
    expect(nameIdCursor.decode(nextNameIdCursor(rows, 2)!)).toEqual({ name: 'U2', id: id(2) });
  });
});
