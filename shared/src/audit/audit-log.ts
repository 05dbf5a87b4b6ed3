import { randomUUID } from 'node:crypto';
import { MoreThan, type DataSource, type EntityManager } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import type { FastifyBaseLogger } from 'fastify';
import type { Principal } from '../auth/principal';
import { AuditEntryEntity } from '../entities/platform.entities';
import {
  nextChainLink,
  recordChainHead,
  type ChainCheckpoints,
  type CheckedChainVerification,
  type PinnedCheckpoint,
} from './chain-checkpoints';
import { chainHash, verifyChain } from './hash-chain';
import { AuditChainer, auditContentOf, type PendingAuditEntry } from './audit-chainer';

/** The audit log's name among a schema's hash chains (checkpoints, recorded heads). */
export const AUDIT_CHAIN = 'audit_log';

export interface AuditRecord {
  actor:
    | Pick<Principal, 'sub' | 'org' | 'iss'>
    | { sub: string; org?: string | null; iss?: string | null };
  action: string;
  objectType: string;
  objectId?: string | null;
  /** the organisation the object belongs to, so its auditors can see the entry */
  objectOrg?: string | null;
  outcome: 'allowed' | 'denied';
  /** never personal data: ids, codes, reasons */
  detail?: Record<string, unknown>;
  /** the organisations of the object's parties; found by the service's resolver when not given */
  partyOrgs?: string[];
}

/**
 * Finds the organisations of every party of an audited object (in the append's transaction when
 * there is one), so that each party's auditors see who touched it — also a refused attempt.
 */
export type AuditPartyResolver = (
  target: { objectType: string; objectId: string },
  manager: EntityManager,
) => Promise<string[]>;

export interface AuditQuery {
  after?: number;
  limit: number;
  outcome?: 'allowed' | 'denied';
  action?: string;
  /** restrict to entries whose actor, object or a party of the object is this organisation */
  organisationId?: string;
}

function contentOf(e: AuditEntryEntity): Record<string, unknown> {
  return auditContentOf(e);
}

/** What an entry keeps of the record it is made from (what is not given as null, or {}). */
function recordedFields(record: AuditRecord) {
  return {
    actorSub: record.actor.sub,
    actorOrg: record.actor.org ?? null,
    actorIssuer: record.actor.iss ?? null,
    action: record.action,
    objectType: record.objectType,
    objectId: record.objectId ?? null,
    objectOrg: record.objectOrg ?? null,
    outcome: record.outcome,
    detail: record.detail ?? {},
  };
}

/** Organisation ids, each once and sorted (anything not a non-empty string left out). */
function uniqueOrgs(orgs: string[]): string[] {
  return [...new Set(orgs.filter((o) => typeof o === 'string' && o.length > 0))].sort();
}

/** Verification of the chain, and how many entries wait to be chained. */
export interface AuditVerification extends CheckedChainVerification {
  /** entries written but not yet linked into the chain (normally 0 within a second); absent where requests chain their own */
  pending?: number;
  oldestPendingAgeMs?: number | null;
}

export interface AuditLogOptions {
  /**
   * Requests write entries unchained and a chainer links them right after commit (see
   * AuditChainer); needs the `audit_pending` table. Without it every append takes the chain's
   * lock in the request's own transaction.
   */
  deferredChain?: { pollIntervalMs: number; log?: FastifyBaseLogger };
}

export class AuditLog {
  private partyResolver: AuditPartyResolver | undefined;
  /** links unchained entries into the chain; undefined when appends chain in the request */
  readonly chainer: AuditChainer | undefined;

  constructor(
    private readonly dataSource: DataSource,
    /** signs and checks checkpoints of the chain */
    readonly checkpoints: ChainCheckpoints,
    options: AuditLogOptions = {},
  ) {
    this.chainer = options.deferredChain
      ? new AuditChainer(dataSource, {
          chain: AUDIT_CHAIN,
          pollIntervalMs: options.deferredChain.pollIntervalMs,
          log: options.deferredChain.log,
        })
      : undefined;
  }

  /** The unchained entry a record becomes (partyOrgs as given, sorted and unique). */
  static pendingEntry(record: AuditRecord, partyOrgs: string[]): PendingAuditEntry {
    return {
      id: randomUUID(),
      at: new Date().toISOString(),
      ...recordedFields(record),
      partyOrgs: uniqueOrgs(partyOrgs),
    };
  }

  /** Wakes the chainer after a transaction that wrote entries committed. */
  poke(): void {
    this.chainer?.poke();
  }

  /** Links every entry written so far into the chain (a no-op when appends chain themselves). */
  async chainPending(): Promise<number> {
    return this.chainer ? this.chainer.chainAll() : 0;
  }

  /** How this service finds the parties of its objects (referrals, operations, field requests). */
  resolvePartiesWith(resolver: AuditPartyResolver): void {
    this.partyResolver = resolver;
  }

  private async partiesOf(record: AuditRecord, manager: EntityManager): Promise<string[]> {
    let orgs = record.partyOrgs ?? [];
    if (!record.partyOrgs && this.partyResolver && record.objectId) {
      orgs = await this.partyResolver(
        { objectType: record.objectType, objectId: record.objectId },
        manager,
      );
    }
    return uniqueOrgs(orgs);
  }

  /**
   * Appends in the caller's transaction (so the entry exists exactly when the change does), or in
   * its own when none is given (denied attempts).
   */
  async append(record: AuditRecord, manager?: EntityManager): Promise<void> {
    if (this.chainer) {
      // Unchained: one INSERT, no lock; the chainer links it right after commit.
      const partyOrgs = await this.partiesOf(record, manager ?? this.dataSource.manager);
      await this.chainer.write(AuditLog.pendingEntry(record, partyOrgs), manager);
      if (!manager) {
        this.chainer.poke();
      }
      return;
    }
    if (!manager) {
      return this.dataSource.transaction((tx) => this.append(record, tx));
    }
    const repo = manager.getRepository(AuditEntryEntity);
    // Before the chain's lock: the lookup must not hold up every other append.
    const partyOrgs = await this.partiesOf(record, manager);
    // The next number follows the recorded head, never the last row that happens to be left.
    const link = await nextChainLink(manager, AUDIT_CHAIN, AuditEntryEntity);
    const entry = repo.create({
      seq: link.seq,
      id: randomUUID(),
      at: new Date(),
      ...recordedFields(record),
      partyOrgs,
      prevHash: link.prevHash,
    });
    entry.hash = chainHash(entry.prevHash, contentOf(entry));
    await repo.insert(entry as QueryDeepPartialEntity<AuditEntryEntity>);
    await recordChainHead(manager, AUDIT_CHAIN, { seq: entry.seq, hash: entry.hash });
  }

  /** Entries in chain order; entries written before the call are chained first. */
  async list(query: AuditQuery): Promise<AuditEntryEntity[]> {
    await this.chainPending();
    const qb = this.dataSource
      .getRepository(AuditEntryEntity)
      .createQueryBuilder('a')
      .where('a.seq > :after', { after: query.after ?? 0 })
      .orderBy('a.seq', 'ASC')
      .take(query.limit);
    if (query.outcome) {
      qb.andWhere('a.outcome = :outcome', { outcome: query.outcome });
    }
    if (query.action) {
      qb.andWhere('a.action = :action', { action: query.action });
    }
    if (query.organisationId) {
      qb.andWhere('(a.actor_org = :org OR a.object_org = :org OR :org = ANY(a.party_orgs))', {
        org: query.organisationId,
      });
    }
    return qb.getMany();
  }

  /**
   * Walks the whole chain, then checks it against the recorded head, the latest signed
   * checkpoints and the caller's pinned checkpoint, if any: an edited, inserted or deleted row, a
   * cut-off tail, a replaced tail and a rollback all make it invalid.
   */
  async verify(pin?: PinnedCheckpoint): Promise<AuditVerification> {
    // One snapshot: the walk, the recorded head and the pending entries as of the same moment,
    // so that entries the chainer links meanwhile do not look like a cut-off tail.
    return this.dataSource.transaction('REPEATABLE READ', async (tx) => {
      const repo = tx.getRepository(AuditEntryEntity);
      // Only where requests write unchained entries: elsewhere nothing can wait.
      const pending = this.chainer ? await this.chainer.stats(tx) : {};
      const base = await verifyChain(
        (after, limit) =>
          repo.find({ where: { seq: MoreThan(after) }, order: { seq: 'ASC' }, take: limit }),
        contentOf,
      );
      return {
        ...(await this.checkpoints.check(AUDIT_CHAIN, AuditEntryEntity, base, pin, tx)),
        ...pending,
      };
    });
  }

  /** Signs and publishes the current head (see ChainCheckpoints.checkpoint), entries written so far chained. */
  async checkpoint(options: { onlyIfMoved?: boolean } = {}) {
    await this.chainPending();
    return this.checkpoints.checkpoint(AUDIT_CHAIN, AuditEntryEntity, options);
  }
}

export function auditEntryView(e: AuditEntryEntity) {
  return { ...contentOf(e), partyOrgs: e.partyOrgs, prevHash: e.prevHash, hash: e.hash };
}
