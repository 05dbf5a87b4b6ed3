import { AsyncResource } from 'node:async_hooks';
import type { FastifyBaseLogger } from 'fastify';
import type { DataSource, EntityManager } from 'typeorm';
import { AuditEntryEntity } from '../entities/platform.entities';
import { currentChainHead, recordChainHead } from './chain-checkpoints';
import { chainHash } from './hash-chain';

/**
 * The audit chain off the request path (docs/audit.md, "Unchained entries and the chainer").
 *
 * A request writes its audit entry, unchained, into `audit_pending` in its own transaction: one
 * INSERT, no lock, so audited writes, denials and envelope reads no longer queue behind each other.
 * Right after commit a chainer links the pending entries into the hash chain, oldest first: under
 * the chain's advisory lock (the same lock checkpoints take) it moves a batch from `audit_pending`
 * into `audit_log` with the next sequence numbers and hashes and records the new head, all in one
 * transaction. Every replica runs a chainer; the lock elects the one that works at a time (the
 * others skip that pass), so a chainer that dies — its transaction rolled back, its lock released
 * with its connection — leaves the entries pending for the next one. Nothing is lost and nothing
 * is chained twice, because the move is one transaction.
 */

/** An entry as a request writes it, before it has a number and hashes. */
export interface PendingAuditEntry {
  id: string;
  /** ISO 8601 with milliseconds */
  at: string;
  actorSub: string;
  actorOrg: string | null;
  actorIssuer: string | null;
  action: string;
  objectType: string;
  objectId: string | null;
  objectOrg: string | null;
  outcome: 'allowed' | 'denied';
  detail: Record<string, unknown>;
  partyOrgs: string[];
}

/** What a chain link's hash covers (docs/audit.md, "Entries and their hash chain"). */
export function auditContentOf(e: {
  seq: number;
  id: string;
  at: Date | string;
  actorSub: string;
  actorOrg: string | null;
  actorIssuer: string | null;
  action: string;
  objectType: string;
  objectId: string | null;
  objectOrg: string | null;
  outcome: string;
  detail: Record<string, unknown>;
  partyOrgs: string[];
}): Record<string, unknown> {
  return {
    seq: e.seq,
    id: e.id,
    at: typeof e.at === 'string' ? new Date(e.at).toISOString() : e.at.toISOString(),
    actorSub: e.actorSub,
    actorOrg: e.actorOrg,
    actorIssuer: e.actorIssuer,
    action: e.action,
    objectType: e.objectType,
    objectId: e.objectId,
    objectOrg: e.objectOrg,
    outcome: e.outcome,
    detail: e.detail,
    // Only when there are parties, so entries written before parties were recorded still verify.
    ...(e.partyOrgs.length > 0 ? { partyOrgs: e.partyOrgs } : {}),
  };
}

export interface AuditChainerOptions {
  /** the chain's name among the schema's chains (chain_heads) */
  chain: string;
  /** how often a chainer looks for entries other replicas wrote (its own writes wake it at once) */
  pollIntervalMs: number;
  /** at most this many entries per transaction */
  batchSize?: number;
  log?: FastifyBaseLogger;
}

export interface PendingStats {
  pending: number;
  oldestPendingAgeMs: number | null;
}

export class AuditChainer {
  readonly pendingTable: string;
  private readonly logTable: string;
  private readonly lockKey: string;
  private readonly batchSize: number;
  private timer: NodeJS.Timeout | undefined;
  /**
   * Runs in the context this was made in (start-up), not in that of the request that poked it:
   * passes are not part of a request (its trace, its statement count).
   */
  private readonly detached = AsyncResource.bind((fn: () => void) => fn());
  private stopped = true;
  private running: Promise<void> | undefined;
  private again = false;
  lastError: string | null = null;

  constructor(
    private readonly dataSource: DataSource,
    private readonly options: AuditChainerOptions,
  ) {
    const metadata = dataSource.getMetadata(AuditEntryEntity);
    this.logTable = metadata.tablePath;
    // The same key as lockChainHead(audit_log): chaining and checkpoints exclude each other.
    this.lockKey = metadata.tablePath;
    this.pendingTable = `${metadata.schema ? `${metadata.schema}.` : ''}audit_pending`;
    this.batchSize = options.batchSize ?? 500;
  }

  /** Writes one unchained entry in the caller's transaction (or on its own). One statement. */
  async write(entry: PendingAuditEntry, manager?: EntityManager): Promise<void> {
    await (manager ?? this.dataSource.manager).query(
      `INSERT INTO ${this.pendingTable} (entry) VALUES ($1)`,
      [entry],
    );
  }

  start(): void {
    if (!this.stopped) {
      return;
    }
    this.stopped = false;
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** Asks for a pass now, e.g. right after a transaction that wrote entries committed. */
  poke(): void {
    if (this.stopped) {
      return;
    }
    if (this.running) {
      this.again = true;
      return;
    }
    this.schedule(0);
  }

  private schedule(delayMs: number): void {
    if (this.stopped) {
      return;
    }
    clearTimeout(this.timer);
    this.detached(() => {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.running = this.loop().finally(() => {
          this.running = undefined;
          this.schedule(this.again ? 0 : this.options.pollIntervalMs);
          this.again = false;
        });
      }, delayMs);
      this.timer.unref();
    });
  }

  private async loop(): Promise<void> {
    try {
      for (;;) {
        this.again = false;
        const n = await this.pass({ wait: false });
        if (n === null || (n < this.batchSize && !this.again) || this.stopped) {
          return;
        }
      }
    } catch (err) {
      this.lastError = (err as Error).message;
      this.options.log?.warn({ err }, 'audit chainer pass failed; will retry');
    }
  }

  /**
   * Chains everything pending now, waiting for the chain's lock if another chainer holds it; for
   * readers of the log (so that they see every entry written before they asked), checkpoints,
   * shutdown and tests. Returns how many entries it linked.
   */
  async chainAll(): Promise<number> {
    let total = 0;
    for (;;) {
      const n = (await this.pass({ wait: true })) ?? 0;
      total += n;
      if (n < this.batchSize) {
        return total;
      }
    }
  }

  /**
   * One batch in one transaction. `wait: false` skips the pass (null) when another chainer holds
   * the lock: it is chaining already.
   */
  async pass(options: { wait: boolean }): Promise<number | null> {
    if (!options.wait) {
      // An idle poll is one cheap statement, not a transaction.
      const [any] = (await this.dataSource.query(
        `SELECT EXISTS (SELECT 1 FROM ${this.pendingTable}) AS pending`,
      )) as Array<{ pending: boolean }>;
      if (!any?.pending) {
        return 0;
      }
    }
    return this.dataSource.transaction(async (tx) => {
      if (options.wait) {
        await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [this.lockKey]);
      } else {
        const [row] = (await tx.query('SELECT pg_try_advisory_xact_lock(hashtext($1)) AS got', [
          this.lockKey,
        ])) as Array<{ got: boolean }>;
        if (!row?.got) {
          return null;
        }
      }
      const taken = (await tx.query(
        `DELETE FROM ${this.pendingTable} WHERE position IN (
           SELECT position FROM ${this.pendingTable} ORDER BY position LIMIT $1)
         RETURNING position, entry`,
        [this.batchSize],
      )) as [Array<{ position: string; entry: PendingAuditEntry }>, number];
      const rows = (Array.isArray(taken[0]) ? taken[0] : taken) as Array<{
        position: string;
        entry: PendingAuditEntry;
      }>;
      if (rows.length === 0) {
        return 0;
      }
      rows.sort((a, b) => Number(a.position) - Number(b.position));
      const head = await currentChainHead(tx, this.options.chain, AuditEntryEntity);
      let seq = head.seq;
      let prevHash = head.hash;
      const linked = rows.map(({ entry }) => {
        seq += 1;
        const at = new Date(entry.at).toISOString();
        const link = { ...entry, at, seq, partyOrgs: entry.partyOrgs ?? [] };
        const hash = chainHash(prevHash, auditContentOf(link));
        const row = {
          seq,
          id: entry.id,
          at,
          actor_sub: entry.actorSub,
          actor_org: entry.actorOrg,
          actor_issuer: entry.actorIssuer,
          action: entry.action,
          object_type: entry.objectType,
          object_id: entry.objectId,
          object_org: entry.objectOrg,
          outcome: entry.outcome,
          detail: entry.detail,
          party_orgs: link.partyOrgs,
          prev_hash: prevHash,
          hash,
        };
        prevHash = hash;
        return row;
      });
      await tx.query(
        `INSERT INTO ${this.logTable} (seq, id, at, actor_sub, actor_org, actor_issuer, action,
           object_type, object_id, object_org, outcome, detail, party_orgs, prev_hash, hash)
         SELECT seq, id, at, actor_sub, actor_org, actor_issuer, action, object_type, object_id,
                object_org, outcome, detail, party_orgs, prev_hash, hash
           FROM jsonb_populate_recordset(NULL::${this.logTable}, $1::jsonb)`,
        [JSON.stringify(linked)],
      );
      await recordChainHead(tx, this.options.chain, { seq, hash: prevHash });
      return rows.length;
    });
  }

  /** How many entries wait to be chained, and for how long the oldest has waited. */
  async stats(manager?: EntityManager): Promise<PendingStats> {
    const [row] = (await (manager ?? this.dataSource.manager).query(
      `SELECT count(*)::int AS pending,
              extract(epoch FROM (now() - min((entry->>'at')::timestamptz))) * 1000 AS age
         FROM ${this.pendingTable}`,
    )) as Array<{ pending: number; age: number | string | null }>;
    return {
      pending: row?.pending ?? 0,
      oldestPendingAgeMs:
        row?.age === null || row?.age === undefined
          ? null
          : Math.max(0, Math.round(Number(row.age))),
    };
  }
}
