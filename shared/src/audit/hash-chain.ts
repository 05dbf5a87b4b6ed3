import { createHash } from 'node:crypto';
import { canonicalJson } from '@samverkan/sdk/src/crypto/canonical-json';

/**
 * Append-only hash chains (audit log, key log): each row carries the hash of the previous one and
 * its own hash over `prevHash` and the canonical JSON (RFC 8785) of its content, so any edited,
 * inserted or removed row breaks verification from that row on.
 */
export const GENESIS_HASH = '0'.repeat(64);

export { canonicalJson };

export function chainHash(prevHash: string, content: unknown): string {
  return createHash('sha256')
    .update(prevHash)
    .update('\n')
    .update(canonicalJson(content))
    .digest('hex');
}

export interface ChainLink {
  seq: number;
  prevHash: string;
  hash: string;
}

export interface ChainVerification {
  valid: boolean;
  entries: number;
  headSeq: number | null;
  headHash: string | null;
  firstInvalidSeq: number | null;
  reason: string | null;
}

/**
 * Walks a chain in `seq` order, page by page, recomputing every hash. Sequence numbers are
 * dense (1, 2, 3, …) because appends are serialised under a lock, so a removed row shows as a
 * gap as well as a broken link.
 */
export async function verifyChain<T extends ChainLink>(
  fetchPage: (afterSeq: number, limit: number) => Promise<T[]>,
  contentOf: (row: T) => unknown,
  pageSize = 1000,
): Promise<ChainVerification> {
  let prevHash = GENESIS_HASH;
  let expectedSeq = 1;
  let entries = 0;
  let after = 0;
  const fail = (seq: number, reason: string): ChainVerification => ({
    valid: false,
    entries,
    headSeq: expectedSeq - 1 || null,
    headHash: entries > 0 ? prevHash : null,
    firstInvalidSeq: seq,
    reason,
  });
  for (;;) {
    const page = await fetchPage(after, pageSize);
    for (const row of page) {
      if (row.seq !== expectedSeq) {
        return fail(expectedSeq, `entry ${expectedSeq} is missing (next present is ${row.seq})`);
      }
      if (row.prevHash !== prevHash) {
        return fail(row.seq, `entry ${row.seq} does not link to the entry before it`);
      }
      const hash = chainHash(prevHash, contentOf(row));
      if (hash !== row.hash) {
        return fail(row.seq, `entry ${row.seq} was altered after it was written`);
      }
      prevHash = row.hash;
      expectedSeq += 1;
      entries += 1;
    }
    if (page.length < pageSize) {
      break;
    }
    after = page[page.length - 1]!.seq;
  }
  return {
    valid: true,
    entries,
    headSeq: entries > 0 ? expectedSeq - 1 : null,
    headHash: entries > 0 ? prevHash : null,
    firstInvalidSeq: null,
    reason: null,
  };
}
