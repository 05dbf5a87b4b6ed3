import { ProblemError } from '../errors/problem';
import { keysetCursor } from './cursor';

const cursor = keysetCursor({ createdAt: 'datetime', id: 'uuid' });
const id = '0b6f2c1e-5a4d-4c3b-9a8f-1e2d3c4b5a69';

describe('keysetCursor', () => {
  it('round-trips a position and is opaque base64url', () => {
    const c = cursor.encode({ createdAt: '2026-12-06T01:00:00.000Z', id });
    expect(c).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(cursor.decode(c)).toEqual({ createdAt: '2026-12-06T01:00:00.000Z', id });
    expect(cursor.decode(undefined)).toBeUndefined();
  });

  it('answers 400 on a cursor it did not give out', () => {
    const enc = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
    for (const bad of [
      '',
      '!!!',
      'bm90IGpzb24',
      enc({ createdAt: '2026-12-06T01:00:00.000Z', id }),
      enc(['2026-12-06T01:00:00.000Z']),
      enc(['not a date', id]),
      enc(['2026-12-06T01:00:00.000Z', 'not-a-uuid']),
      enc(['2026-12-06T01:00:00.000Z', id, 'extra']),
      'A'.repeat(2000),
    ]) {
      let thrown: unknown;
      try {
        cursor.decode(bad);
      } catch (err) {
        thrown = err;
      }
      expect(thrown).toBeInstanceOf(ProblemError);
      expect((thrown as ProblemError).statusCode).toBe(400);
      expect((thrown as ProblemError).errors?.[0]?.field).toBe('querystring.cursor');
      expect(cursor.tryDecode(bad)).toBeUndefined();
    }
  });

  it('refuses to encode a position of the wrong kind', () => {
    expect(() => cursor.encode({ createdAt: 'x', id })).toThrow();
    const seq = keysetCursor({ seq: 'integer' });
    expect(seq.decode(seq.encode({ seq: '42' }))).toEqual({ seq: '42' });
  });
});
