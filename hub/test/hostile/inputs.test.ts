/**
 * Hostile inputs that are valid JSON but not representable: a number literal that overflows to
 * Infinity (`1e999`). Every write route of every service must answer it with 400 problem+json
 * (malformed-body) before any handler, idempotency record or audit row sees it — it used to
 * answer 500 where the idempotency hashing met the Infinity. And a body in another media type
 * than JSON (text/plain included, which Fastify parses by default) is 415 on every service.
 */
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { DEMO_UNITS } from '@samverkan/shared';
import { loadOperations, openApiDocuments } from '@samverkan/shared/src/testing/fuzz';
import { useAppUnderTest } from './helpers/app-under-test';
import { checkProblem } from './helpers/problems';

const DOCUMENTS = ['directory', 'referrals', 'notifications'];
const OPENAPI_DIR = path.resolve(__dirname, '../../../openapi');
const BODIES = ['{"x":1e999}', '[-1e999]', '{"a":{"b":[1,2,1e400]}}', '{"name":"x","n":1E+309}'];

const app = useAppUnderTest(DOCUMENTS);

it('every write route answers an overflowing number with 400 malformed-body', async () => {
  const writes = loadOperations(openApiDocuments(OPENAPI_DIR, DOCUMENTS)).filter(
    (o) =>
      o.method !== 'GET' &&
      app.hub.app.hasRoute({ method: o.method as 'POST', url: o.route }) &&
      !o.streaming,
  );
  expect(writes.length).toBeGreaterThan(30);
  const wrong: string[] = [];
  for (const operation of writes) {
    const url = operation.path.replace(/\{[^}]+\}/g, DEMO_UNITS.frideborg);
    for (const payload of BODIES) {
      const res = await app.hub.app.inject({
        method: operation.method as 'POST',
        url,
        headers: {
          authorization: `Bearer ${app.token}`,
          'content-type': 'application/json',
          'idempotency-key': randomUUID(),
        },
        payload,
      });
      const problems = checkProblem(res);
      const type = res.statusCode === 400 ? (res.json() as { type?: string }).type : undefined;
      if (
        res.statusCode !== 400 ||
        problems.length > 0 ||
        type !== 'urn:samverkan:problem:malformed-body'
      ) {
        wrong.push(
          `${operation.method} ${operation.path} ${payload} → ${res.statusCode} ${res.body.slice(0, 160)}`,
        );
      }
    }
  }
  expect(wrong).toEqual([]);
}, 120_000);

it('a large but finite number still reaches validation (no false refusal)', async () => {
  const res = await app.hub.as('hub.admin').post('/v1/referrals', { x: 1e308 });
  expect(res.statusCode).toBe(400);
  expect((res.json() as { type: string }).type).toBe('urn:samverkan:problem:validation-error');
});

it('every write route that takes a body answers text/plain with 415 unsupported-media-type', async () => {
  const writes = loadOperations(openApiDocuments(OPENAPI_DIR, DOCUMENTS)).filter(
    (o) =>
      o.method !== 'GET' &&
      o.body !== undefined &&
      app.hub.app.hasRoute({ method: o.method as 'POST', url: o.route }) &&
      !o.streaming,
  );
  expect(writes.length).toBeGreaterThan(30);
  const wrong: string[] = [];
  for (const operation of writes) {
    const res = await app.hub.app.inject({
      method: operation.method as 'POST',
      url: operation.path.replace(/\{[^}]+\}/g, DEMO_UNITS.frideborg),
      headers: {
        authorization: `Bearer ${app.token}`,
        'content-type': 'text/plain',
        'idempotency-key': randomUUID(),
      },
      payload: '{"name":"x"}',
    });
    const type = (res.json() as { type?: string }).type;
    if (
      res.statusCode !== 415 ||
      checkProblem(res).length > 0 ||
      type !== 'urn:samverkan:problem:unsupported-media-type'
    ) {
      wrong.push(
        `${operation.method} ${operation.path} → ${res.statusCode} ${res.body.slice(0, 160)}`,
      );
    }
  }
  expect(wrong).toEqual([]);
}, 120_000);
