/**
 * The SDK tries again what the integrators' guide says a client should (a dropped connection,
 * 429 after Retry-After, 502/503/504, 409 idempotency-key-in-progress), always with the same
 * Idempotency-Key and body, and nothing else. Against a real HTTP server on a real port that
 * answers as a hub under strain would.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createSamverkanClient, data, HubUnavailableError, SamverkanProblemError } from '../src';

interface Seen {
  method: string;
  key: string | undefined;
  authorization: string | undefined;
  body: string;
}

type Answer = (res: http.ServerResponse, req: http.IncomingMessage) => void;

const problem =
  (status: number, slug: string, headers: Record<string, string> = {}): Answer =>
  (res) => {
    res.writeHead(status, { 'content-type': 'application/problem+json', ...headers });
    res.end(
      JSON.stringify({
        type: `urn:samverkan:problem:${slug}`,
        title: slug,
        status,
        code: slug.toUpperCase().replace(/-/g, '_'),
      }),
    );
  };
const ok =
  (body: unknown, status = 200): Answer =>
  (res) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
const drop: Answer = (res) => res.socket?.destroy();

let server: http.Server;
let url: string;
let answers: Answer[] = [];
let seen: Seen[] = [];

beforeAll(async () => {
  server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      seen.push({
        method: req.method ?? '',
        key: req.headers['idempotency-key'] as string | undefined,
        authorization: req.headers.authorization,
        body,
      });
      (answers.shift() ?? ok({ items: [] }))(res, req);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

beforeEach(() => {
  answers = [];
  seen = [];
});

const fast = { baseDelayMs: 5, maxDelayMs: 2000 };
const referral = {
  id: '6f1c2b1e-2a0c-4c5e-9d51-0d3a1c7f0a11',
  recipientUnitIds: ['0b7f3c1a-94a2-4d6e-8f10-5c2d9e1b7a33'],
};

function send(client: ReturnType<typeof createSamverkanClient>) {
  return data(
    client.referrals.POST('/v1/referrals', {
      // The server here does not look at the body; it only has to arrive the same each time.
      body: referral as never,
      params: { header: { 'Idempotency-Key': 'key-1' } } as never,
    }),
  );
}

describe('retries', () => {
  it('sends a write again after 503, 502 and a dropped connection, with the same key and body', async () => {
    answers = [problem(503, 'service-unavailable'), problem(502, 'bad-gateway'), drop];
    answers.push(ok({ id: referral.id, status: 'sent' }, 201));
    const client = createSamverkanClient({ url, token: 'a-token', retry: fast });
    await expect(send(client)).resolves.toMatchObject({ id: referral.id });
    expect(seen).toHaveLength(4);
    expect(new Set(seen.map((s) => s.key))).toEqual(new Set(['key-1']));
    expect(new Set(seen.map((s) => s.body))).toEqual(new Set([JSON.stringify(referral)]));
    expect(seen.every((s) => s.method === 'POST' && s.authorization === 'Bearer a-token')).toBe(
      true,
    );
  });

  it('gives a fresh key to a write without one, and keeps it across its tries', async () => {
    answers = [problem(504, 'gateway-timeout'), ok({ id: referral.id }, 201)];
    const client = createSamverkanClient({ url, token: 't', retry: fast });
    // No Idempotency-Key given: the client's own goes on, the same on the second try.
    await data(client.referrals.POST('/v1/referrals', { body: referral } as never));
    expect(seen.map((s) => s.key)).toEqual([
      expect.stringMatching(/^[0-9a-f-]{36}$/),
      seen[0]?.key,
    ]);
  });

  it('waits as long as Retry-After asks on 429', async () => {
    answers = [problem(429, 'rate-limited', { 'retry-after': '1' }), ok({ items: [] })];
    const client = createSamverkanClient({ url, token: 't', retry: fast });
    const started = Date.now();
    await data(client.directory.GET('/v1/units', { params: { query: {} } }));
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(seen).toHaveLength(2);
  });

  it('hands over a 429 whose Retry-After is longer than it will wait', async () => {
    answers = [problem(429, 'rate-limited', { 'retry-after': '120' })];
    const client = createSamverkanClient({ url, token: 't', retry: fast });
    await expect(
      data(client.directory.GET('/v1/units', { params: { query: {} } })),
    ).rejects.toMatchObject({ name: 'SamverkanProblemError', status: 429 });
    expect(seen).toHaveLength(1);
  });

  it('waits out an earlier try of the same write that is still running (409 in progress)', async () => {
    answers = [problem(409, 'idempotency-key-in-progress'), ok({ id: referral.id }, 201)];
    const client = createSamverkanClient({ url, token: 't', retry: fast });
    await expect(send(client)).resolves.toMatchObject({ id: referral.id });
    expect(seen).toHaveLength(2);
  });

  it('never tries again a refusal: 400, 403, 422 or another 409', async () => {
    for (const [status, slug] of [
      [400, 'validation-error'],
      [403, 'forbidden'],
      [422, 'idempotency-key-reused'],
      [409, 'referral-transition-not-allowed'],
    ] as const) {
      seen = [];
      answers = [problem(status, slug)];
      const client = createSamverkanClient({ url, token: 't', retry: fast });
      const err = await send(client).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SamverkanProblemError);
      expect(err).toMatchObject({ status, slug });
      expect(seen).toHaveLength(1);
    }
  });

  it('stops after its attempts and answers with the last failure', async () => {
    answers = [1, 2, 3].map(() => problem(503, 'service-unavailable'));
    const client = createSamverkanClient({ url, token: 't', retry: { ...fast, attempts: 3 } });
    await expect(send(client)).rejects.toMatchObject({ status: 503 });
    expect(seen).toHaveLength(3);
  });

  it('sends once with retry: false', async () => {
    answers = [problem(503, 'service-unavailable')];
    const client = createSamverkanClient({ url, token: 't', retry: false });
    await expect(send(client)).rejects.toMatchObject({ status: 503 });
    expect(seen).toHaveLength(1);
  });

  it('gives up on a hub that is not there with HubUnavailableError', async () => {
    const client = createSamverkanClient({ url: 'http://127.0.0.1:9', token: 't', retry: fast });
    await expect(
      data(client.directory.GET('/v1/units', { params: { query: {} } })),
    ).rejects.toBeInstanceOf(HubUnavailableError);
  });
});
