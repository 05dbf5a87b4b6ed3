/**
 * Load for the resilience suite: encrypted referrals sent through the gateway the way an agency
 * system sends them — keys fetched and checked against the pinned root keys, the envelope sealed
 * locally, one Idempotency-Key per referral, and the same request retried with the same key while
 * the hub answers 502/503/504 or the connection fails (so "accepted" means the hub said 201).
 */
import { randomUUID } from 'node:crypto';
import { readDevKeyStore } from '@samverkan/directory/src/seed/dev-key-store';
import { DEMO_UNITS } from '@samverkan/shared';
import { sealReferralBody, verifyPinnedKeys } from '../scripts/bench-referrals';

export interface ReferralLoad {
  /** referral ids the hub answered 201 (or replayed 201) for */
  accepted: string[];
  /** referral ids given up on after the retry window */
  refused: Array<{ id: string; status: number; body: string }>;
  /** how many attempts failed transiently and were retried */
  retries: number;
}

export const LOAD_SENDER = DEMO_UNITS.policeTraffickingOst;
export const LOAD_RECIPIENT = DEMO_UNITS.frideborg;

export async function prepareReferrals(
  gatewayUrl: string,
  dataDir: string,
  token: string,
  count: number,
): Promise<Array<{ id: string; body: string }>> {
  const keyStore = readDevKeyStore(dataDir);
  const res = await fetch(`${gatewayUrl}/v1/keys?units=${LOAD_SENDER},${LOAD_RECIPIENT}`, {
    headers: { authorization: `Bearer ${token}` },
  });
  if (res.status !== 200) {
    throw new Error(`keys: ${res.status} ${await res.text()}`);
  }
  const keys = await verifyPinnedKeys(
    keyStore,
    (await res.json()) as Parameters<typeof verifyPinnedKeys>[1],
  );
  const out: Array<{ id: string; body: string }> = [];
  for (let start = 0; start < count; start += 100) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(100, count - start) }, (_, j) =>
        sealReferralBody({
          keyStore,
          keys,
          from: LOAD_SENDER,
          to: LOAD_RECIPIENT,
          urgency: 'acute',
          document: {
            version: 1,
            person: { ageBand: 'adult', languages: ['ro'], interpreterNeeded: true },
            situation: {
              summary: `Resilience referral ${start + j}: met during a police operation.`,
              exploitation: ['trafficking_sexual'],
            },
            requests: ['support_talks'],
            consent: { given: true, scope: 'Sharing with social services' },
            senderContact: { role: 'officer' },
          },
        }),
      ),
    );
    out.push(...batch);
  }
  return out;
}

const TRANSIENT = new Set([502, 503, 504]);

/**
 * Sends the prepared referrals with `concurrency` requests in flight, retrying each with its
 * own Idempotency-Key until it is answered for good or `retryWindowMs` has passed.
 * `onProgress(n)` is called after each referral is settled, so a test can cause a fault
 * mid-burst.
 */
export async function sendReferrals(
  gatewayUrl: string,
  token: string,
  prepared: Array<{ id: string; body: string }>,
  options: { concurrency?: number; retryWindowMs?: number; onProgress?: (n: number) => void } = {},
): Promise<ReferralLoad> {
  const concurrency = options.concurrency ?? 16;
  const retryWindowMs = options.retryWindowMs ?? 300_000;
  const result: ReferralLoad = { accepted: [], refused: [], retries: 0 };
  let next = 0;
  let settled = 0;
  const worker = async (): Promise<void> => {
    for (;;) {
      const item = prepared[next];
      next += 1;
      if (!item) {
        return;
      }
      const key = randomUUID();
      const until = Date.now() + retryWindowMs;
      let attempt = 0;
      for (;;) {
        let status = 0;
        let text = '';
        let retryAfterMs: number | undefined;
        try {
          const res = await fetch(`${gatewayUrl}/v1/referrals`, {
            method: 'POST',
            headers: {
              authorization: `Bearer ${token}`,
              'content-type': 'application/json',
              'idempotency-key': key,
            },
            body: item.body,
            signal: AbortSignal.timeout(30_000),
          });
          status = res.status;
          text = await res.text();
          const retryAfter = Number(res.headers.get('retry-after'));
          retryAfterMs =
            Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : undefined;
        } catch (err) {
          text = String(err);
        }
        if (status === 201) {
          result.accepted.push(item.id);
          break;
        }
        // 409 "in flight": an attempt with this key is still running (or ran on a replica that
        // died, until its lease ends); 429: over the caller's limit. Both: wait and retry, as a
        // well-behaved client does — Retry-After when given, otherwise backing off.
        const transient = status === 0 || TRANSIENT.has(status) || status === 409 || status === 429;
        if (!transient || Date.now() > until) {
          result.refused.push({ id: item.id, status, body: text.slice(0, 300) });
          break;
        }
        result.retries += 1;
        attempt += 1;
        await new Promise((r) =>
          setTimeout(r, retryAfterMs ?? Math.min(5000, 250 * 2 ** Math.min(attempt, 5))),
        );
      }
      settled += 1;
      options.onProgress?.(settled);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return result;
}
