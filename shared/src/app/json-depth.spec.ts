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
