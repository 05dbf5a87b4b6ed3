import { createHmac, timingSafeEqual } from 'node:crypto';
import type { SamverkanClient } from './client';
import { HubUnavailableError, isProblemBody, SamverkanProblemError } from './errors';
import type { components } from './generated/notifications';

export type Notification = components['schemas']['Notification'];
export type NotificationCounts = components['schemas']['NotificationCounts'];

export type StreamEvent =
  | { event: 'notification'; id: string; data: Notification }
  | { event: 'counts'; data: NotificationCounts };

export interface StreamOptions {
  /** Resume after this `seq`: the hub first replays everything missed. */
  lastEventId?: string;
  signal?: AbortSignal;
  /** Reconnect after a dropped connection (default true), resuming from the last id seen. */
  reconnect?: boolean;
  /** Pause before reconnecting, in milliseconds (default 1000). */
  retryMs?: number;
}

/**
 * The caller's live notifications as an async iterator over the SSE stream
 * (`GET /v1/notifications/stream`). A dropped connection is reopened with `Last-Event-ID`, so no
 * notification is lost or repeated; `break` or the abort signal ends it.
 */
export async function* notificationStream(
  client: SamverkanClient,
  options: StreamOptions = {},
): AsyncGenerator<StreamEvent> {
  let lastEventId = options.lastEventId;
  const reconnect = options.reconnect ?? true;
  while (!options.signal?.aborted) {
    const token = await client.token();
    const headers: Record<string, string> = { accept: 'text/event-stream' };
    if (token) {
      headers.authorization = `Bearer ${token}`;
    }
    if (lastEventId) {
      headers['last-event-id'] = lastEventId;
    }
    let response: Response;
    try {
      response = await client.fetch(`${client.url.replace(/\/$/, '')}/v1/notifications/stream`, {
        headers,
        signal: options.signal,
      });
    } catch (err) {
      if (options.signal?.aborted) {
        return;
      }
      if (!reconnect) {
        throw err;
      }
      await pause(options.retryMs ?? 1000, options.signal);
      continue;
    }
    if (!response.ok || !response.body) {
      const body: unknown = await response.json().catch(() => undefined);
      if (isProblemBody(body)) {
        throw new SamverkanProblemError(body);
      }
      throw new HubUnavailableError(response.url, `the stream answered ${response.status}`);
    }
    try {
      for await (const message of parseSse(response.body)) {
        if (message.event === 'notification') {
          if (message.id) {
            lastEventId = message.id;
          }
          yield {
            event: 'notification',
            id: message.id ?? '',
            data: JSON.parse(message.data) as Notification,
          };
        } else if (message.event === 'counts') {
          yield { event: 'counts', data: JSON.parse(message.data) as NotificationCounts };
        }
      }
    } catch (err) {
      if (options.signal?.aborted) {
        return;
      }
      if (!reconnect) {
        throw err;
      }
    }
    if (!reconnect) {
      return;
    }
    await pause(options.retryMs ?? 1000, options.signal);
  }
}

export interface SseMessage {
  event: string;
  data: string;
  id?: string;
}

/** Parses a `text/event-stream` body (WHATWG HTML §9.2) into messages; comments are skipped. */
export async function* parseSse(body: AsyncIterable<Uint8Array>): AsyncGenerator<SseMessage> {
  const decoder = new TextDecoder();
  let buffer = '';
  let event = '';
  let data: string[] = [];
  let id: string | undefined;
  for await (const chunk of body) {
    buffer += decoder.decode(chunk, { stream: true });
    let newline: number;
    while ((newline = buffer.search(/\r\n|\r|\n/)) >= 0) {
      const line = buffer.slice(0, newline);
      buffer = buffer.slice(newline + (buffer.startsWith('\r\n', newline) ? 2 : 1));
      if (line === '') {
        if (data.length > 0) {
          yield { event: event || 'message', data: data.join('\n'), ...(id ? { id } : {}) };
        }
        event = '';
        data = [];
        continue;
      }
      if (line.startsWith(':')) {
        continue;
      }
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      let value = colon < 0 ? '' : line.slice(colon + 1);
      if (value.startsWith(' ')) {
        value = value.slice(1);
      }
      if (field === 'event') {
        event = value;
      } else if (field === 'data') {
        data.push(value);
      } else if (field === 'id' && !value.includes('\0')) {
        id = value;
      }
    }
  }
}

function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });
}

export class WebhookVerificationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WebhookVerificationError';
  }
}

/**
 * Verifies a Standard Webhooks delivery on the raw body, as the hub signs it: HMAC-SHA256 over
 * `<webhook-id>.<webhook-timestamp>.<body>` with the `whsec_…` secret, any of the `v1,<sig>`
 * entries of `webhook-signature` matching, the timestamp within the tolerance (default 5 minutes)
 * so an old delivery cannot be replayed. Returns the parsed payload.
 */
export function verifyWebhook(
  secret: string,
  headers: Record<string, string | string[] | undefined> | Headers,
  rawBody: string | Buffer,
  options: { toleranceSeconds?: number; now?: Date } = {},
): unknown {
  const get = (name: string): string | undefined => {
    if (headers instanceof Headers) {
      return headers.get(name) ?? undefined;
    }
    const value = headers[name] ?? headers[name.toLowerCase()];
    return Array.isArray(value) ? value[0] : value;
  };
  const id = get('webhook-id');
  const timestamp = get('webhook-timestamp');
  const signatures = get('webhook-signature');
  if (!id || !timestamp || !signatures) {
    throw new WebhookVerificationError(
      'missing webhook-id, webhook-timestamp or webhook-signature',
    );
  }
  if (!/^[0-9]{1,12}$/.test(timestamp)) {
    throw new WebhookVerificationError('webhook-timestamp is not a number of seconds');
  }
  const now = Math.floor((options.now ?? new Date()).getTime() / 1000);
  const tolerance = options.toleranceSeconds ?? 300;
  if (Math.abs(now - Number(timestamp)) > tolerance) {
    throw new WebhookVerificationError('webhook-timestamp is outside the tolerance');
  }
  const key = Buffer.from(secret.startsWith('whsec_') ? secret.slice(6) : secret, 'base64');
  const body = typeof rawBody === 'string' ? rawBody : rawBody.toString('utf8');
  const expected = createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest();
  const match = signatures.split(' ').some((entry) => {
    const [version, sig] = entry.split(',');
    if (version !== 'v1' || !sig) {
      return false;
    }
    const given = Buffer.from(sig, 'base64');
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
  if (!match) {
    throw new WebhookVerificationError('no signature matches the body');
  }
  try {
    return JSON.parse(body) as unknown;
  } catch {
    throw new WebhookVerificationError('the body is not JSON');
  }
}
