import type { FastifyInstance } from 'fastify';
import { barePlatformApp } from '../testing/bare-platform-app';

/**
 * The embedded hub compiles route schemas on first use (`lazySchemas`): requests must be
 * validated and responses serialized exactly as with the schemas compiled up front.
 */
describe.each([false, true])('route schemas (lazySchemas: %s)', (lazySchemas) => {
  let app: FastifyInstance;

  beforeAll(async () => {
    app = await barePlatformApp({ lazySchemas });
    app.post(
      '/echo/:n',
      {
        config: { public: true },
        schema: {
          params: {
            type: 'object',
            properties: { n: { type: 'integer', minimum: 1 } },
            required: ['n'],
          },
          body: {
            type: 'object',
            properties: { name: { type: 'string', minLength: 2 } },
            required: ['name'],
            additionalProperties: false,
          },
          response: {
            200: {
              type: 'object',
              properties: { name: { type: 'string' }, n: { type: 'integer' } },
            },
          },
        },
      },
      async (request) => ({
        ...(request.body as object),
        n: (request.params as { n: number }).n,
        secret: 'never serialized: not in the response schema',
      }),
    );
    await app.ready();
  });

  afterAll(async () => {
    await app.close();
  });

  it('coerces path values and serializes only what the response schema names', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/echo/7',
      payload: { name: 'Elsa' },
    });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ name: 'Elsa', n: 7 });
  });

  it('refuses a bad body and a bad path value with problem+json naming the field', async () => {
    const body = await app.inject({ method: 'POST', url: '/echo/7', payload: { name: 'E' } });
    expect(body.statusCode).toBe(400);
    expect(body.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(body.body).toContain('name');
    const extra = await app.inject({
      method: 'POST',
      url: '/echo/7',
      payload: { name: 'Elsa', admin: true },
    });
    expect(extra.statusCode).toBe(400);
    // Bodies are not coerced: a number is not a string.
    const typed = await app.inject({ method: 'POST', url: '/echo/7', payload: { name: 12345 } });
    expect(typed.statusCode).toBe(400);
    const path = await app.inject({ method: 'POST', url: '/echo/0', payload: { name: 'Elsa' } });
    expect(path.statusCode).toBe(400);
    // The validator keeps working after a refusal (the stand-in passes on each call's errors).
    const again = await app.inject({ method: 'POST', url: '/echo/2', payload: { name: 'Ok' } });
    expect(again.statusCode).toBe(200);
  });
});
