/** One Server-Sent Event as a client sees it. */
export interface SseEvent {
  id?: string;
  event: string;
  data: string;
}

export interface SseStream {
  status: number;
  events: SseEvent[];
  comments: number;
  /**
   * Told of each event as it is parsed, before it is kept in `events` (e.g. a bench that times
   * arrivals, instead of polling `events`)
   */
  onEvent?: (e: SseEvent) => void;
  /** Resolves with the first event (already received or still to come) that matches. */
  next(match: (e: SseEvent) => boolean, timeoutMs?: number): Promise<SseEvent>;
  close(): void;
}

/** Opens an event stream with `fetch` on a real port and parses it as it arrives. */
export async function openStream(
  url: string,
  token: string | null,
  headers: Record<string, string> = {},
): Promise<SseStream> {
  const controller = new AbortController();
  const res = await fetch(url, {
    headers: {
      accept: 'text/event-stream',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...headers,
    },
    signal: controller.signal,
  });
  const stream: SseStream & { waiters: Array<() => void> } = {
    status: res.status,
    events: [],
    comments: 0,
    waiters: [],
    async next(match, timeoutMs = 10_000) {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const found = stream.events.find(match);
        if (found) {
          return found;
        }
        const left = until - Date.now();
        if (left <= 0) {
          throw new Error(
            `no matching event within ${timeoutMs} ms; got ${JSON.stringify(stream.events)}`,
          );
        }
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, left);
          stream.waiters.push(() => {
            clearTimeout(t);
            resolve();
          });
        });
      }
    },
    close() {
      controller.abort();
    },
  };
  if (res.status !== 200 || !res.body) {
    return stream;
  }
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  void (async () => {
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) {
          return;
        }
        buffer += decoder.decode(value, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event: SseEvent = { event: 'message', data: '' };
          const data: string[] = [];
          let comment = true;
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) {
              continue;
            }
            comment = false;
            const i = line.indexOf(':');
            const field = i < 0 ? line : line.slice(0, i);
            const value = i < 0 ? '' : line.slice(i + 1).replace(/^ /, '');
            if (field === 'id') {
              event.id = value;
            } else if (field === 'event') {
              event.event = value;
            } else if (field === 'data') {
              data.push(value);
            }
          }
          if (comment) {
            stream.comments += 1;
          } else {
            event.data = data.join('\n');
            stream.onEvent?.(event);
            stream.events.push(event);
          }
          for (const w of stream.waiters.splice(0)) {
            w();
          }
        }
      }
    } catch {
      // aborted
    }
  })();
  return stream;
}
