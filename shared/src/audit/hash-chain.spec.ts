import { canonicalJson, chainHash, GENESIS_HASH, verifyChain, type ChainLink } from './hash-chain';

interface Row extends ChainLink {
  action: string;
  detail: Record<string, unknown>;
}

const contentOf = (row: Row) => ({ seq: row.seq, action: row.action, detail: row.detail });

/** A valid chain of `n` rows, built the way the audit log appends. */
function buildChain(n: number): Row[] {
  const rows: Row[] = [];
  let prevHash = GENESIS_HASH;
  for (let seq = 1; seq <= n; seq += 1) {
    const row = {
      seq,
      action: `action-${seq}`,
      detail: { n: seq, who: `user-${seq}` },
      prevHash,
      hash: '',
    };
    row.hash = chainHash(prevHash, contentOf(row));
    rows.push(row);
    prevHash = row.hash;
  }
  return rows;
}

/** Serves rows as a `WHERE seq > after ORDER BY seq LIMIT n` query would. */
const pagesOf =
  (rows: Row[]) =>
  async (after: number, limit: number): Promise<Row[]> =>
    rows
      .filter((r) => r.seq > after)
      .sort((a, b) => a.seq - b.seq)
      .slice(0, limit);

const verify = (rows: Row[], pageSize = 3) => verifyChain(pagesOf(rows), contentOf, pageSize);

describe('canonicalJson', () => {
  it('sorts object keys at every depth and leaves array order alone', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, 1, 2], c: 'x' } })).toBe(
      '{"a":{"c":"x","d":[3,1,2]},"b":1}',
    );
  });

  it('gives the same text for the same content in any key order', () => {
    expect(canonicalJson({ x: 1, y: { p: true, q: null } })).toBe(
      canonicalJson({ y: { q: null, p: true }, x: 1 }),
    );
  });

  it('writes numbers and strings in their RFC 8785 form', () => {
    expect(canonicalJson({ n: 1.0, big: 1e21, s: 'å\u2028"' })).toBe(
      '{"big":1e+21,"n":1,"s":"å\u2028\\""}',
    );
  });

  it('refuses what has no JSON form', () => {
    expect(() => canonicalJson(undefined)).toThrow(TypeError);
  });
});

describe('chainHash', () => {
  it('depends on the previous hash and on the content, not on key order', () => {
    const h = chainHash(GENESIS_HASH, { a: 1, b: 2 });
    expect(h).toMatch(/^[0-9a-f]{64}$/);
    expect(chainHash(GENESIS_HASH, { b: 2, a: 1 })).toBe(h);
    expect(chainHash('1'.repeat(64), { a: 1, b: 2 })).not.toBe(h);
    expect(chainHash(GENESIS_HASH, { a: 1, b: 3 })).not.toBe(h);
  });
});

describe('verifyChain', () => {
  it('accepts an intact chain across pages and reports its head', async () => {
    const rows = buildChain(10);
    const result = await verify(rows);
    expect(result).toEqual({
      valid: true,
      entries: 10,
      headSeq: 10,
      headHash: rows[9]!.hash,
      firstInvalidSeq: null,
      reason: null,
    });
  });

  it('accepts an empty chain', async () => {
    expect(await verify([])).toMatchObject({
      valid: true,
      entries: 0,
      headSeq: null,
      headHash: null,
    });
  });

  it('accepts a chain whose length is an exact multiple of the page size', async () => {
    expect(await verify(buildChain(6), 3)).toMatchObject({ valid: true, entries: 6, headSeq: 6 });
  });

  it('detects an edited row', async () => {
    const rows = buildChain(6);
    rows[3] = { ...rows[3]!, detail: { ...rows[3]!.detail, who: 'someone-else' } };
    const result = await verify(rows);
    expect(result).toMatchObject({
      valid: false,
      firstInvalidSeq: 4,
      entries: 3,
      headSeq: 3,
      headHash: rows[2]!.hash,
    });
    expect(result.reason).toMatch(/altered/);
  });

  it('detects an edited row whose own hash was recomputed (the next link breaks)', async () => {
    const rows = buildChain(6);
    const edited = { ...rows[3]!, action: 'something-else' };
    edited.hash = chainHash(edited.prevHash, contentOf(edited));
    rows[3] = edited;
    const result = await verify(rows);
    expect(result).toMatchObject({ valid: false, firstInvalidSeq: 5 });
    expect(result.reason).toMatch(/does not link/);
  });

  it('detects a deleted row in the middle', async () => {
    const rows = buildChain(6).filter((r) => r.seq !== 3);
    const result = await verify(rows);
    expect(result).toMatchObject({ valid: false, firstInvalidSeq: 3, entries: 2 });
    expect(result.reason).toMatch(/entry 3 is missing \(next present is 4\)/);
  });

  it('detects a deleted row when the later rows were renumbered to close the gap', async () => {
    const rows = buildChain(6)
      .filter((r) => r.seq !== 3)
      .map((r) => (r.seq > 3 ? { ...r, seq: r.seq - 1 } : r));
    const result = await verify(rows);
    expect(result.valid).toBe(false);
    expect(result.firstInvalidSeq).toBe(3);
  });

  it('detects the first row deleted', async () => {
    const result = await verify(buildChain(4).slice(1));
    expect(result).toMatchObject({
      valid: false,
      firstInvalidSeq: 1,
      entries: 0,
      headSeq: null,
      headHash: null,
    });
  });

  it('detects an inserted row, even one with a correctly computed hash', async () => {
    const rows = buildChain(6);
    const inserted: Row = {
      seq: 3,
      action: 'inserted',
      detail: {},
      prevHash: rows[1]!.hash,
      hash: '',
    };
    inserted.hash = chainHash(inserted.prevHash, contentOf(inserted));
    const tampered = [
      ...rows.slice(0, 2),
      inserted,
      ...rows.slice(2).map((r) => ({ ...r, seq: r.seq + 1 })),
    ];
    const result = await verify(tampered);
    expect(result.valid).toBe(false);
    // the inserted row links correctly, the original row after it does not
    expect(result.firstInvalidSeq).toBe(4);
  });

  it('detects a duplicated sequence number', async () => {
    const rows = buildChain(4);
    const result = await verify([...rows.slice(0, 2), { ...rows[2]!, seq: 2 }, rows[3]!]);
    expect(result.valid).toBe(false);
  });

  it('detects two rows swapped', async () => {
    const rows = buildChain(6);
    const swapped = [rows[0]!, { ...rows[2]!, seq: 2 }, { ...rows[1]!, seq: 3 }, ...rows.slice(3)];
    const result = await verify(swapped);
    expect(result).toMatchObject({ valid: false, firstInvalidSeq: 2 });
  });

  it('reports the head, so a cut-off tail shows against a head kept elsewhere', async () => {
    const rows = buildChain(6);
    const full = await verify(rows);
    const truncated = await verify(rows.slice(0, 4));
    // a truncated tail is still a valid chain on its own …
    expect(truncated.valid).toBe(true);
    // … but its head is not the one recorded before
    expect(truncated.headHash).not.toBe(full.headHash);
    expect(truncated.headSeq).toBe(4);
  });
});
