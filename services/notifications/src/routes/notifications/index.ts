import sse from '@fastify/sse';
import { personOf } from '@samverkan/shared';
import type { FastifyInstance, HTTPMethods } from 'fastify';
import type { components, operations } from '../../generated/openapi';
import { notificationView } from '../../services/views';

type S = components['schemas'];
type IdParams = { id: string };

/** Every write needs an Idempotency-Key (docs/architecture.md#referral-lifecycle). */
const write = { config: { requireIdempotencyKey: true } };
const LAST_EVENT_ID = /^[0-9]{1,18}$/;

/** The in-app inbox and its live stream (openapi/notifications.yaml, tag Inbox). */
export async function notificationRoutes(app: FastifyInstance): Promise<void> {
  const { contract, inbox, context } = app.notifications;
  const route = (method: HTTPMethods, path: string) => contract.route(method, path);

  app.route({
    ...route('GET', '/v1/notifications'),
    handler: (request) =>
      inbox.list(
        request.principal,
        request.query as NonNullable<operations['listNotifications']['parameters']['query']>,
      ),
  });

  app.route({
    ...route('GET', '/v1/notifications/counts'),
    handler: (request) => inbox.counts(personOf(request.principal)),
  });

  for (const state of ['read', 'seen'] as const) {
    app.route({
      ...route('POST', `/v1/notifications/${state}`),
      ...write,
      handler: (request) => inbox.mark(request.principal, request.body as S['BulkRead'], state),
    });
  }

  app.route({
    ...route('GET', '/v1/notifications/{id}'),
    handler: (request) => inbox.get(request.principal, (request.params as IdParams).id),
  });

  for (const action of ['read', 'acknowledge', 'archive'] as const) {
    app.route({
      ...route('POST', `/v1/notifications/{id}/${action}`),
      ...write,
      handler: (request) => inbox.act(request.principal, (request.params as IdParams).id, action),
    });
  }

  await app.register(sse, { heartbeatInterval: context.config.sseHeartbeatMs });
  // Open streams never end by themselves: end them when the server shuts down, so that it can.
  const streams = new Set<() => void>();
  app.addHook('preClose', async () => {
    for (const end of [...streams]) {
      end();
    }
  });
  const streamRoute = route('GET', '/v1/notifications/stream');
  app.route({
    ...streamRoute,
    // The 200 answer is an event stream, not JSON: no response schema to serialise with.
    schema: { ...streamRoute.schema, response: undefined },
    sse: { kind: 'only' },
    handler: async (request, reply) => {
      const person = personOf(request.principal);
      const given = request.headers['last-event-id'];
      let lastSeq =
        typeof given === 'string' && LAST_EVENT_ID.test(given)
          ? given
          : await inbox.latestSeq(person);
      let lastCounts = '';
      let closed = false;
      let running: Promise<void> = Promise.resolve();
      let queued = false;

      // Sends what is new since `lastSeq`, then the counts if they changed (read with the last
      // rows: one statement a wake-up). Runs one at a time; wake-ups that arrive meanwhile
      // coalesce into one more run.
      const pump = async () => {
        for (;;) {
          const { rows, counts } = await inbox.streamUpdate(person, lastSeq, 100);
          for (const row of rows) {
            if (closed) {
              return;
            }
            await reply.sse.send({
              id: row.seq,
              event: 'notification',
              data: notificationView(row),
            });
            lastSeq = row.seq;
          }
          if (rows.length < 100) {
            const key = JSON.stringify(counts);
            if (!closed && key !== lastCounts) {
              lastCounts = key;
              await reply.sse.send({ event: 'counts', data: counts });
            }
            return;
          }
        }
      };
      const schedule = () => {
        if (queued || closed) {
          return;
        }
        queued = true;
        running = running.then(async () => {
          queued = false;
          if (!closed) {
            await pump().catch((err: unknown) =>
              request.log.warn({ err }, 'notification stream could not be updated'),
            );
          }
        });
      };

      const unsubscribe = context.feed.subscribe(person, schedule);
      // A safety net beside the wake-ups: look again at every heartbeat.
      const poll = setInterval(schedule, context.config.sseHeartbeatMs);
      const end = () => {
        closed = true;
        clearInterval(poll);
        clearTimeout(expiry);
        unsubscribe();
        streams.delete(end);
        reply.sse.close();
      };
      streams.add(end);
      // A stream lives no longer than the token that opened it: the client reconnects with a
      // fresh one (and Last-Event-ID), which is checked again.
      const expiresAt = request.principal.exp;
      const expiry =
        expiresAt === undefined
          ? undefined
          : setTimeout(end, Math.max(0, Math.min(expiresAt * 1000 - Date.now(), 2 ** 31 - 1)));
      reply.sse.keepAlive();
      reply.sse.onClose(() => {
        closed = true;
        clearInterval(poll);
        clearTimeout(expiry);
        unsubscribe();
        streams.delete(end);
      });
      schedule();
      await running;
    },
  });
}

export type NotificationCountsView = S['NotificationCounts'];
