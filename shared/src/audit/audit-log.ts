import { randomUUID } from 'node:crypto';
import { MoreThan, type DataSource, type EntityManager } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import type { Principal } from '../auth/principal';
import { AuditEntryEntity } from '../entities/platform.entities';
import { chainHash, GENESIS_HASH, verifyChain, type ChainVerification } from './hash-chain';

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

/**
 * Serialises appends to one hash chain: a transaction-scoped advisory lock keyed by the table,
 * then the head is read and the next link written in the same transaction.
 */
export async function lockChainHead(manager: EntityManager, table: string): Promise<void> {
  await manager.query('SELECT pg_advisory_xact_lock(hashtext($1))', [table]);
}

export class AuditLog {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * Appends in the caller's transaction (so the entry exists exactly when the change does), or in
   * its own when none is given (denied attempts).
   */
  async append(record: AuditRecord, manager?: EntityManager): Promise<AuditEntryEntity> {
    if (!manager) {
      return this.dataSource.transaction((tx) => this.append(record, tx));
    }
    const repo = manager.getRepository(AuditEntryEntity);
    await lockChainHead(manager, repo.metadata.tablePath);
    const head = await repo.find({ order: { seq: 'DESC' }, take: 1 });
    const prev = head[0];
    const entry = repo.create({
      seq: (prev?.seq ?? 0) + 1,
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
      prevHash: prev?.hash ?? GENESIS_HASH,
    });
    entry.hash = chainHash(entry.prevHash, contentOf(entry));
    await repo.insert(entry as QueryDeepPartialEntity<AuditEntryEntity>);
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

  verify(): Promise<ChainVerification> {
    const repo = this.dataSource.getRepository(AuditEntryEntity);
    return verifyChain(
      (after, limit) =>
        repo.find({ where: { seq: MoreThan(after) }, order: { seq: 'ASC' }, take: limit }),
      contentOf,
    );
  }
}

export function auditEntryView(e: AuditEntryEntity) {
  return { ...contentOf(e), prevHash: e.prevHash, hash: e.hash };
}
