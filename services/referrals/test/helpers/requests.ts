import { randomUUID } from 'node:crypto';
import { DEMO_USERS, type DemoUserName, type DevTokenClaims } from '@samverkan/shared';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import type { TestHub } from './build';

/** A token for a seeded user, as `hub.as(user)` sends it. */
export function tokenFor(hub: TestHub, user: DemoUserName): Promise<string> {
  return mintToken(hub, DEMO_USERS[user]!);
}

/** A dev-issuer token with any claims (the dev issuer is trusted for every organisation). */
export function mintToken(hub: TestHub, claims: DevTokenClaims): Promise<string> {
  return hub.app.platform.devIssuer!.mint(claims, { audience: hub.config.AUTH_AUDIENCE });
}

/** One request with full control over its headers (no Idempotency-Key unless given). */
export async function inject(
  hub: TestHub,
  options: {
    method: InjectOptions['method'];
    url: string;
    token?: string;
    headers?: Record<string, string>;
    payload?: InjectOptions['payload'];
  },
): Promise<LightMyRequestResponse> {
  return hub.app.inject({
    method: options.method,
    url: options.url,
    headers: {
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
      ...options.headers,
    },
    ...(options.payload !== undefined ? { payload: options.payload } : {}),
  });
}

/** Like `hub.as(user)`, for a token minted with other claims. */
export function withToken(hub: TestHub, token: string) {
  return {
    get: (url: string) => inject(hub, { method: 'GET', url, token }),
    post: (url: string, body: unknown = {}, headers: Record<string, string> = {}) =>
      inject(hub, {
        method: 'POST',
        url,
        token,
        headers: { 'idempotency-key': randomUUID(), ...headers },
        payload: body as InjectOptions['payload'],
      }),
  };
}

/** The slug of a problem+json response (`urn:samverkan:problem:<slug>`). */
export function problemSlug(res: LightMyRequestResponse): string | undefined {
  const type = (res.json() as { type?: unknown }).type;
  return typeof type === 'string' ? type.replace('urn:samverkan:problem:', '') : undefined;
}

/** Asserts a problem response, with a readable message when it is something else. */
export function expectProblem(res: LightMyRequestResponse, status: number, slug?: string): void {
  const got = { status: res.statusCode, slug: safeSlug(res), body: res.body.slice(0, 500) };
  expect(got).toMatchObject({ status, ...(slug ? { slug } : {}) });
  expect(String(res.headers['content-type'])).toContain('application/problem+json');
}

function safeSlug(res: LightMyRequestResponse): string | undefined {
  try {
    return problemSlug(res);
  } catch {
    return undefined;
  }
}

/** How many referral rows have this id (0 or 1): "no row written". */
export async function referralRows(hub: TestHub, id: string): Promise<number> {
  const [row] = (await hub.referrals.context.dataSource.query(
    'SELECT count(*)::int AS n FROM referrals.referrals WHERE id = $1',
    [id],
  )) as Array<{ n: number }>;
  return row!.n;
}

/** Every audit entry, read straight from the table (tests only). */
export async function auditRows(
  hub: TestHub,
  where: { objectId?: string; action?: string } = {},
): Promise<
  Array<{
    seq: number;
    actorSub: string;
    actorOrg: string | null;
    action: string;
    objectId: string | null;
    objectOrg: string | null;
    outcome: string;
    detail: Record<string, unknown>;
  }>
> {
  // Entries are chained right after commit; take every one written so far.
  await hub.referrals.context.audit.chainPending();
  const rows = (await hub.referrals.context.dataSource.query(
    `SELECT seq::int AS seq, actor_sub AS "actorSub", actor_org AS "actorOrg", action,
            object_id AS "objectId", object_org AS "objectOrg", outcome, detail
       FROM referrals.audit_log
      WHERE ($1::text IS NULL OR object_id = $1) AND ($2::text IS NULL OR action = $2)
      ORDER BY seq`,
    [where.objectId ?? null, where.action ?? null],
  )) as Awaited<ReturnType<typeof auditRows>>;
  return rows;
}
