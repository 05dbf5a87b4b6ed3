import { decodeCursor, encodeCursor } from './cursor';

describe('keyset cursors', () => {
  it('round-trips the sort key, including non-ASCII names', () => {
    const key = { n: 'Kvinnoboendet Älvsjö – jour', i: '11000000-0000-4000-8000-000000000003' };
    const cursor = encodeCursor(key);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(cursor, ['n', 'i'])).toEqual(key);
  });

  it('gives undefined for no cursor', () => {
    expect(decodeCursor(undefined, ['n', 'i'])).toBeUndefined();
  });

  it('refuses a cursor that is not base64url JSON', () => {
    for (const bad of ['', '!!!', 'bm90IGpzb24', Buffer.from('{"n":').toString('base64url')]) {
      expect(decodeCursor(bad, ['n', 'i'])).toBeUndefined();
    }
  });

  it('refuses a cursor missing a field or with a field that is not a string', () => {
    const enc = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
    expect(decodeCursor(enc({ n: 'a' }), ['n', 'i'])).toBeUndefined();
    expect(decodeCursor(enc({ n: 'a', i: 1 }), ['n', 'i'])).toBeUndefined();
    expect(decodeCursor(enc({ n: 'a', i: null }), ['n', 'i'])).toBeUndefined();
    expect(decodeCursor(enc(null), ['n', 'i'])).toBeUndefined();
    expect(decodeCursor(enc('n'), ['n', 'i'])).toBeUndefined();
    expect(decodeCursor(enc(['a', 'b']), ['n', 'i'])).toBeUndefined();
  });

  it('does not care about fields it was not asked for', () => {
    const enc = Buffer.from(JSON.stringify({ n: 'a', i: 'b', extra: 1 })).toString('base64url');
    expect(decodeCursor(enc, ['n', 'i'])).toMatchObject({ n: 'a', i: 'b' });
  });
});
