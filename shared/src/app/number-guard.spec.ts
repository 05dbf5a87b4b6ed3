import type { FastifyInstance } from 'fastify';
import { barePlatformApp } from '../testing/bare-platform-app';
import { guardNumbers } from './number-guard';

/**
 * The number guard of every service's validators (number-guard.ts): numbers in path, query,
 * header and body are finite decimal values within their schema's (or the default) bounds,
 * whether the schemas are compiled up front or on first use, inline or shared ($ref).
 */
describe.each([false, true])('number guard (lazySchemas: %s)', (lazySchemas) => {
  let app: FastifyInstance;

  beforeAll(async () => {
    app = await barePlatformApp({ lazySchemas });
    app.addSchema({ $id: 'test.Seq', type: 'integer', minimum: 0 });
    app.post(
      '/numbers/:n',
      {
        config: { public: true },
        schema: {
          params: {
            type: 'object',
            properties: { n: { type: 'integer', minimum: 1, maximum: 500 } },
            required: ['n'],
          },
          querystring: {
            type: 'object',
            properties: {
              after: { $ref: 'test.Seq#' },
              limit: { type: 'integer', minimum: 1, maximum: 100, default: 25 },
              ratio: { type: 'number' },
              maybe: { type: ['integer', 'null'] },
              code: { type: ['string', 'integer'] },
            },
          },
          headers: {
            type: 'object',
            properties: { 'x-count': { type: 'integer', minimum: 0, maximum: 10 } },
          },
          body: {
            type: 'object',
            properties: { count: { type: 'integer', minimum: 0 }, seq: { $ref: 'test.Seq#' } },
          },
        },
      },
      async (request) => ({ query: request.query, params: request.params, body: request.body }),
    );
    await app.ready();
  });

  afterAll(async () => {
    await app.close();
  });

  async function post(url: string, payload: unknown = {}, headers: Record<string, string> = {}) {
    return app.inject({ method: 'POST', url, payload: payload as object, headers });
  }

  it('accepts decimal values within bounds, coerced, with defaults applied', async () => {
    const res = await post('/numbers/7?after=9007199254740991&ratio=-1.5e3&maybe=&code=0x10', {
      count: 3,
      seq: 12,
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      params: { n: 7 },
      query: { after: 9007199254740991, limit: 25, ratio: -1500, maybe: null, code: '0x10' },
      body: { count: 3, seq: 12 },
    });
    expect((await post('/numbers/007?limit=100', {}, { 'x-count': '10' })).statusCode).toBe(200);
  });

  it.each([
    ['/numbers/1e309', 'params.n'],
    ['/numbers/0x10', 'params.n'],
    ['/numbers/%2012', 'params.n'],
    ['/numbers/1?after=1e309', 'querystring.after'],
    ['/numbers/1?after=-1e309', 'querystring.after'],
    ['/numbers/1?after=Infinity', 'querystring.after'],
    ['/numbers/1?after=9007199254740993', 'querystring.after'],
    ['/numbers/1?after=1e20', 'querystring.after'],
    ['/numbers/1?after=0b11', 'querystring.after'],
    ['/numbers/1?after=NaN', 'querystring.after'],
    ['/numbers/1?after=1.5', 'querystring.after'],
    ['/numbers/1?limit=0x10', 'querystring.limit'],
    ['/numbers/1?limit=1e1', 'querystring.limit'],
    ['/numbers/1?limit=1&limit=0x2', 'querystring.limit'],
    ['/numbers/1?ratio=1e400', 'querystring.ratio'],
    ['/numbers/1?ratio=0x10', 'querystring.ratio'],
    ['/numbers/1?ratio=Infinity', 'querystring.ratio'],
    ['/numbers/1?maybe=0x10', 'querystring.maybe'],
  ])('refuses %s with 400 problem+json naming %s', async (url, field) => {
    const res = await post(url);
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    const body = res.json() as { type: string; errors: Array<{ field: string }> };
    expect(body.type).toBe('urn:samverkan:problem:validation-error');
    expect(body.errors.map((e) => e.field)).toContain(field);
  });

  it('refuses numbers in headers the same way', async () => {
    for (const value of ['1e309', '0x5', ' 5', '11']) {
      const res = await post('/numbers/1', {}, { 'x-count': value });
      expect(res.statusCode).toBe(400);
      expect((res.json() as { errors: Array<{ field: string }> }).errors[0]!.field).toBe(
        'headers.x-count',
      );
    }
  });

  it('bounds body integers without a maximum to 2^53 − 1 (shared schemas too)', async () => {
    for (const payload of [
      '{"count":9007199254740993}',
      '{"count":1e20}',
      '{"seq":1e20}',
      '{"count":-1}',
    ]) {
      const res = await app.inject({
        method: 'POST',
        url: '/numbers/1',
        payload,
        headers: { 'content-type': 'application/json' },
      });
      expect(res.statusCode).toBe(400);
      expect((res.json() as { type: string }).type).toBe('urn:samverkan:problem:validation-error');
    }
  });
});

describe('guardNumbers', () => {
  it('keeps documented bounds, ids and defaults; leaves string-or-number and other schemas alone', () => {
    expect(guardNumbers({ type: 'integer', maximum: 5, exclusiveMinimum: 0 }, false)).toEqual({
      type: 'integer',
      maximum: 5,
      exclusiveMinimum: 0,
    });
    expect(
      guardNumbers({ $id: 'x.Seq', type: 'integer', default: 1, description: 'seq' }, true),
    ).toEqual({
      $id: 'x.Seq',
      default: 1,
      description: 'seq',
      numericText: 'integer',
      allOf: [
        { type: 'integer', maximum: Number.MAX_SAFE_INTEGER, minimum: -Number.MAX_SAFE_INTEGER },
      ],
    });
    const text = { type: ['string', 'integer'], enum: [{ type: 'integer' }] };
    expect(guardNumbers(text, true)).toEqual(text);
  });
});
