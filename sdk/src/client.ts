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
  /**
   * How a request the hub could not take is tried again (see {@link RetryOptions}); `false`
   * sends each request once.
   */
  retry?: RetryOptions | false;
}

/**
 * What the SDK tries again, as the integrators' guide asks of every client: a dropped or refused
 * connection, 429 (after its `Retry-After`), 502, 503, 504, and 409 `idempotency-key-in-progress`
 * (an earlier try of the same write is still running). Only reads and writes that carry an
 * `Idempotency-Key` (every write the typed clients send) are tried again, and always with the same
 * key and body, so a write whose answer was lost cannot act twice. Other answers, 4xx included,
 * are never tried again.
 */
export interface RetryOptions {
  /** tries in all, the first included (default 4) */
  attempts?: number;
  /** the pause before the second try; it doubles with each try after (default 250 ms) */
  baseDelayMs?: number;
  /**
   * the longest pause (default 4000 ms): an answer whose `Retry-After` asks for longer is given
   * to the caller as it is
   */
  maxDelayMs?: number;
}

const RETRY_STATUSES = new Set([429, 502, 503, 504]);
const IN_PROGRESS = 'urn:samverkan:problem:idempotency-key-in-progress';

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

  const typedFetch =
    options.retry === false ? guardedFetch : retryingFetch(guardedFetch, options.retry ?? {});

  const make = <P extends object>(service: 'directory' | 'referrals' | 'notifications') => {
    const client = createClient<P>({
      baseUrl: (options.services?.[service] ?? options.url).replace(/\/$/, ''),
      fetch: typedFetch,
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
 * `fetch` that tries a request again as {@link RetryOptions} says. The typed clients hand it a
 * `Request` whose headers (token, `Idempotency-Key`) are already set: each try sends a copy of it.
 */
function retryingFetch(send: typeof fetch, retry: RetryOptions): typeof fetch {
  const attempts = Math.max(1, Math.floor(retry.attempts ?? 4));
  const baseDelayMs = retry.baseDelayMs ?? 250;
  const maxDelayMs = retry.maxDelayMs ?? 4000;
  return async (input, init) => {
    const request = new Request(input, init);
    const retriable =
      request.method === 'GET' ||
      request.method === 'HEAD' ||
      request.headers.has('idempotency-key');
    if (!retriable || attempts === 1) {
      return send(request);
    }
    for (let attempt = 1; ; attempt += 1) {
      const last = attempt >= attempts;
      const backoff = Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1));
      let response: Response;
      try {
        response = await send(last ? request : request.clone());
      } catch (err) {
        if (last || request.signal.aborted) {
          throw err;
        }
        await pause(backoff, request.signal);
        continue;
      }
      if (last) {
        return response;
      }
      const wait = await retryDelay(response, backoff, maxDelayMs);
      if (wait === undefined) {
        return response;
      }
      await response.body?.cancel().catch(() => undefined);
      await pause(wait, request.signal);
    }
  };
}

/** How long to wait before trying again after this answer, or undefined: give it to the caller. */
async function retryDelay(
  response: Response,
  backoff: number,
  maxDelayMs: number,
): Promise<number | undefined> {
  if (response.status === 409) {
    const body = (await response
      .clone()
      .json()
      .catch(() => undefined)) as { type?: unknown } | undefined;
    return body?.type === IN_PROGRESS ? backoff : undefined;
  }
  if (!RETRY_STATUSES.has(response.status)) {
    return undefined;
  }
  const after = retryAfterMs(response.headers.get('retry-after'));
  if (after === undefined) {
    return backoff;
  }
  return after <= maxDelayMs ? Math.max(after, 0) : undefined;
}

/** `Retry-After` as milliseconds: delay-seconds or an HTTP date (RFC 9110 §10.2.3). */
function retryAfterMs(value: string | null): number | undefined {
  if (value === null || value.trim() === '') {
    return undefined;
  }
  if (/^\d+$/.test(value.trim())) {
    return Number(value.trim()) * 1000;
  }
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : at - Date.now();
}

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
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
