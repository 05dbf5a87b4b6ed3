import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type Server } from 'node:net';
import { sv } from '../i18n/sv';
import { translator } from '../i18n/translate';
import { createApi, HUB_UNREACHABLE } from './client';
import { problemMessage, refusalText } from './problem-message';

describe('no answer from the hub (offline, the hub down)', () => {
  let closed: Server;
  let origin: string;
  beforeAll(async () => {
    // a port that was just free: nothing listens there once the server is closed
    closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as { port: number };
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    origin = `http://127.0.0.1:${port}`;
    (globalThis as { location?: { origin: string } }).location = { origin };
  });
  afterAll(() => {
    delete (globalThis as { location?: unknown }).location;
  });

  it('is a refusal in words like any other, not a rejected promise the page never catches', async () => {
    const api = createApi(
      () => 'token',
      () => undefined,
    );
    const res = await api.referrals.GET('/v1/referrals/{id}', {
      params: { path: { id: '00000000-0000-4000-8000-000000000000' } },
    });
    expect(res.error).toMatchObject({ type: HUB_UNREACHABLE });
    const t = translator('sv', sv);
    expect(problemMessage(t, res.error, res.response.status)).toBe(sv['problem.unreachable']);
    expect(refusalText(t, new TypeError('Failed to fetch'))).toBe(sv['problem.unreachable']);
  });
});
