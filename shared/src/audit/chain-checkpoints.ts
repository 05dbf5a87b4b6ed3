import { randomUUID } from 'node:crypto';
import type { JWK } from 'jose';
import type { DataSource, EntityManager, EntityTarget, ObjectLiteral } from 'typeorm';
import { ChainCheckpointEntity, ChainHeadEntity } from '../entities/platform.entities';
import { CommonProblems, ProblemError } from '../errors/problem';
import type { ServiceEvents } from '../events/service-events';
import { openCheckpointJws, type AuditSigningKey } from './audit-key';
import { canonicalJson, GENESIS_HASH, type ChainLink, type ChainVerification } from './hash-chain';

/**
 * Checkpoints of a service's hash chains (docs/audit.md): the recorded head that every append moves
 * forward, and signed, published statements of it, so that a cut-off tail, a replaced tail (a
 * fork) or a database restored to an older state (a rollback) is detected, not only an edited or
 * deleted row in the middle. The formulas are in docs/audit.md.
 */

/** Serialises appends to one hash chain (a transaction-scoped advisory lock keyed by its table). */
export async function lockChainHead(manager: EntityManager, table: string): Promise<void> {
  await manager.query('SELECT pg_advisory_xact_lock(hashtext($1))', [table]);
}

export interface ChainHead {
  seq: number;
  hash: string;
}

/**
 * The current head of a chain, under its lock: the recorded head (the migration records it for a
 * chain that already has rows), or the last row for a chain that has none recorded yet. Never
 * the last row when a head is recorded: rows cut off the end would be written again under the
 * same numbers.
 */
export async function currentChainHead(
  manager: EntityManager,
  chain: string,
  target: EntityTarget<ChainLink & ObjectLiteral>,
): Promise<ChainHead> {
  const recorded = await manager.findOne(ChainHeadEntity, { where: { chain } });
  if (recorded) {
    return { seq: recorded.seq, hash: recorded.hash };
  }
  const [last] = await manager
    .getRepository(target)
    .find({ order: { seq: 'DESC' } as never, take: 1, select: { seq: true, hash: true } as never });
  return last ? { seq: last.seq, hash: last.hash } : { seq: 0, hash: GENESIS_HASH };
}

/** Locks the chain and returns the number and previous hash of the next link. */
export async function nextChainLink(
  manager: EntityManager,
  chain: string,
  target: EntityTarget<ChainLink & ObjectLiteral>,
): Promise<{ seq: number; prevHash: string }> {
  await lockChainHead(manager, manager.getRepository(target).metadata.tablePath);
  const head = await currentChainHead(manager, chain, target);
  return { seq: head.seq + 1, prevHash: head.hash };
}

/** Records the new head in the append's own transaction. */
export async function recordChainHead(
  manager: EntityManager,
  chain: string,
  head: ChainHead,
): Promise<void> {
  await manager.query(
    `INSERT INTO ${manager.getRepository(ChainHeadEntity).metadata.tablePath} (chain, seq, hash, updated_at)
     VALUES ($1, $2, $3, now())
     ON CONFLICT (chain) DO UPDATE SET seq = EXCLUDED.seq, hash = EXCLUDED.hash, updated_at = now()`,
    [chain, head.seq, head.hash],
  );
}

export interface CheckpointView {
  service: string;
  chain: string;
  seq: number;
  headHash: string;
  at: string;
  kid: string;
  /** compact JWS (EdDSA, `typ: audit-checkpoint+jws`) over the canonical JSON of the fields above */
  jws: string;
}

/** The exact text a checkpoint's JWS signs: RFC 8785 JSON of service, chain, seq, headHash, at. */
export function checkpointPayload(c: {
  service: string;
  chain: string;
  seq: number;
  headHash: string;
  at: string;
}): string {
  return canonicalJson({
    service: c.service,
    chain: c.chain,
    seq: c.seq,
    headHash: c.headHash,
    at: c.at,
  });
}

export interface PinnedCheckpoint {
  seq: number;
  headHash: string;
}

/**
 * The checkpoint a verify request pins (`?pinSeq=…&pinHash=…`, the hash in any case), or none;
 * a 400 when only one of the two is given.
 */
export function pinnedCheckpoint(query: {
  pinSeq?: number;
  pinHash?: string;
}): PinnedCheckpoint | undefined {
  if ((query.pinSeq === undefined) !== (query.pinHash === undefined)) {
    throw new ProblemError(
      CommonProblems.validation,
      'pinSeq and pinHash pin a checkpoint together',
      {
        errors: [{ field: 'query.pinHash', message: 'give both pinSeq and pinHash, or neither' }],
      },
    );
  }
  return query.pinSeq !== undefined
    ? { seq: query.pinSeq, headHash: query.pinHash!.toLowerCase() }
    : undefined;
}

export interface CheckedChainVerification extends ChainVerification {
  /** the head every append records; rows missing up to it were cut off */
  recordedHead: ChainHead | null;
  latestCheckpoint: CheckpointView | null;
  /** how many of the latest checkpoints were checked (signature, and the chain against them) */
  checkpointsChecked: number;
  /** rows are missing from the end of the chain (against the recorded head or a checkpoint) */
  truncated: boolean;
  /** an entry a checkpoint (or the recorded head) vouches for has been replaced */
  forked: boolean;
  /** the caller's pinned checkpoint, checked against the chain */
  pin: (PinnedCheckpoint & { status: 'consistent' | 'forked' | 'rolled_back' }) | null;
}

/** How many of the latest checkpoints `verify` checks; each vouches for everything before it. */
const CHECKPOINTS_CHECKED = 10;

export class ChainCheckpoints {
  private readonly repo;

  constructor(
    private readonly options: {
      service: string;
      dataSource: DataSource;
      events: ServiceEvents;
      key: AuditSigningKey;
    },
  ) {
    this.repo = options.dataSource.getRepository(ChainCheckpointEntity);
  }

  get key(): AuditSigningKey {
    return this.options.key;
  }

  view(row: ChainCheckpointEntity): CheckpointView {
    return {
      service: this.options.service,
      chain: row.chain,
      seq: row.seq,
      headHash: row.headHash,
      at: row.at.toISOString(),
      kid: row.kid,
      jws: row.jws,
    };
  }

  /**
   * Signs the chain's current head, stores the checkpoint and publishes it as
   * `samverkan.<service>.audit.checkpointed`. `onlyIfMoved`: the scheduled pass skips a head that
   * the latest checkpoint already covers.
   */
  async checkpoint(
    chain: string,
    target: EntityTarget<ChainLink & ObjectLiteral>,
    options: { onlyIfMoved?: boolean } = {},
  ): Promise<{ checkpoint: CheckpointView; created: boolean }> {
    const { service, events, key } = this.options;
    return events.transaction(async (tx) => {
      await lockChainHead(tx, tx.getRepository(target).metadata.tablePath);
      const head = await currentChainHead(tx, chain, target);
      const [latest] = await tx.find(ChainCheckpointEntity, {
        where: { chain },
        order: { seq: 'DESC', at: 'DESC' },
        take: 1,
      });
      if (options.onlyIfMoved && latest && latest.seq === head.seq) {
        return { checkpoint: this.view(latest), created: false };
      }
      const at = new Date();
      // Milliseconds as stored: the signed text must match what is read back.
      const fields = { service, chain, seq: head.seq, headHash: head.hash, at: at.toISOString() };
      const jws = await key.sign(checkpointPayload(fields));
      const row = tx.create(ChainCheckpointEntity, {
        id: randomUUID(),
        chain,
        seq: head.seq,
        headHash: head.hash,
        at,
        kid: key.kid,
        publicJwk: key.publicJwk as Record<string, unknown>,
        jws,
      });
      await tx.insert(ChainCheckpointEntity, row as never);
      const checkpoint = this.view(row);
      await events.outbox.append(tx, `samverkan.${service}.audit.checkpointed`, {
        ...checkpoint,
      });
      return { checkpoint, created: true };
    });
  }

  async list(
    chain: string,
    query: { before?: number; limit: number },
    manager?: EntityManager,
  ): Promise<ChainCheckpointEntity[]> {
    const qb = (manager ? manager.getRepository(ChainCheckpointEntity) : this.repo)
      .createQueryBuilder('c')
      .where('c.chain = :chain', { chain })
      .orderBy('c.seq', 'DESC')
      .addOrderBy('c.at', 'DESC')
      .take(query.limit);
    if (query.before !== undefined) {
      qb.andWhere('c.seq < :before', { before: query.before });
    }
    return qb.getMany();
  }

  /**
   * Checks a chain walk (`base`) against the recorded head, the latest checkpoints (their
   * signatures, then the chain's entries at their sequence numbers) and, if given, a checkpoint
   * the caller pinned earlier.
   */
  async check(
    chain: string,
    target: EntityTarget<ChainLink & ObjectLiteral>,
    base: ChainVerification,
    pin?: PinnedCheckpoint,
    /** the transaction the chain was walked in, so that the head read matches the walk */
    manager?: EntityManager,
  ): Promise<CheckedChainVerification> {
    const dataSource = manager ?? this.options.dataSource.manager;
    const links = dataSource.getRepository(target);
    const hashAt = async (seq: number): Promise<string | null> => {
      if (seq === 0) {
        return GENESIS_HASH;
      }
      const row = await links.findOne({ where: { seq } as never, select: { hash: true } as never });
      return row?.hash ?? null;
    };
    const result: CheckedChainVerification = {
      ...base,
      recordedHead: null,
      latestCheckpoint: null,
      checkpointsChecked: 0,
      truncated: false,
      forked: false,
      pin: null,
    };
    const verifiedHead = base.headSeq ?? 0;
    const fail = (firstInvalidSeq: number | null, reason: string) => {
      if (result.valid) {
        result.valid = false;
        result.firstInvalidSeq = firstInvalidSeq;
        result.reason = reason;
      }
    };
    /** A statement "entry `seq` has hash `hash`", checked against the chain. */
    const vouch = async (seq: number, hash: string, by: string) => {
      if (seq > verifiedHead) {
        if (base.valid) {
          result.truncated = true;
          fail(
            verifiedHead + 1,
            `entries ${verifiedHead + 1} to ${seq} were cut off the end of the log (${by} has ${seq})`,
          );
        }
        return;
      }
      if ((await hashAt(seq)) !== hash) {
        result.forked = true;
        fail(
          seq,
          `entry ${seq} is not the one ${by} vouches for: the log was forked or rolled back`,
        );
      }
    };

    const recorded = await dataSource.getRepository(ChainHeadEntity).findOne({ where: { chain } });
    if (recorded) {
      result.recordedHead = { seq: recorded.seq, hash: recorded.hash };
      await vouch(recorded.seq, recorded.hash, 'the recorded head');
    }

    const checkpoints = await this.list(chain, { limit: CHECKPOINTS_CHECKED }, manager);
    for (const cp of checkpoints) {
      result.checkpointsChecked += 1;
      const signed = await openCheckpointJws(cp.jws, cp.publicJwk as JWK);
      const view = this.view(cp);
      if (signed !== checkpointPayload(view)) {
        fail(cp.seq, `the checkpoint at entry ${cp.seq} (${view.at}) has no valid signature`);
        continue;
      }
      result.latestCheckpoint ??= view;
      await vouch(cp.seq, cp.headHash, `the checkpoint of ${view.at}`);
    }

    if (pin) {
      let status: 'consistent' | 'forked' | 'rolled_back' = 'consistent';
      if (pin.seq > verifiedHead) {
        status = 'rolled_back';
        fail(
          verifiedHead + 1,
          `the log ends at entry ${verifiedHead}, before the pinned checkpoint at ${pin.seq}: it was cut off or rolled back`,
        );
        result.truncated = true;
      } else if ((await hashAt(pin.seq)) !== pin.headHash) {
        status = 'forked';
        result.forked = true;
        fail(pin.seq, `entry ${pin.seq} is not the one the pinned checkpoint vouches for`);
      }
      result.pin = { ...pin, status };
    }
    return result;
  }
}

/** A page of checkpoints, newest first, with the public key that signs new ones. */
export function checkpointPage(
  checkpoints: ChainCheckpoints,
  rows: ChainCheckpointEntity[],
  limit: number,
) {
  const keys = new Map<string, Record<string, unknown>>();
  keys.set(checkpoints.key.kid, checkpoints.key.publicJwk as Record<string, unknown>);
  for (const row of rows) {
    if (!keys.has(row.kid)) {
      keys.set(row.kid, { ...row.publicJwk, kid: row.kid });
    }
  }
  return {
    currentKid: checkpoints.key.kid,
    keys: [...keys.values()],
    items: rows.map((row) => checkpoints.view(row)),
    nextBefore: rows.length === limit ? rows[rows.length - 1]!.seq : null,
  };
}
