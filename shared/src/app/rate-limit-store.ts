import type { FastifyRateLimitStore } from '@fastify/rate-limit';

interface Window {
  count: number;
  startedAt: number;
}

/**
 * The in-memory rate-limit store: a fixed window per key, bounded in size.
 *
 * It replaces @fastify/rate-limit's LocalStore (11.2), which hands the plugin its live counter
 * object: the plugin reads it only after an `await`, so requests of one caller arriving together
 * all saw the count of the whole burst, and a burst of 21 concurrent requests under a limit of 20
 * was refused whole. This store answers with a snapshot.
 */
export class SnapshotRateLimitStore implements FastifyRateLimitStore {
  private readonly windows = new Map<string, Window>();

  constructor(
    _options?: unknown,
    /** keys kept at most; expired windows go first, then the oldest */
    private readonly maxKeys = 10_000,
  ) {}

  incr(
    key: string,
    callback: (error: Error | null, result?: { current: number; ttl: number }) => void,
    timeWindow: number,
  ): void {
    const now = Date.now();
    let window = this.windows.get(key);
    if (!window || window.startedAt + timeWindow <= now) {
      this.makeRoom(now, timeWindow);
      window = { count: 0, startedAt: now };
      this.windows.delete(key);
      this.windows.set(key, window);
    }
    window.count += 1;
    callback(null, { current: window.count, ttl: window.startedAt + timeWindow - now });
  }

  read(
    key: string,
    callback: (error: Error | null, result?: { current: number; ttl: number }) => void,
    timeWindow: number,
  ): void {
    const now = Date.now();
    const window = this.windows.get(key);
    if (!window || window.startedAt + timeWindow <= now) {
      callback(null, { current: 0, ttl: 0 });
      return;
    }
    callback(null, { current: window.count, ttl: window.startedAt + timeWindow - now });
  }

  child(): FastifyRateLimitStore {
    return new SnapshotRateLimitStore(undefined, this.maxKeys);
  }

  private makeRoom(now: number, timeWindow: number): void {
    if (this.windows.size < this.maxKeys) {
      return;
    }
    for (const [key, window] of this.windows) {
      if (window.startedAt + timeWindow <= now) {
        this.windows.delete(key);
      }
    }
    // Still full: drop the oldest windows (Map keeps insertion order).
    for (const key of this.windows.keys()) {
      if (this.windows.size < this.maxKeys) {
        break;
      }
      this.windows.delete(key);
    }
  }
}
