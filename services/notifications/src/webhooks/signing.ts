import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';

/** The prefix Standard Webhooks gives a base64 secret (`whsec_…`). */
export const SECRET_PREFIX = 'whsec_';

/** A new endpoint secret: 32 random bytes, base64, in the Standard Webhooks form. */
export function generateSecret(): string {
  return `${SECRET_PREFIX}${randomBytes(32).toString('base64')}`;
}

export interface SignedHeaders {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
}

/**
 * The Standard Webhooks headers for one attempt: `webhook-id` stays the same across retries and
 * redeliveries of a message (receivers de-duplicate on it), the timestamp is the attempt's, and
 * there is one `v1,` signature per secret given — two during a rotation's overlap, so that a
 * receiver holding either the old or the new secret can verify.
 */
export function signPayload(
  messageId: string,
  timestamp: Date,
  payload: string,
  secrets: readonly string[],
): SignedHeaders {
  if (secrets.length === 0) {
    throw new Error('at least one secret is needed to sign');
  }
  const signatures = secrets.map((secret) =>
    new Webhook(secret).sign(messageId, timestamp, payload),
  );
  return {
    'webhook-id': messageId,
    'webhook-timestamp': String(Math.floor(timestamp.getTime() / 1000)),
    'webhook-signature': signatures.join(' '),
  };
}
