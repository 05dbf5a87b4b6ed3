/**
 * W3C trace context from the request that caused an event, through NATS, into the consumer that
 * turns it into notifications: the consumer's own events (notification.created) continue the same
 * trace, and its log lines carry the trace id.
 */
import { PassThrough } from 'node:stream';
import { runInTrace } from '@samverkan/shared';
import { buildHub, type TestHub } from './helpers/build';
import { emitAndCollect, referralData } from './helpers/events';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const logs: string[] = [];
let hub: TestHub;

beforeAll(async () => {
  const logStream = new PassThrough();
  logStream.on('data', (chunk: Buffer) => logs.push(...chunk.toString().split('\n')));
  hub = await buildHub({ nats: true, logStream });
}, 120_000);
afterAll(async () => hub?.close());

it('the notifications a referral causes carry the trace of the request that sent it', async () => {
  // As the referrals service does inside a request that came with this traceparent.
  const data = referralData({ copyUnitIds: [] });
  const produced = await runInTrace(`00-${TRACE_ID}-00f067aa0ba902b7-01`, () =>
    emitAndCollect(hub, 'samverkan.referrals.referral.sent', data),
  );
  expect(produced.length).toBeGreaterThan(0);

  const rows = (await hub.notifications.context.dataSource.query(
    `SELECT headers->>'traceparent' AS traceparent FROM notifications.outbox
      WHERE type = 'samverkan.notifications.notification.created'
        AND payload->'data'->>'objectId' = $1`,
    [data.referralId],
  )) as Array<{ traceparent: string | null }>;
  expect(rows.length).toBe(produced.length);
  for (const row of rows) {
    // The same trace, a new span: the consumer's work is a child of the request's.
    expect(row.traceparent).toMatch(new RegExp(`^00-${TRACE_ID}-[0-9a-f]{16}-01$`));
    expect(row.traceparent).not.toBe(`00-${TRACE_ID}-00f067aa0ba902b7-01`);
  }
});

it('log lines written while handling the event name its trace id', async () => {
  const lines = logs
    .filter((l) => l.includes(TRACE_ID))
    .map((l) => JSON.parse(l) as { traceId?: string });
  expect(lines.length).toBeGreaterThan(0);
  expect(lines.every((l) => l.traceId === TRACE_ID)).toBe(true);
});
