/**
 * The live notification stream (`GET /v1/notifications/stream`, Server-Sent Events). The browser's
 * EventSource cannot send an Authorization header and the token must not go into a URL, so the
 * stream is read with fetch and parsed with eventsource-parser. A dropped connection is reopened
 * with `Last-Event-ID`, so the hub replays what was missed: nothing lost, nothing twice.
 */
import { createParser } from 'eventsource-parser';
import type { Notification, NotificationCounts } from './client';

export interface StreamHandlers {
  onNotification(notification: Notification): void;
  onCounts(counts: NotificationCounts): void;
  onState(state: 'live' | 'reconnecting'): void;
}

export function openNotificationStream(token: () => string, handlers: StreamHandlers): () => void {
  const controller = new AbortController();
  let lastEventId: string | undefined;
  let retryMs = 1000;

  const connect = async (): Promise<void> => {
    while (!controller.signal.aborted) {
      try {
        const headers: Record<string, string> = {
          accept: 'text/event-stream',
          authorization: `Bearer ${token()}`,
        };
        if (lastEventId) {
          headers['last-event-id'] = lastEventId;
        }
        const res = await fetch('/v1/notifications/stream', {
          headers,
          signal: controller.signal,
          cache: 'no-store',
        });
        if (!res.ok || !res.body) {
          throw new Error(`stream ${res.status}`);
        }
        handlers.onState('live');
        retryMs = 1000;
        const parser = createParser({
          onEvent(event) {
            if (event.event === 'notification') {
              lastEventId = event.id ?? lastEventId;
              handlers.onNotification(JSON.parse(event.data) as Notification);
            } else if (event.event === 'counts') {
              handlers.onCounts(JSON.parse(event.data) as NotificationCounts);
            }
          },
          onRetry(ms) {
            retryMs = ms;
          },
        });
        const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
        for (;;) {
          const { value, done } = await reader.read();
          if (done) {
            break;
          }
          parser.feed(value);
        }
      } catch {
        if (controller.signal.aborted) {
          return;
        }
      }
      handlers.onState('reconnecting');
      await new Promise((resolve) => setTimeout(resolve, retryMs));
      retryMs = Math.min(retryMs * 2, 30_000);
    }
  };
  void connect();
  return () => controller.abort();
}
