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
    // Only when there are parties, so entries written before parties were recorded still verify.
    ...(e.partyOrgs.length > 0 ? { partyOrgs: e.partyOrgs } : {}),
  };
}

export class AuditLog {
  private partyResolver: AuditPartyResolver | undefined;

  constructor(
    private readonly dataSource: DataSource,
    /** signs and checks checkpoints of the chain */
    readonly checkpoints: ChainCheckpoints,
  ) {}

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
    return [...new Set(orgs.filter((o) => typeof o === 'string' && o.length > 0))].sort();
  }

  /**
   * Appends in the caller's transaction (so the entry exists exactly when the change does), or in
   * its own when none is given (denied attempts).
   */
  async append(record: AuditRecord, manager?: EntityManager): Promise<AuditEntryEntity> {
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
      actorSub: record.actor.sub,
      actorOrg: record.actor.org ?? null,
      actorIssuer: record.actor.iss ?? null,
      action: record.action,
      objectType: record.objectType,
      objectId: record.objectId ?? null,
      objectOrg: record.objectOrg ?? null,
      outcome: record.outcome,
      detail: record.detail ?? {},
      partyOrgs,
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
  return { ...contentOf(e), partyOrgs: e.partyOrgs, prevHash: e.prevHash, hash: e.hash };
}
