import type { FastifyInstance } from 'fastify';
import { loadConfig, type PlatformConfig } from '../config/config';
import { createPlatformApp } from './create-app';

/**
 * A path that exists, asked with a method it is not served with, is 405 method-not-allowed with
 * `Allow` (RFC 9110 §15.5.6); a path nothing serves stays 404 route-not-found. Under /v1 the
 * token is asked for first, as for an unknown path.
 */
describe('methods a path is not served with', () => {
  let app: FastifyInstance;

  beforeAll(async () => {
    const config = loadConfig<PlatformConfig>({ LOG_LEVEL: 'silent', AUTH_DEV_ISSUER: 'false' });
    app = await createPlatformApp({
      config,
      databaseUrl: 'postgres://unused@127.0.0.1:1/unused',
      logger: false,
    });
    // as a service plugin adds them: in a scope of its own, with a prefix
    await app.register(
      async (scope) => {
        scope.get('/things', { config: { public: true } }, async () => ({ items: [] }));
        scope.post('/things', { config: { public: true } }, async () => ({}));
        scope.get(
          '/things/:id',
          {
            config: { public: true },
            schema: {
              params: { type: 'object', properties: { id: { type: 'string', format: 'uuid' } } },
            },
          },
          async () => ({}),
        );
        scope.post('/things/:id/close', { config: { public: true } }, async () => ({}));
        // a route that finds nothing itself, as the contract documents' route does for a name
        // it does not serve
        scope.get('/files/:name', { config: { public: true } }, async (_request, reply) =>
          reply.callNotFound(),
        );
      },
      { prefix: '/public' },
    );
    app.get('/v1/things', async () => ({ items: [] }));
    await app.ready();
  });

  afterAll(async () => {
    await app.close();
  });

  it.each([
    ['DELETE', '/public/things', 'GET, HEAD, POST'],
    ['PUT', '/public/things?limit=3', 'GET, HEAD, POST'],
    ['PATCH', '/public/things/42', 'GET, HEAD'],
    ['DELETE', '/public/things/42', 'GET, HEAD'],
    ['GET', '/public/things/42/close', 'POST'],
    ['DELETE', '/livez', 'GET, HEAD'],
  ])('%s %s → 405 with Allow: %s', async (method, url, allow) => {
    const res = await app.inject({ method: method as 'DELETE', url });
    expect(res.statusCode).toBe(405);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.headers.allow).toBe(allow);
    expect(res.json()).toMatchObject({
      type: 'urn:samverkan:problem:method-not-allowed',
      status: 405,
      code: 'METHOD_NOT_ALLOWED',
      instance: url.split('?')[0],
    });
  });

  it.each([
    ['GET', '/public/nothing'],
    ['DELETE', '/public/things/42/open'],
    ['POST', '/public'],
    ['GET', '/public/files/..%2Fpackage.json'],
  ])('%s %s (no such path) → 404 route-not-found, no Allow', async (method, url) => {
    const res = await app.inject({ method: method as 'GET', url });
    expect(res.statusCode).toBe(404);
    expect(res.headers.allow).toBeUndefined();
    expect(res.json()).toMatchObject({ type: 'urn:samverkan:problem:route-not-found' });
  });

  // GET /public/things/ reaches /public/things/:id with an empty id: before, 400 "params.id must
  // match format uuid" about an id nobody typed; unrouted, 404 with no word about the slash.
  it.each([
    [
      'GET',
      '/public/things/',
      'GET /public/things/ is not served: drop the slash at its end (GET /public/things)',
    ],
    [
      'POST',
      '/public/things/',
      'POST /public/things/ is not served: drop the slash at its end (POST /public/things)',
    ],
    [
      'POST',
      '/public/things/42/close/',
      'POST /public/things/42/close/ is not served: drop the slash at its end (POST /public/things/42/close)',
    ],
    [
      'POST',
      '/public/things//close',
      'POST /public/things//close: a part of the path is empty (//); an id left out?',
    ],
  ])('%s %s (a slash too many) → 404 route-not-found saying so', async (method, url, detail) => {
    const res = await app.inject({ method: method as 'GET', url });
    expect(res.statusCode).toBe(404);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.json()).toMatchObject({ type: 'urn:samverkan:problem:route-not-found', detail });
  });

  it('a trailing slash under /v1 still asks for a token first', async () => {
    const res = await app.inject({ method: 'GET', url: '/v1/things/' });
    expect(res.statusCode).toBe(401);
  });

  it('asks for a token first under /v1, whether the path exists or not', async () => {
    for (const url of ['/v1/things', '/v1/nothing']) {
      const res = await app.inject({ method: 'DELETE', url });
      expect(res.statusCode).toBe(401);
      expect(res.headers.allow).toBeUndefined();
    }
  });
});
