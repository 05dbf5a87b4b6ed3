/**
 * The hub's three APIs through openapi-fetch, typed by the SDK's generated OpenAPI types (one
 * source of truth: openapi/*.yaml). Every request carries the in-memory access token; every POST
 * an Idempotency-Key, so a retried tap never acts twice.
 */
import createClient, { type Client, type Middleware } from 'openapi-fetch';
import type {
  paths as DirectoryPaths,
  components as DirectoryComponents,
} from '@samverkan/sdk/src/generated/directory';
import type {
  paths as NotificationsPaths,
  components as NotificationsComponents,
} from '@samverkan/sdk/src/generated/notifications';
import type {
  paths as ReferralsPaths,
  components as ReferralsComponents,
} from '@samverkan/sdk/src/generated/referrals';

export type ReferralSchemas = ReferralsComponents['schemas'];
export type DirectorySchemas = DirectoryComponents['schemas'];
export type NotificationSchemas = NotificationsComponents['schemas'];
export type Referral = ReferralSchemas['Referral'];
export type FieldRequest = ReferralSchemas['FieldRequest'];
export type Operation = ReferralSchemas['Operation'];
export type Notification = NotificationSchemas['Notification'];
export type NotificationCounts = NotificationSchemas['NotificationCounts'];
export type Unit = DirectorySchemas['Unit'];

export interface Problem {
  type?: string;
  title?: string;
  status?: number;
  detail?: string;
  code?: string;
}

/** The problem type this client answers with when the hub gave no answer at all. */
export const HUB_UNREACHABLE = 'urn:samverkan:problem:hub-unreachable';

export interface Api {
  directory: Client<DirectoryPaths>;
  referrals: Client<ReferralsPaths>;
  notifications: Client<NotificationsPaths>;
  token(): string;
}

export function createApi(token: () => string, onUnauthorized: () => void): Api {
  const auth: Middleware = {
    onRequest({ request }) {
      request.headers.set('authorization', `Bearer ${token()}`);
      if (request.method === 'POST' && !request.headers.has('idempotency-key')) {
        request.headers.set('idempotency-key', crypto.randomUUID());
      }
      return request;
    },
    onResponse({ response }) {
      if (response.status === 401) {
        onUnauthorized();
      }
      return response;
    },
    // No answer at all (offline, the hub down): a refusal like any other, so every page says so
    // in words and leaves its buttons usable, instead of a rejected promise nobody catches.
    onError() {
      return new Response(
        JSON.stringify({
          type: HUB_UNREACHABLE,
          title: 'The hub could not be reached',
          status: 503,
        }),
        { status: 503, headers: { 'content-type': 'application/problem+json' } },
      );
    },
  };
  const make = <P extends object>() => {
    const c = createClient<P>({ baseUrl: location.origin });
    c.use(auth);
    return c;
  };
  return {
    directory: make<DirectoryPaths>(),
    referrals: make<ReferralsPaths>(),
    notifications: make<NotificationsPaths>(),
    token,
  };
}

/** A fresh Idempotency-Key for one write (one tap, one effect). */
export function idempotent(): { 'Idempotency-Key': string } {
  return { 'Idempotency-Key': crypto.randomUUID() };
}

/** What to tell a person about a refused request. */
export function problemText(error: unknown): string {
  const p = error as Problem | undefined;
  if (p && typeof p === 'object') {
    return p.detail ?? p.title ?? String(p.status ?? '');
  }
  return String(error);
}

/** Unwraps an openapi-fetch answer, throwing the problem when it was refused. */
export function must<T>(result: { data?: T; error?: unknown; response: Response }): T {
  if (result.error !== undefined || result.data === undefined) {
    throw new ProblemError(result.response.status, result.error as Problem | undefined);
  }
  return result.data;
}

export class ProblemError extends Error {
  constructor(
    readonly status: number,
    readonly problem: Problem | undefined,
  ) {
    super(problemText(problem) || `HTTP ${status}`);
  }
}
