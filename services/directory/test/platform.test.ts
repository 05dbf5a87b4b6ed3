import { DEMO_ORGANISATIONS } from '@samverkan/shared';
import YAML from 'yaml';
import { eventually, startTcpProxy, testDatabaseAdminUrl } from '@samverkan/shared/src/testing';
import { buildDirectory, type TestDirectory } from './helpers/build';

let dir: TestDirectory;
beforeAll(async () => {
  dir = await buildDirectory();
});
afterAll(async () => {
  await dir?.close();
});

describe('platform behaviour every service shares', () => {
  it('answers liveness and readiness without a token', async () => {
    const live = await dir.as(null).get('/livez');
    expect(live.statusCode).toBe(200);
    const ready = await dir.as(null).get('/readyz');
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toMatchObject({
      status: 'ok',
      checks: { 'directory.postgres': 'ok', 'directory.outbox': 'ok' },
    });
  });

  it('sends security headers and carries a well-formed request id through', async () => {
    const res = await dir
      .as('police.officer')
      .get('/v1/organisations', { 'x-request-id': 'abc-1234567' });
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['strict-transport-security']).toBeDefined();
    expect(res.headers['x-frame-options']).toBe('SAMEORIGIN');
    expect(res.headers['x-ratelimit-limit']).toBeDefined();
  });

  it("joins the caller's W3C trace and carries it into the events the request causes", async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const res = await dir.as('norrkoping.admin').patch(
      `/v1/organisations/${DEMO_ORGANISATIONS.norrkoping}`,
      { website: 'https://www.norrkoping.se' },
      {
        traceparent: `00-${traceId}-00f067aa0ba902b7-01`,
      },
    );
    expect(res.statusCode).toBe(200);
    expect(res.headers.traceparent).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));
    const rows = (await dir.app.directory.context.dataSource.query(
      `SELECT headers FROM directory.outbox WHERE type = 'samverkan.directory.organisation.updated' ORDER BY position DESC LIMIT 1`,
    )) as Array<{ headers: { traceparent?: string } }>;
    expect(rows[0]!.headers.traceparent).toBe(res.headers.traceparent);
  });

  it('serves the API docs and the contract documents', async () => {
    const ui = await dir.as(null).get('/docs/');
    expect(ui.statusCode).toBe(200);
    expect(ui.body).toContain('swagger');
    const doc = await dir.as(null).get('/docs/openapi/directory.events.yaml');
    expect(doc.statusCode).toBe(200);
    expect(doc.body).toContain('asyncapi: 3.0.0');
    expect((await dir.as(null).get('/docs/openapi/..%2Fpackage.json')).statusCode).toBe(404);
    // "Try it out" goes to the server the page came from (whatever PORT), and the Authorize
    // dialog says how to get a token.
    const api = YAML.parse((await dir.as(null).get('/docs/openapi/directory.yaml')).body) as {
      servers: Array<{ url: string }>;
      components: { securitySchemes: { bearerAuth: { description: string } } };
    };
    expect(api.servers[0]!.url).toBe('/');
    expect(api.components.securitySchemes.bearerAuth.description).toContain(
      'npm run -s token -- police.officer',
    );
  });
});

describe('when Postgres goes away', () => {
  it('reports unready, answers 503 problem+json, and recovers without a restart', async () => {
    const proxy = await startTcpProxy(Number(new URL(testDatabaseAdminUrl()).port || 5432));
    const lost = await buildDirectory({ databasePort: proxy.port });
    try {
      await proxy.cut();
      const ready = await lost.as(null).get('/readyz');
      expect(ready.statusCode).toBe(503);
      expect(ready.json().status).toBe('unavailable');
      const read = await lost.as('police.officer').get('/v1/organisations');
      expect(read.statusCode).toBe(503);
      expect(read.headers['content-type']).toContain('application/problem+json');
      expect(read.json()).toMatchObject({
        type: 'urn:samverkan:problem:service-unavailable',
        code: 'SERVICE_UNAVAILABLE',
      });
      expect(JSON.stringify(read.json())).not.toMatch(/pool|typeorm|stack|ECONN/i);
      const write = await lost
        .as('norrkoping.admin')
        .patch(`/v1/organisations/${DEMO_ORGANISATIONS.norrkoping}`, {
          website: 'https://norrkoping.se',
        });
      expect(write.statusCode).toBe(503);

      await proxy.restore();
      const back = await eventually(async () => {
        const res = await lost.as('police.officer').get('/v1/organisations');
        return res.statusCode === 200 ? res : undefined;
      });
      expect(back.json().items.length).toBeGreaterThan(0);
      expect((await lost.as(null).get('/readyz')).statusCode).toBe(200);
      // The refused write left nothing behind.
      const org = await lost
        .as('police.officer')
        .get(`/v1/organisations/${DEMO_ORGANISATIONS.norrkoping}`);
      expect(org.json().website).toBeNull();
    } finally {
      await proxy.restore().catch(() => undefined);
      await lost.close();
      await proxy.close();
    }
  });
});
