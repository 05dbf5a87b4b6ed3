import { jsonDepthExceeds, MAX_JSON_DEPTH } from './create-app';

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
