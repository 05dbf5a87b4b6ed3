import { randomUUID } from 'node:crypto';
import { MoreThan, type DataSource, type EntityManager } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
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
}

export interface AuditQuery {
  after?: number;
  limit: number;
  outcome?: 'allowed' | 'denied';
  action?: string;
  /** restrict to entries whose actor or object belongs to this organisation */
  organisationId?: string;
}

function contentOf(e: AuditEntryEntity): Record<string, unknown> {
  return {
    seq: e.seq,
    id: e.id,
    at: e.at.toISOString(),
    actorSub: e.actorSub,
    actorOrg: e.actorOrg,
    actorIssuer: e.actorIssuer,
    action: e.action,
    objectType: e.objectType,
    objectId: e.objectId,
    objectOrg: e.objectOrg,
    outcome: e.outcome,
    detail: e.detail,
  };
}

export class AuditLog {
  constructor(
    private readonly dataSource: DataSource,
    /** signs and checks checkpoints of the chain */
    readonly checkpoints: ChainCheckpoints,
  ) {}

  /**
   * Appends in the caller's transaction (so the entry exists exactly when the change does), or in
   * its own when none is given (denied attempts).
   */
  async append(record: AuditRecord, manager?: EntityManager): Promise<AuditEntryEntity> {
    if (!manager) {
      return this.dataSource.transaction((tx) => this.append(record, tx));
    }
    const repo = manager.getRepository(AuditEntryEntity);
    // The next number follows the recorded head, never the last row that happens to be left.
    const link = await nextChainLink(manager, AUDIT_CHAIN, AuditEntryEntity);
    const entry = repo.create({
      seq: link.seq,
      id: randomUUID(),
      at: new Date(),
      actorSub: record.actor.sub,
      actorOrg: record.actor.org ?? null,
      actorIssuer: record.actor.iss ?? null,
      action: record.action,
      objectType: record.objectType,
      objectId: record.objectId ?? null,
      objectOrg: record.objectOrg ?? null,
      outcome: record.outcome,
      detail: record.detail ?? {},
      prevHash: link.prevHash,
    });
    entry.hash = chainHash(entry.prevHash, contentOf(entry));
    await repo.insert(entry as QueryDeepPartialEntity<AuditEntryEntity>);
    await recordChainHead(manager, AUDIT_CHAIN, { seq: entry.seq, hash: entry.hash });
    return entry;
  }

  async list(query: AuditQuery): Promise<AuditEntryEntity[]> {
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
      qb.andWhere('(a.actor_org = :org OR a.object_org = :org)', { org: query.organisationId });
    }
    return qb.getMany();
  }

  /**
   * Walks the whole chain, then checks it against the recorded head, the latest signed
   * checkpoints and the caller's pinned checkpoint, if any: an edited, inserted or deleted row, a
   * cut-off tail, a replaced tail and a rollback all make it invalid.
   */
  async verify(pin?: PinnedCheckpoint): Promise<CheckedChainVerification> {
    const repo = this.dataSource.getRepository(AuditEntryEntity);
    const base = await verifyChain(
      (after, limit) =>
        repo.find({ where: { seq: MoreThan(after) }, order: { seq: 'ASC' }, take: limit }),
      contentOf,
    );
    return this.checkpoints.check(AUDIT_CHAIN, AuditEntryEntity, base, pin);
  }

  /** Signs and publishes the current head (see ChainCheckpoints.checkpoint). */
  checkpoint(options: { onlyIfMoved?: boolean } = {}) {
    return this.checkpoints.checkpoint(AUDIT_CHAIN, AuditEntryEntity, options);
  }
}

export function auditEntryView(e: AuditEntryEntity) {
  return { ...contentOf(e), prevHash: e.prevHash, hash: e.hash };
}
