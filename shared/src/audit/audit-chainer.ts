import { AsyncResource } from 'node:async_hooks';
import type { FastifyBaseLogger } from 'fastify';
import type { DataSource, EntityManager } from 'typeorm';
import { poolQuery, poolTransaction } from '../db/data-source';
import { AuditEntryEntity, ChainHeadEntity } from '../entities/platform.entities';
import { chainHash, GENESIS_HASH } from './hash-chain';

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
  /**
   * a poke's pass runs within this many ms, with every entry written meanwhile (default 0: on
   * the next turn of the event loop; pokes while a pass runs are one pass right after it)
   */
  coalesceMs?: number;
  log?: FastifyBaseLogger;
}

export interface PendingStats {
  pending: number;
  oldestPendingAgeMs: number | null;
}

export class AuditChainer {
  readonly pendingTable: string;
  private readonly logTable: string;
  private readonly headsTable: string;
  /** the chain's lock key as an SQL literal (a table path: letters, digits, `_`, `.`, `"`) */
  private readonly lockLiteral: string;
  private readonly batchSize: number;
  private timer: NodeJS.Timeout | undefined;
  /**
   * Runs in the context this was made in (start-up), not in that of the request that poked it:
   * passes are not part of a request (its trace, its statement count).
   */
  private readonly detached = AsyncResource.bind((fn: () => void) => fn());
  private stopped = true;
  private running: Promise<void> | undefined;
  /** a write poked since the last pass began */
  private poked = false;
  /** the timer is the coalescing one (a pass within `coalesceMs`), not the idle poll's */
  private soon = false;
  private readonly coalesceMs: number;
  lastError: string | null = null;

  constructor(
    private readonly dataSource: DataSource,
    private readonly options: AuditChainerOptions,
  ) {
    const metadata = dataSource.getMetadata(AuditEntryEntity);
    this.logTable = metadata.tablePath;
    // The same key as lockChainHead(audit_log): chaining and checkpoints exclude each other.
    this.lockLiteral = `'${metadata.tablePath.replace(/'/g, "''")}'`;
    this.headsTable = dataSource.getMetadata(ChainHeadEntity).tablePath;
    this.pendingTable = `${metadata.schema ? `${metadata.schema}.` : ''}audit_pending`;
    this.batchSize = options.batchSize ?? 500;
    this.coalesceMs = options.coalesceMs ?? 0;
  }

  /** Writes one unchained entry in the caller's transaction (or on its own). One statement. */
  async write(entry: PendingAuditEntry, manager?: EntityManager): Promise<void> {
    const sql = `INSERT INTO ${this.pendingTable} (entry) VALUES ($1)`;
    if (manager) {
      await manager.query(sql, [entry]);
    } else {
      // On its own (a denied attempt): on the pool, without TypeORM's query runner.
      await poolQuery(this.dataSource, sql, [JSON.stringify(entry)], { prepare: true });
    }
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

  /**
   * Asks for a pass soon, e.g. right after a transaction that wrote entries committed: within
   * `coalesceMs`; every poke until then, and every poke while a pass runs, is served by one pass,
   * so the entries of a burst of writes are chained together (not a pass per write).
   */
  poke(): void {
    if (this.stopped) {
      return;
    }
    this.poked = true;
    if (this.running) {
      return;
    }
    if (!this.soon) {
      this.schedule(this.coalesceMs);
    }
  }

  private schedule(delayMs: number): void {
    if (this.stopped) {
      return;
    }
    clearTimeout(this.timer);
    this.soon = delayMs <= this.coalesceMs;
    this.detached(() => {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.soon = false;
        const known = this.poked;
        this.poked = false;
        this.running = this.loop(known).finally(() => {
          this.running = undefined;
          // Entries written while it ran: another pass soon; otherwise the next poll.
          this.schedule(this.poked ? this.coalesceMs : this.options.pollIntervalMs);
        });
      }, delayMs);
      this.timer.unref();
    });
  }

  private async loop(known: boolean): Promise<void> {
    try {
      for (;;) {
        const n = await this.pass({ wait: false, known });
        // A full batch: more are waiting.
        if (n === null || n < this.batchSize || this.stopped) {
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
   * One batch in one transaction, on a connection of the pg pool without TypeORM's query runner
   * (this runs after every burst of writes): BEGIN with the chain's lock, one statement that takes
   * the batch and reads the head, one that inserts the links and records the new head, COMMIT.
   * `wait: false` skips the pass (null) when another chainer holds the lock: it is chaining
   * already. `known`: the caller knows entries are pending (its own write poked it), so the
   * cheap check for an idle poll is skipped.
   */
  async pass(options: { wait: boolean; known?: boolean }): Promise<number | null> {
    if (!options.wait && !options.known) {
      // An idle poll is one cheap statement, not a transaction.
      const [any] = await poolQuery<{ pending: boolean }>(
        this.dataSource,
        `SELECT EXISTS (SELECT 1 FROM ${this.pendingTable}) AS pending`,
        [],
        { prepare: true },
      );
      if (!any?.pending) {
        return 0;
      }
    }
    return poolTransaction(
      this.dataSource,
      options.wait
        ? `SELECT pg_advisory_xact_lock(hashtext(${this.lockLiteral})), true AS got`
        : `SELECT pg_try_advisory_xact_lock(hashtext(${this.lockLiteral})) AS got`,
      async (query, [lock]) => {
        if (!lock?.got) {
          return null;
        }
        // The head is read after the lock is held (this statement's snapshot follows it): the
        // recorded head, or for a chain that has none recorded yet its last link.
        const rows = await query<{
          position: string;
          entry: PendingAuditEntry;
          head_seq: string | number | null;
          head_hash: string | null;
        }>(
          `WITH taken AS (
             DELETE FROM ${this.pendingTable} WHERE position IN (
               SELECT position FROM ${this.pendingTable} ORDER BY position LIMIT $1)
             RETURNING position, entry),
           head AS (
             SELECT seq, hash FROM ${this.headsTable} WHERE chain = $2
             UNION ALL
             (SELECT seq, hash FROM ${this.logTable}
               WHERE NOT EXISTS (SELECT 1 FROM ${this.headsTable} WHERE chain = $2)
               ORDER BY seq DESC LIMIT 1))
           SELECT t.position, t.entry, h.seq AS head_seq, h.hash AS head_hash
             FROM taken t LEFT JOIN (SELECT seq, hash FROM head LIMIT 1) h ON true`,
          [this.batchSize, this.options.chain],
        );
        if (rows.length === 0) {
          return 0;
        }
        rows.sort((a, b) => Number(a.position) - Number(b.position));
        let seq = rows[0]!.head_seq === null ? 0 : Number(rows[0]!.head_seq);
        let prevHash = rows[0]!.head_hash ?? GENESIS_HASH;
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
        // The links and the new head (as recordChainHead writes it) in one statement.
        await query(
          `WITH linked AS (
             INSERT INTO ${this.logTable} (seq, id, at, actor_sub, actor_org, actor_issuer, action,
               object_type, object_id, object_org, outcome, detail, party_orgs, prev_hash, hash)
             SELECT seq, id, at, actor_sub, actor_org, actor_issuer, action, object_type,
                    object_id, object_org, outcome, detail, party_orgs, prev_hash, hash
               FROM jsonb_populate_recordset(NULL::${this.logTable}, $1::jsonb)
             RETURNING 1)
           INSERT INTO ${this.headsTable} (chain, seq, hash, updated_at)
           VALUES ($2, $3, $4, now())
           ON CONFLICT (chain) DO UPDATE
             SET seq = EXCLUDED.seq, hash = EXCLUDED.hash, updated_at = now()`,
          [JSON.stringify(linked), this.options.chain, seq, prevHash],
        );
        return rows.length;
      },
    );
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
