/**
 * Limits against hostile clients: bodies above the limit (413), JSON nested thousands deep (400,
 * no stack overflow), slow clients on a real port (closed within the configured timeouts), and a
 * flood from one caller (429 with Retry-After), also a flood of missing or invalid tokens.
 */
import net from 'node:net';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { DEMO_ORGANISATIONS, DEMO_UNITS, DEMO_USERS } from '@samverkan/shared';
import {
  fillPath,
  loadOperations,
  openApiDocuments,
  operationName,
  validArbitrary,
  type FuzzOperation,
} from '@samverkan/shared/src/testing/fuzz';
import type { TestHub } from '@samverkan/referrals/test/helpers/build';
import { buildAppUnderTest } from './helpers/app-under-test';
import { checkProblem, expectProblem } from './helpers/problems';
import { countRows, diffRows } from './helpers/row-counts';

const DOCUMENTS = (process.env.FUZZ_DOCUMENTS ?? 'directory,referrals').split(',');
const OPENAPI_DIR = path.resolve(__dirname, '../../../openapi');
const REQUEST_TIMEOUT_MS = 1000;
const RATE_LIMIT_MAX = 20;

const writes = loadOperations(openApiDocuments(OPENAPI_DIR, DOCUMENTS)).filter(
  (o) => o.method !== 'GET' && o.body !== undefined,
);

let hub: TestHub;

beforeAll(async () => {
  hub = await buildAppUnderTest(DOCUMENTS, {
    env: { REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS), BODY_LIMIT_BYTES: '65536' },
  });
}, 120_000);

afterAll(async () => {
  await hub?.close();
});

function served(operation: FuzzOperation): boolean {
  return hub.app.hasRoute({ method: operation.method as 'GET', url: operation.route });
}

const seededIds = [...Object.values(DEMO_UNITS), ...Object.values(DEMO_ORGANISATIONS)];

function urlOf(operation: FuzzOperation): string {
  return fillPath(
    operation,
    Object.fromEntries(
      operation.parameters.filter((p) => p.in === 'path').map((p) => [p.name, randomUUID()]),
    ),
  );
}

/** The operation's URL with a real unit or organisation in `{id}` where there is one. */
function seededPath(operation: FuzzOperation): string {
  const real = operation.path.startsWith('/v1/units/')
    ? DEMO_UNITS.frideborg
    : operation.path.startsWith('/v1/organisations/')
      ? DEMO_ORGANISATIONS.hub
      : randomUUID();
  return fillPath(
    operation,
    Object.fromEntries(
      operation.parameters
        .filter((p) => p.in === 'path')
        .map((p) => [p.name, p.name === 'id' ? real : randomUUID()]),
    ),
  );
}

async function sendBody(operation: FuzzOperation, payload: string, url = urlOf(operation)) {
  const token = await hub.app.platform.devIssuer!.mint(DEMO_USERS['hub.admin']!, {
    audience: hub.config.AUTH_AUDIENCE,
  });
  return hub.app.inject({
    method: operation.method as 'POST',
    url,
    headers: {
      authorization: `Bearer ${token}`,
      'idempotency-key': randomUUID(),
      'content-type': 'application/json',
    },
    payload,
  });
}

describe('request bodies', () => {
  it('a body above the limit → 413 problem+json on every write, nothing written', async () => {
    // Above the largest route limit (a coordinator's forward carries up to ten envelopes).
    const huge = JSON.stringify({ pad: 'x'.repeat(20 * 1024 * 1024) });
    const before = await countRows(hub.referrals.context.dataSource);
    const wrong: string[] = [];
    for (const operation of writes.filter(served)) {
      const res = await sendBody(operation, huge);
      if (res.statusCode !== 413 || checkProblem(res).length > 0) {
        wrong.push(`${operationName(operation)} → ${res.statusCode} ${res.body.slice(0, 200)}`);
      }
    }
    expect(wrong).toEqual([]);
    expect(diffRows(before, await countRows(hub.referrals.context.dataSource))).toEqual([]);
  });

  it('JSON nested 10,000 and 100,000 deep → 400 malformed-body (or 413) on every write', async () => {
    const wrong: string[] = [];
    for (const depth of [10_000, 100_000]) {
      const arrays = `${'['.repeat(depth)}${']'.repeat(depth)}`;
      const objects = `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
      for (const operation of writes.filter(served)) {
        for (const payload of [arrays, objects]) {
          const res = await sendBody(operation, payload);
          // a body limit below the payload's size is a refusal just as good
          if (![400, 413].includes(res.statusCode) || checkProblem(res).length > 0) {
            wrong.push(`${operationName(operation)} → ${res.statusCode} ${res.body.slice(0, 200)}`);
          }
        }
      }
    }
    expect(wrong).toEqual([]);
    const deep = await sendBody(
      writes.find((o) => o.path === '/v1/units')!,
      `${'['.repeat(10_000)}${']'.repeat(10_000)}`,
    );
    expectProblem(deep, 400, 'malformed-body');
    expect(deep.json().detail).toMatch(/nests deeper than 64 levels/);
  });

  it('deep JSON inside otherwise valid bodies, in every object of them (free-form members too) → 4xx, never 5xx', async () => {
    // Without the depth limit, recursive code behind free-form members (JWKs, envelopes, tallies)
    // overflowed the stack and answered 500.
    const deep = `${'{"a":'.repeat(50_000)}1${'}'.repeat(50_000)}`;
    const wrong: string[] = [];
    let sent = 0;
    for (const operation of writes.filter(served)) {
      const bodies = fc.sample(
        validArbitrary(operation.body!.schema, { resolve: operation.resolve, ids: seededIds }),
        { numRuns: 3, seed: 7 },
      );
      for (const body of bodies) {
        const text = JSON.stringify(body);
        for (let at = text.indexOf('{'); at !== -1; at = text.indexOf('{', at + 1)) {
          const rest = text.slice(at + 1);
          const payload = `${text.slice(0, at + 1)}"zz":${deep}${rest.startsWith('}') ? '' : ','}${rest}`;
          const res = await sendBody(operation, payload, seededPath(operation));
          sent += 1;
          if (res.statusCode >= 500 || checkProblem(res).length > 0) {
            wrong.push(`${operationName(operation)} → ${res.statusCode} ${res.body.slice(0, 200)}`);
          }
        }
      }
    }
    expect(sent).toBeGreaterThan(100);
    expect(wrong).toEqual([]);
  });

  it('strings that merely contain brackets are not mistaken for nesting', async () => {
    const units = writes.find((o) => o.path === '/v1/units')!;
    const res = await sendBody(units, JSON.stringify({ name: '['.repeat(5000) + '\\"{' }));
    // refused by validation (the body is not a unit), not as malformed JSON
    expectProblem(res, 400, 'validation-error');
  });
});

/** Opens a raw connection, lets `talk` write to it, and resolves when the server closes it. */
function rawConnection(
  port: number,
  talk: (socket: net.Socket) => void,
): Promise<{ closedAfterMs: number; received: string }> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    let received = '';
    const socket = net.connect(port, '127.0.0.1', () => talk(socket));
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (received += chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => resolve({ closedAfterMs: Date.now() - started, received }));
    // the test's own bound: a connection the server never closes fails the test, not hangs it
    setTimeout(() => {
      socket.destroy();
      reject(new Error('the server kept the slow connection open'));
    }, 20_000).unref();
  });
}

describe('slow clients on a real port', () => {
  let port: number;
  const timers: NodeJS.Timeout[] = [];

  beforeAll(async () => {
    await hub.app.listen({ port: 0, host: '127.0.0.1' });
    port = (hub.app.server.address() as net.AddressInfo).port;
  });
  afterEach(() => timers.splice(0).forEach((t) => clearInterval(t)));

  it('headers sent in part, then silence → the server closes the connection', async () => {
    const { received } = await rawConnection(port, (socket) => {
      socket.write('GET /v1/units HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ');
    });
    expect(received === '' || received.startsWith('HTTP/1.1 408')).toBe(true);
  });

  it('headers trickled a byte at a time → closed, although bytes keep coming', async () => {
    const { received } = await rawConnection(port, (socket) => {
      socket.write('GET /v1/units HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ');
      timers.push(setInterval(() => socket.writable && socket.write('a'), 100));
    });
    expect(received === '' || received.startsWith('HTTP/1.1 408')).toBe(true);
  });

  it('a body trickled a byte at a time → closed before it is complete', async () => {
    const { received } = await rawConnection(port, (socket) => {
      socket.write(
        `POST /v1/units HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100000\r\nIdempotency-Key: ${randomUUID()}\r\n\r\n{"name":"`,
      );
      timers.push(setInterval(() => socket.writable && socket.write('a'), 100));
    });
    // unauthenticated: refused at once without reading the body, or cut off by the timeout
    expect(received === '' || /^HTTP\/1\.1 (401|408)/.test(received)).toBe(true);
  });

  it('a slow client does not hold up others: a normal request meanwhile is answered', async () => {
    const slow = rawConnection(port, (socket) => {
      socket.write('GET /v1/units HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    });
    const res = await fetch(`http://127.0.0.1:${port}/livez`);
    expect(res.status).toBe(200);
    await slow;
  });
});

/** The gateway in front of the services: the one proxy whose X-Forwarded-For is believed. */
const GATEWAY = '192.0.2.1';

describe('a flood from one caller', () => {
  let limited: TestHub;

  beforeAll(async () => {
    limited = await buildAppUnderTest(DOCUMENTS, {
      env: { RATE_LIMIT_MAX: String(RATE_LIMIT_MAX), TRUSTED_PROXIES: GATEWAY },
    });
  }, 120_000);
  afterAll(async () => {
    await limited?.close();
  });

  const get = (authorization: string | undefined, remoteAddress = '127.0.0.1') =>
    limited.app.inject({
      method: 'GET',
      url: `/v1/units/${DEMO_UNITS.frideborg}`,
      headers: authorization ? { authorization } : {},
      remoteAddress,
    });

  it('a valid caller past the limit → 429 problem+json with Retry-After; others unaffected', async () => {
    const token = `Bearer ${await limited.app.platform.devIssuer!.mint(
      DEMO_USERS['police.officer']!,
      { audience: limited.config.AUTH_AUDIENCE },
    )}`;
    const statuses: number[] = [];
    for (let i = 0; i < RATE_LIMIT_MAX + 30; i++) {
      statuses.push((await get(token)).statusCode);
    }
    expect(statuses.slice(0, RATE_LIMIT_MAX).every((s) => s === 200)).toBe(true);
    expect(statuses.slice(RATE_LIMIT_MAX).every((s) => s === 429)).toBe(true);
    const res = await get(token);
    expectProblem(res, 429, 'rate-limited');
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    // another caller from the same address has a budget of its own
    expect((await limited.as('frideborg.caseworker').get('/v1/units')).statusCode).toBe(200);
  });

  it('a flood of missing, garbage and forged tokens is limited per address too', async () => {
    const address = '10.255.0.7';
    const forged = `Bearer ${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from('{"sub":"x"}').toString('base64url')}.`;
    const statuses: number[] = [];
    for (let i = 0; i < RATE_LIMIT_MAX + 30; i++) {
      const authorization = [undefined, 'Bearer garbage', forged][i % 3];
      const res = await get(authorization, address);
      statuses.push(res.statusCode);
      expect(checkProblem(res)).toEqual([]);
    }
    expect(statuses.slice(0, RATE_LIMIT_MAX).every((s) => s === 401)).toBe(true);
    expect(statuses.slice(RATE_LIMIT_MAX).every((s) => s === 429)).toBe(true);
    const res = await get('Bearer garbage', address);
    expectProblem(res, 429, 'rate-limited');
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    // a valid caller behind that same address is limited by its own budget, not the flood's
    const token = await limited.app.platform.devIssuer!.mint(DEMO_USERS['elsa.caseworker']!, {
      audience: limited.config.AUTH_AUDIENCE,
    });
    expect((await get(`Bearer ${token}`, address)).statusCode).toBe(200);
    // health checks are never limited
    expect(
      (await limited.app.inject({ method: 'GET', url: '/livez', remoteAddress: address }))
        .statusCode,
    ).toBe(200);
  });

  it('a burst of concurrent requests from one caller: exactly the limit passes', async () => {
    const token = `Bearer ${await limited.app.platform.devIssuer!.mint(
      DEMO_USERS['socialjour.caseworker']!,
      { audience: limited.config.AUTH_AUDIENCE },
    )}`;
    const burst = await Promise.all(
      Array.from({ length: RATE_LIMIT_MAX + 1 }, () => get(token, '198.51.100.20')),
    );
    expect(burst.filter((r) => r.statusCode === 200)).toHaveLength(RATE_LIMIT_MAX);
    expect(burst.filter((r) => r.statusCode === 429)).toHaveLength(1);
  });

  it('a forged X-Forwarded-For does not buy a fresh budget', async () => {
    const flood = (remoteAddress: string, forwardedFor: (i: number) => string) =>
      Promise.all(
        Array.from({ length: RATE_LIMIT_MAX + 5 }, (_, i) =>
          limited.app.inject({
            method: 'GET',
            url: `/v1/units/${DEMO_UNITS.frideborg}`,
            headers: { authorization: 'Bearer garbage', 'x-forwarded-for': forwardedFor(i) },
            remoteAddress,
          }),
        ),
      );
    // straight from a public address: the header is not believed at all
    const direct = await flood('203.0.113.9', (i) => `198.18.0.${i}`);
    expect(direct.filter((r) => r.statusCode === 429).length).toBe(5);
    // through the gateway: the client's own entries before the gateway's are ignored
    const proxied = await flood(GATEWAY, (i) => `198.18.1.${i}, 203.0.113.10`);
    expect(proxied.filter((r) => r.statusCode === 429).length).toBe(5);
    // from loopback or a private network — a local process, another container — the header is
    // not believed either: only TRUSTED_PROXIES' addresses are proxies (issue 12: a new address
    // per request once dodged the limit 1,300 times)
    const local = await flood('127.0.0.1', (i) => `198.18.2.${i}`);
    expect(local.filter((r) => r.statusCode === 429).length).toBe(5);
    const container = await flood('10.0.0.7', (i) => `198.18.3.${i}`);
    expect(container.filter((r) => r.statusCode === 429).length).toBe(5);
    for (const res of [...direct, ...proxied, ...local, ...container]) {
      expect(checkProblem(res)).toEqual([]);
    }
  });

  it('through the trusted gateway, each client address has a budget of its own', async () => {
    const from = (client: string) =>
      limited.app.inject({
        method: 'GET',
        url: `/v1/units/${DEMO_UNITS.frideborg}`,
        headers: { authorization: 'Bearer garbage', 'x-forwarded-for': client },
        remoteAddress: GATEWAY,
      });
    const statuses: number[] = [];
    for (let i = 0; i < RATE_LIMIT_MAX + 1; i++) {
      statuses.push((await from('203.0.113.50')).statusCode);
    }
    expect(statuses.slice(0, RATE_LIMIT_MAX).every((s) => s === 401)).toBe(true);
    expect(statuses[RATE_LIMIT_MAX]).toBe(429);
    expect((await from('203.0.113.51')).statusCode).toBe(401);
  });

  it('a flood of requests for unknown paths is limited too', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < RATE_LIMIT_MAX + 5; i++) {
      const res = await limited.app.inject({
        method: 'GET',
        url: `/v1/no-such-route-${i}`,
        remoteAddress: '203.0.113.11',
      });
      expect(checkProblem(res)).toEqual([]);
      statuses.push(res.statusCode);
    }
    expect(statuses.slice(0, RATE_LIMIT_MAX).every((s) => s === 401 || s === 404)).toBe(true);
    expect(statuses.slice(RATE_LIMIT_MAX).every((s) => s === 429)).toBe(true);
  });
});
