import { jsonDepthExceeds, MAX_JSON_DEPTH, nonFiniteNumberAt } from './create-app';

describe('jsonDepthExceeds', () => {
  it('counts nested objects and arrays', () => {
    expect(jsonDepthExceeds('{"a":[1,{"b":2}]}', 3)).toBe(false);
    expect(jsonDepthExceeds('{"a":[1,{"b":2}]}', 2)).toBe(true);
    expect(jsonDepthExceeds('[]', 1)).toBe(false);
    expect(jsonDepthExceeds('1', 0)).toBe(false);
  });

  it('ignores brackets inside strings, escaped quotes included', () => {
    expect(jsonDepthExceeds(JSON.stringify({ a: '[[[[{{{{' }), 1)).toBe(false);
    expect(jsonDepthExceeds(JSON.stringify({ a: 'say \\"[[[[\\"' }), 1)).toBe(false);
    expect(jsonDepthExceeds(JSON.stringify({ a: '\\' }) + '', 1)).toBe(false);
  });

  it('catches depth far past the limit in one pass', () => {
    const depth = 1_000_000;
    expect(jsonDepthExceeds('['.repeat(depth) + ']'.repeat(depth), MAX_JSON_DEPTH)).toBe(true);
    expect(
      jsonDepthExceeds(
        '{"a":'.repeat(MAX_JSON_DEPTH) + '1' + '}'.repeat(MAX_JSON_DEPTH),
        MAX_JSON_DEPTH,
      ),
    ).toBe(false);
  });
});

describe('nonFiniteNumberAt', () => {
  it('names the first number that overflowed to Infinity', () => {
    expect(nonFiniteNumberAt(JSON.parse('{"a":[1,{"b":1e999}]}'))).toBe('/a/1/b');
    expect(nonFiniteNumberAt(JSON.parse('-1e999'))).toBe('/');
    expect(nonFiniteNumberAt(JSON.parse('{"a":1.7976931348623157e308,"b":[0,-5e-324]}'))).toBe(
      undefined,
    );
    expect(nonFiniteNumberAt({ a: 'Infinity', b: null })).toBe(undefined);
  });
});

describe('jsonDepthExceeds against a plain scan', () => {
  /** The former character-by-character scan, as the reference. */
  function reference(text: string, max: number): boolean {
    let depth = 0;
    let inString = false;
    for (let i = 0; i < text.length; i++) {
      const c = text[i];
      if (inString) {
        if (c === '\\') {
          i++;
        } else if (c === '"') {
          inString = false;
        }
      } else if (c === '"') {
        inString = true;
      } else if (c === '{' || c === '[') {
        if (++depth > max) {
          return true;
        }
      } else if (c === '}' || c === ']') {
        depth--;
      }
    }
    return false;
  }

  it('agrees on strings full of escapes, brackets and quotes', () => {
    const pieces = ['"', '\\', '\\\\', '\\"', '[', ']', '{', '}', 'a', ',', ':'];
    let seed = 7;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let n = 0; n < 500; n++) {
      const text = Array.from(
        { length: 1 + Math.floor(random() * 40) },
        () => pieces[Math.floor(random() * pieces.length)],
      ).join('');
      for (const max of [0, 1, 2, 3]) {
        expect([text, max, jsonDepthExceeds(text, max)]).toEqual([text, max, reference(text, max)]);
      }
    }
    for (const value of [{ a: 'x\\"[[[' }, ['\\\\', { b: '"]]]' }], { c: '\\\\"{{{' }]) {
      const text = JSON.stringify(value);
      expect(jsonDepthExceeds(text, 2)).toBe(reference(text, 2));
    }
  });
});
