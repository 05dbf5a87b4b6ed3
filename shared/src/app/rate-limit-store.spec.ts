import { SnapshotRateLimitStore } from './rate-limit-store';

function incr(store: SnapshotRateLimitStore, key: string, timeWindow = 60_000) {
  let out: { current: number; ttl: number } | undefined;
  store.incr(key, (_err, res) => (out = res), timeWindow);
  return out!;
}

describe('SnapshotRateLimitStore', () => {
  it('counts per key and answers with a snapshot, not a live counter', () => {
    const store = new SnapshotRateLimitStore();
    const first = incr(store, 'a');
    const second = incr(store, 'a');
    expect(first.current).toBe(1);
    expect(second.current).toBe(2);
    expect(incr(store, 'b').current).toBe(1);
    expect(first.ttl).toBeGreaterThan(0);
  });

  it('starts a new window when the old one has passed', () => {
    const store = new SnapshotRateLimitStore();
    incr(store, 'a', 1);
    const started = Date.now();
    while (Date.now() - started < 3) {
      // let the 1 ms window pass
    }
    expect(incr(store, 'a', 1).current).toBe(1);
  });

  it('keeps at most maxKeys keys', () => {
    const store = new SnapshotRateLimitStore(undefined, 3);
    for (const key of ['a', 'b', 'c', 'd']) {
      incr(store, key);
    }
    // 'a' (the oldest) was dropped, so it starts again at 1
    expect(incr(store, 'a').current).toBe(1);
    let read: { current: number } | undefined;
    store.read('d', (_e, r) => (read = r), 60_000);
    expect(read!.current).toBe(1);
  });
});
