import createClient, { type Client, type Middleware } from 'openapi-fetch';
import type { paths as DirectoryPaths } from './generated/directory';
import type { paths as NotificationsPaths } from './generated/notifications';
import type { paths as ReferralsPaths } from './generated/referrals';
import { HubUnavailableError, isProblemBody, SamverkanProblemError } from './errors';

export type TokenSource = string | (() => string | Promise<string>);

export interface SamverkanClientOptions {
  /** Base URL of the hub (embedded or gateway), e.g. `http://localhost:3000`. */
  url: string;
  /** Per-service base URLs where the services run apart without a gateway. */
  services?: Partial<Record<'directory' | 'referrals' | 'notifications', string>>;
  /** The bearer token, or a function returning a fresh one for each request. */
  token?: TokenSource;
  /** A fetch implementation (default: the global fetch). */
  fetch?: typeof fetch;
}

/** Typed HTTP clients for the three services, generated from openapi/*.yaml. */
export interface SamverkanClient {
  url: string;
  directory: Client<DirectoryPaths>;
  referrals: Client<ReferralsPaths>;
  notifications: Client<NotificationsPaths>;
  /** The token for the next request (for calls outside the typed clients, such as SSE). */
  token(): Promise<string | undefined>;
  fetch: typeof fetch;
}

const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export function createSamverkanClient(options: SamverkanClientOptions): SamverkanClient {
  const baseFetch = options.fetch ?? globalThis.fetch;
  const token = async () =>
    typeof options.token === 'function' ? await options.token() : options.token;

  // Every request: bearer token; every write: an Idempotency-Key (the hub requires one), so a
  // retried request after a lost answer cannot act twice.
  const middleware: Middleware = {
    async onRequest({ request }) {
      const t = await token();
      if (t && !request.headers.has('authorization')) {
        request.headers.set('authorization', `Bearer ${t}`);
      }
      if (WRITE_METHODS.has(request.method) && !request.headers.has('idempotency-key')) {
        request.headers.set('idempotency-key', globalThis.crypto.randomUUID());
      }
      return request;
    },
    async onResponse({ response }) {
      if (response.ok) {
        return response;
      }
      const text = await response.clone().text();
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        body = undefined;
      }
      if (isProblemBody(body)) {
        throw new SamverkanProblemError(body);
      }
      throw new HubUnavailableError(
        response.url,
        `the hub answered ${response.status} ${response.statusText} without a problem body`,
        response.status,
      );
    },
  };

  // A refused connection surfaces as a TypeError from fetch; name it for what it is.
  const guardedFetch: typeof fetch = async (input, init) => {
    try {
      return await baseFetch(input, init);
    } catch (err) {
      const url = input instanceof Request ? input.url : String(input);
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      throw new HubUnavailableError(
        url,
        `cannot reach the hub at ${new URL(url).origin}: ${cause?.code ?? cause?.message ?? (err as Error).message}`,
      );
    }
  };

  const make = <P extends object>(service: 'directory' | 'referrals' | 'notifications') => {
    const client = createClient<P>({
      baseUrl: (options.services?.[service] ?? options.url).replace(/\/$/, ''),
      fetch: guardedFetch,
    });
    client.use(middleware);
    return client;
  };

  return {
    url: options.url,
    directory: make<DirectoryPaths>('directory'),
    referrals: make<ReferralsPaths>('referrals'),
    notifications: make<NotificationsPaths>('notifications'),
    token,
    fetch: guardedFetch,
  };
}

/**
 * The data of an openapi-fetch result. Errors were already thrown by the middleware as typed
 * errors, so a missing body here is a response the contract does not describe.
 */
export async function data<T>(
  call: Promise<{ data?: T; error?: unknown; response: Response }>,
): Promise<T> {
  const result = await call;
  if (result.data === undefined) {
    throw new HubUnavailableError(
      result.response.url,
      `the hub answered ${result.response.status} without the expected body`,
      result.response.status,
    );
  }
  return result.data;
}
