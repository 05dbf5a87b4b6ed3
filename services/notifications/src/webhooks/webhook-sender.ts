import http from 'node:http';
import https from 'node:https';
import type { AttemptResult } from './delivery-state';
import {
  checkDestinationUrl,
  DestinationRefusedError,
  guardedLookup,
  hostLiteral,
  isPublicAddress,
  type DestinationPolicy,
} from './ssrf-guard';

export interface OutgoingWebhook {
  url: string;
  body: string;
  headers: Record<string, string>;
}

export interface SenderOptions {
  policy: DestinationPolicy;
  timeoutMs: number;
  userAgent?: string;
}

/** How much of a response is read before the connection is dropped; the body is not kept. */
const MAX_RESPONSE_BYTES = 64 * 1024;

/**
 * Sends one webhook: a POST with the signed body, no redirects followed (a 3xx is an answer, and
 * a failure), one overall timeout, and the destination checked again as the connection is made
 * (literal addresses here, names in the connection's own DNS lookup) so that a host rebound to a
 * private address since registration is not reached.
 */
export function sendWebhook(
  message: OutgoingWebhook,
  options: SenderOptions,
): Promise<AttemptResult> {
  let url: URL;
  try {
    url = checkDestinationUrl(message.url, options.policy);
  } catch (err) {
    return Promise.resolve(refused(err));
  }
  const literal = hostLiteral(url.hostname);
  if (literal && !options.policy.allowPrivate && !isPublicAddress(literal)) {
    return Promise.resolve({ kind: 'destination_refused', error: 'address_not_allowed' });
  }
  const transport = url.protocol === 'https:' ? https : http;
  const body = Buffer.from(message.body, 'utf8');

  return new Promise<AttemptResult>((resolve) => {
    let settled = false;
    const settle = (result: AttemptResult) => {
      if (!settled) {
        settled = true;
        clearTimeout(timer);
        resolve(result);
      }
    };
    const request = transport.request(
      url,
      {
        method: 'POST',
        agent: false,
        lookup: guardedLookup(options.policy),
        headers: {
          ...message.headers,
          'content-type': 'application/json',
          'content-length': String(body.length),
          'user-agent': options.userAgent ?? 'Samverkan-Webhooks/1',
        },
      },
      (response) => {
        let received = 0;
        response.on('data', (chunk: Buffer) => {
          received += chunk.length;
          if (received > MAX_RESPONSE_BYTES) {
            response.destroy();
          }
        });
        const retryAfter = response.headers['retry-after'];
        const answer: AttemptResult = {
          kind: 'response',
          status: response.statusCode ?? 0,
          ...(typeof retryAfter === 'string' ? { retryAfter } : {}),
        };
        response.on('end', () => settle(answer));
        response.on('close', () => settle(answer));
        response.on('error', () => settle(answer));
      },
    );
    const timer = setTimeout(() => {
      settle({ kind: 'timeout' });
      request.destroy();
    }, options.timeoutMs);
    request.on('error', (err: Error & { code?: string }) => {
      if (err instanceof DestinationRefusedError) {
        settle({ kind: 'destination_refused', error: err.reason });
      } else {
        settle({ kind: 'network_error', error: (err.code ?? 'network_error').slice(0, 60) });
      }
    });
    request.end(body);
  });
}

function refused(err: unknown): AttemptResult {
  return {
    kind: 'destination_refused',
    error: err instanceof DestinationRefusedError ? err.reason : 'malformed_url',
  };
}
