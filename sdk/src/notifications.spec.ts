import { Webhook } from 'standardwebhooks';
import { parseSse, verifyWebhook, WebhookVerificationError } from './notifications';

async function* chunks(...parts: string[]): AsyncGenerator<Uint8Array> {
  for (const part of parts) {
    yield new TextEncoder().encode(part);
  }
}

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) {
    out.push(item);
  }
  return out;
}

describe('parseSse', () => {
  it('parses events split across chunks, with ids, multi-line data and heartbeats', async () => {
    const messages = await collect(
      parseSse(
        chunks(
          ': heartbeat\n\n',
          'event: notification\nid: 41\nda',
          'ta: {"a":1}\n\r\n',
          'event: counts\ndata: line1\ndata: line2\n\n',
          'data: no event name\n\n',
        ),
      ),
    );
    expect(messages).toEqual([
      { event: 'notification', id: '41', data: '{"a":1}' },
      { event: 'counts', id: '41', data: 'line1\nline2' },
      { event: 'message', id: '41', data: 'no event name' },
    ]);
  });
});

describe('verifyWebhook', () => {
  const secret = `whsec_${Buffer.from('a secret of thirty-two bytes!!!!').toString('base64')}`;
  const body = JSON.stringify({ type: 'referral.sent', referralId: 'r1' });
  const now = new Date('2026-11-23T08:00:00Z');
  const signed = (at: Date, payload = body) => ({
    'webhook-id': 'msg_1',
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': new Webhook(secret).sign('msg_1', at, payload),
  });

  it('accepts what a Standard Webhooks signer signed, on the raw body', () => {
    expect(verifyWebhook(secret, signed(now), body, { now })).toEqual(JSON.parse(body));
    expect(verifyWebhook(secret, new Headers(signed(now)), Buffer.from(body), { now })).toEqual(
      JSON.parse(body),
    );
  });

  it('refuses a changed body, another secret, an old timestamp and missing headers', () => {
    expect(() => verifyWebhook(secret, signed(now), body.replace('r1', 'r2'), { now })).toThrow(
      WebhookVerificationError,
    );
    const other = `whsec_${Buffer.from('another secret of 32 bytes!!!!!').toString('base64')}`;
    expect(() => verifyWebhook(other, signed(now), body, { now })).toThrow(/no signature/);
    const old = new Date(now.getTime() - 10 * 60_000);
    expect(() => verifyWebhook(secret, signed(old), body, { now })).toThrow(/tolerance/);
    expect(() => verifyWebhook(secret, {}, body, { now })).toThrow(/missing/);
  });
});
