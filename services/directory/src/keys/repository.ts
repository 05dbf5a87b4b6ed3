import { chainHash, nextChainLink, recordChainHead } from '@samverkan/shared';
import { MoreThan, type DataSource, type EntityManager } from 'typeorm';
import { keyLogContent } from '../domain/key-log';
import type { KeyLogDraft } from '../domain/key-changes';
import {
  KeyLogEntryEntity,
  OrganisationEntity,
  RootKeyEntity,
  UnitEntity,
  UnitKeyEntity,
} from '../entities';
import { rootKeyView, unitKeyView } from '../services/views';

/** Postgres renders a timestamptz inside JSON as text (microseconds, an offset): as a Date. */
const date = (value: string | null): Date | null => (value === null ? null : new Date(value));

/** A root key as json_build_object renders its row: the entity, its times as text. */
type RootKeyJson = Omit<RootKeyEntity, 'organisation' | 'registeredAt' | 'revokedAt'> & {
  registeredAt: string;
  revokedAt: string | null;
};

/** A unit key as json_build_object renders its row: the entity, its times as text. */
type UnitKeyJson = Omit<UnitKeyEntity, 'unit' | 'publishedAt' | 'retiredAt' | 'revokedAt'> & {
  publishedAt: string;
  retiredAt: string | null;
  revokedAt: string | null;
};

/** The key log's name among the directory schema's hash chains (checkpoints, recorded head). */
export const KEY_LOG_CHAIN = 'key_log';

/**
 * The key reads every sender makes before sealing an envelope (`GET /v1/keys`), in one statement:
 * the asked-for units that exist (with their organisation), each with its organisation's active
 * root keys and its own active keys, oldest first, as the API shows them.
 */
export function createKeysRepository(dataSource: DataSource) {
  const db = dataSource.manager;
  const units = dataSource.getMetadata(UnitEntity).tablePath;
  const organisations = dataSource.getMetadata(OrganisationEntity).tablePath;
  const rootKeys = dataSource.getMetadata(RootKeyEntity).tablePath;
  const unitKeys = dataSource.getMetadata(UnitKeyEntity).tablePath;

  const statement = `
    SELECT u.id AS "unitId", u.organisation_id AS "organisationId",
      coalesce((SELECT json_agg(json_build_object(
          'kid', r.kid, 'organisationId', r.organisation_id, 'jwk', r.jwk, 'status', r.status,
          'registeredAt', r.registered_at, 'registeredBy', r.registered_by,
          'registeredByIssuer', r.registered_by_issuer, 'revokedAt', r.revoked_at,
          'revocationReason', r.revocation_reason) ORDER BY r.registered_at)
        FROM ${rootKeys} r WHERE r.organisation_id = u.organisation_id AND r.status = 'active'),
        '[]') AS "rootKeys",
      coalesce((SELECT json_agg(json_build_object(
          'kid', k.kid, 'unitId', k.unit_id, 'organisationId', k.organisation_id, 'use', k.use,
          'alg', k.alg, 'jwk', k.jwk, 'signed', k.signed, 'rootKid', k.root_kid,
          'status', k.status, 'publishedAt', k.published_at, 'retiredAt', k.retired_at,
          'revokedAt', k.revoked_at, 'revocationReason', k.revocation_reason)
          ORDER BY k.published_at)
        FROM ${unitKeys} k WHERE k.unit_id = u.id AND k.status = 'active'), '[]') AS keys
    FROM unnest($1::uuid[]) WITH ORDINALITY AS w(id, n)
    JOIN ${units} u ON u.id = w.id
    JOIN ${organisations} o ON o.id = u.organisation_id
    ORDER BY w.n`;

  return {
    /** The active keys of each unit asked for that exists, in the order asked (ids unique, lower case). */
    async activeKeys(unitIds: string[]) {
      const rows = (await dataSource.query(statement, [unitIds])) as Array<{
        unitId: string;
        organisationId: string;
        rootKeys: RootKeyJson[];
        keys: UnitKeyJson[];
      }>;
      return rows.map((row) => ({
        unitId: row.unitId,
        organisationId: row.organisationId,
        rootKeys: row.rootKeys.map((r) =>
          rootKeyView({
            ...r,
            registeredAt: new Date(r.registeredAt),
            revokedAt: date(r.revokedAt),
          }),
        ),
        keys: row.keys.map((k) =>
          unitKeyView({
            ...k,
            publishedAt: new Date(k.publishedAt),
            retiredAt: date(k.retiredAt),
            revokedAt: date(k.revokedAt),
          }),
        ),
      }));
    },

    rootKey(kid: string): Promise<RootKeyEntity | null> {
      return db.findOneBy(RootKeyEntity, { kid });
    },

    /** An organisation's root keys, newest first (openapi/directory.yaml, listRootKeys). */
    rootKeysOf(organisationId: string): Promise<RootKeyEntity[]> {
      return db.find(RootKeyEntity, {
        where: { organisationId },
        order: { registeredAt: 'DESC', kid: 'ASC' },
      });
    },

    unitKeyExists(kid: string): Promise<boolean> {
      return db.exists(UnitKeyEntity, { where: { kid } });
    },

    /** A unit's keys, newest first (openapi/directory.yaml, listUnitKeys). */
    unitKeysOf(unitId: string, status?: UnitKeyEntity['status']): Promise<UnitKeyEntity[]> {
      return db.find(UnitKeyEntity, {
        where: { unitId, ...(status ? { status } : {}) },
        order: { publishedAt: 'DESC', kid: 'ASC' },
      });
    },

    /** A page of the key log after `after`, in order. */
    keyLogPage(after: number, limit: number, manager: EntityManager = db) {
      return manager.find(KeyLogEntryEntity, {
        where: { seq: MoreThan(after) },
        order: { seq: 'ASC' },
        take: limit,
      });
    },

    // --- inside a write's transaction ---------------------------------------------------------

    lockRootKey(tx: EntityManager, organisationId: string, kid: string) {
      return tx.findOne(RootKeyEntity, {
        where: { kid, organisationId },
        lock: { mode: 'pessimistic_write' },
      });
    },

    lockUnitKey(tx: EntityManager, unitId: string, kid: string) {
      return tx.findOne(UnitKeyEntity, {
        where: { kid, unitId },
        lock: { mode: 'pessimistic_write' },
      });
    },

    async insertRootKey(tx: EntityManager, row: RootKeyEntity): Promise<void> {
      await tx.insert(RootKeyEntity, row);
    },

    async saveRootKey(tx: EntityManager, row: RootKeyEntity): Promise<void> {
      await tx.save(RootKeyEntity, row);
    },

    async insertUnitKey(tx: EntityManager, row: UnitKeyEntity): Promise<void> {
      await tx.insert(UnitKeyEntity, row);
    },

    async saveUnitKey(tx: EntityManager, row: UnitKeyEntity): Promise<void> {
      await tx.save(UnitKeyEntity, row);
    },

    /** The unit's active keys, by kid as the database sorts them (key events carry them). */
    activeKeysOf(tx: EntityManager, unitId: string): Promise<UnitKeyEntity[]> {
      return tx.find(UnitKeyEntity, { where: { unitId, status: 'active' }, order: { kid: 'ASC' } });
    },

    /**
     * Links a key-log entry into the chain in the change's own transaction (docs/audit.md, "The
     * key log"): under the chain's lock — its own, not the audit chain's, so only key changes
     * queue here — the next number and the previous hash, the entry, the new recorded head.
     */
    async appendKeyLog(
      tx: EntityManager,
      entry: KeyLogDraft,
      at: Date,
    ): Promise<KeyLogEntryEntity> {
      const link = await nextChainLink(tx, KEY_LOG_CHAIN, KeyLogEntryEntity);
      const row = { ...entry, seq: link.seq, at, prevHash: link.prevHash, hash: '' };
      row.hash = chainHash(row.prevHash, keyLogContent(row));
      await tx.insert(KeyLogEntryEntity, row as never);
      await recordChainHead(tx, KEY_LOG_CHAIN, { seq: row.seq, hash: row.hash });
      return row;
    },
  };
}

export type KeysRepository = ReturnType<typeof createKeysRepository>;
