import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';

/**
 * W3C Trace Context: each request joins the caller's trace (or starts one) and gets its own span
 * id; the resulting `traceparent` is echoed in the response and travels with every event the
 * request causes, so a referral can be followed from HTTP through NATS to its notifications.
 */
const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;
const storage = new AsyncLocalStorage<{ traceparent: string }>();

export function currentTraceparent(): string | undefined {
  return storage.getStore()?.traceparent;
}

// Ids come from a pool of random bytes refilled 4 KiB at a time: one call into the CSPRNG per
// ~170 requests instead of two per request (they identify traces; they guard nothing).
const RANDOM_POOL_BYTES = 4096;
let randomPool = Buffer.alloc(0);
let randomOffset = 0;

function randomHex(bytes: number): string {
  if (randomOffset + bytes > randomPool.length) {
    randomPool = randomBytes(RANDOM_POOL_BYTES);
    randomOffset = 0;
  }
  const hex = randomPool.toString('hex', randomOffset, randomOffset + bytes);
  randomOffset += bytes;
  return hex;
}

const ZERO_TRACE_ID = '0'.repeat(32);

export function childTraceparent(incoming: string | undefined): string {
  const match = incoming ? TRACEPARENT.exec(incoming) : null;
  const traceId = match && match[1] !== ZERO_TRACE_ID ? match[1] : randomHex(16);
  return `00-${traceId}-${randomHex(8)}-01`;
}

/** The trace id of the current request or event, for log lines (`traceId`). */
export function currentTraceId(): string | undefined {
  const current = storage.getStore()?.traceparent;
  return current ? TRACEPARENT.exec(current)?.[1] : undefined;
}

/**
 * Runs a consumer's handling of an event as a new span of the trace the event carries (its
 * `traceparent` header, written by the request that caused it), so that what the handler logs
 * and publishes in turn stays in that trace: HTTP → outbox → NATS → consumer → outbox → …
 */
export function runInTrace<T>(incoming: string | undefined, fn: () => Promise<T>): Promise<T> {
  return storage.run({ traceparent: childTraceparent(incoming) }, fn);
}

export function registerTraceContext(app: FastifyInstance): void {
  app.addHook('onRequest', (request, reply, done) => {
    const header = request.headers.traceparent;
    const traceparent = childTraceparent(typeof header === 'string' ? header : undefined);
    void reply.header('traceparent', traceparent);
    // Running the rest of the request inside the store makes it visible to everything the
    // handler calls, without threading it through every service signature.
    storage.run({ traceparent }, done);
  });
}
