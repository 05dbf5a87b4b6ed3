import {
  canAdministerOrganisation,
  chainHash,
  hasRole,
  checkpointPage,
  nextChainLink,
  ProblemError,
  recordChainHead,
  verifyChain,
  type PinnedCheckpoint,
  type Principal,
} from '@samverkan/shared';
import { MoreThan, type EntityManager } from 'typeorm';
import { KeyLogEntryEntity, RootKeyEntity, UnitKeyEntity } from '../entities';
import { DirectoryProblems as P } from '../domain/errors';
import { keyLogContent } from '../domain/key-log';
import { normalisePublicJwk, verifySignedUnitKey } from '../domain/unit-keys';
import { DirectoryEvents as E } from '../events/directory-events';
import type { DirectoryContext } from './context';
import type { OrganisationsService } from './organisations.service';
import type { UnitsService } from './units.service';
import { keyLogView, rootKeyView, unitKeyView } from './views';
import { createKeysRepository } from '../keys/keys.repository';

type KeyLogAction = KeyLogEntryEntity['action'];

/** The key log's name among the directory schema's hash chains (checkpoints, recorded head). */
export const KEY_LOG_CHAIN = 'key_log';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

async function appendKeyLog(
  tx: EntityManager,
  entry: Pick<
    KeyLogEntryEntity,
    'action' | 'organisationId' | 'unitId' | 'kid' | 'use' | 'document' | 'actor' | 'actorIssuer'
  >,
): Promise<void> {
  const repo = tx.getRepository(KeyLogEntryEntity);
  const link = await nextChainLink(tx, KEY_LOG_CHAIN, KeyLogEntryEntity);
  const row = repo.create({ ...entry, seq: link.seq, at: new Date(), prevHash: link.prevHash });
  row.hash = chainHash(row.prevHash, keyLogContent(row));
  await repo.insert(row as never);
  await recordChainHead(tx, KEY_LOG_CHAIN, { seq: row.seq, hash: row.hash });
}

export function createKeysService(
  ctx: DirectoryContext,
  organisations: OrganisationsService,
  units: UnitsService,
) {
  const rootKeys = ctx.dataSource.getRepository(RootKeyEntity);
  const unitKeys = ctx.dataSource.getRepository(UnitKeyEntity);
  const keyLog = ctx.dataSource.getRepository(KeyLogEntryEntity);
  const reads = createKeysRepository(ctx.dataSource);

  /** The active key ids after a change, as key events carry them. */
  async function activeKidsOf(tx: EntityManager, unitId: string) {
    const rows = await tx.find(UnitKeyEntity, {
      where: { unitId, status: 'active' },
      order: { kid: 'ASC' },
    });
    return {
      activeKids: rows.map((r) => r.kid),
      activeEncryptionKids: rows.filter((r) => r.use === 'enc').map((r) => r.kid),
      activeSigningKids: rows.filter((r) => r.use === 'sig').map((r) => r.kid),
    };
  }

  async function unitKeyChange(
    principal: Principal,
    unitId: string,
    kid: string,
    action: KeyLogAction,
    mutate: (key: UnitKeyEntity) => void,
    allowedFrom: Array<UnitKeyEntity['status']>,
  ) {
    const unit = await units.find(unitId);
    const target = {
      action: `unit.${action}`,
      objectType: 'unit_key',
      objectId: kid,
      objectOrg: unit.organisationId,
    };
    if (!canAdministerOrganisation(principal, unit.organisationId)) {
      await ctx.pipeline.deny(principal, target);
    }
    return ctx.pipeline.transact(principal, target, async (tx) => {
      const key = await tx.findOne(UnitKeyEntity, {
        where: { kid, unitId },
        lock: { mode: 'pessimistic_write' },
      });
      if (!key) {
        throw new ProblemError(P.keyNotFound, `Unit ${unitId} has no key ${kid}`);
      }
      if (!allowedFrom.includes(key.status)) {
        throw new ProblemError(P.keyStateConflict, `Key ${kid} is ${key.status}`);
      }
      mutate(key);
      await tx.save(UnitKeyEntity, key);
      await appendKeyLog(tx, {
        action,
        organisationId: key.organisationId,
        unitId,
        kid,
        use: key.use,
        document: { status: key.status, reason: key.revocationReason },
        actor: principal.sub,
        actorIssuer: principal.iss,
      });
      return {
        result: unitKeyView(key),
        events: [
          {
            type: E.keyRotated,
            data: {
              unitId,
              organisationId: key.organisationId,
              kid,
              use: key.use,
              change: key.status,
              ...(await activeKidsOf(tx, unitId)),
            },
          },
        ],
      };
    });
  }

  return {
    async listRootKeys(organisationId: string) {
      await organisations.find(organisationId);
      // Newest first, as the contract says (openapi/directory.yaml, listRootKeys).
      const rows = await rootKeys.find({
        where: { organisationId },
        order: { registeredAt: 'DESC', kid: 'ASC' },
      });
      return { items: rows.map(rootKeyView) };
    },

    /**
     * A hub administrator registers an organisation's root key after comparing its fingerprint
     * with the organisation out of band; the fingerprint sent must match the key.
     */
    async registerRootKey(
      principal: Principal,
      organisationId: string,
      input: { jwk: Record<string, unknown>; fingerprint: string },
    ) {
      await organisations.find(organisationId);
      const target = {
        action: 'organisation.root_key_register',
        objectType: 'root_key',
        objectId: null,
        objectOrg: organisationId,
      };
      if (!principal.hubAdmin) {
        await ctx.pipeline.deny(principal, target, 'Only a hub administrator registers root keys');
      }
      const jwk = await normalisePublicJwk(input.jwk, 'sig', P.rootKeyMalformed);
      if (input.fingerprint !== jwk.kid) {
        throw new ProblemError(
          P.rootKeyFingerprintMismatch,
          'Compare the fingerprint with the organisation again',
        );
      }
      if (await rootKeys.findOneBy({ kid: jwk.kid })) {
        throw new ProblemError(P.rootKeyExists);
      }
      return ctx.pipeline.transact(principal, { ...target, objectId: jwk.kid }, async (tx) => {
        const row = tx.create(RootKeyEntity, {
          kid: jwk.kid,
          organisationId,
          jwk: { ...jwk },
          status: 'active',
          registeredAt: new Date(),
          registeredBy: principal.sub,
          registeredByIssuer: principal.iss,
          revokedAt: null,
          revocationReason: null,
        });
        await tx.insert(RootKeyEntity, row);
        await appendKeyLog(tx, {
          action: 'root_key_registered',
          organisationId,
          unitId: null,
          kid: jwk.kid,
          // `use` is the unit key use; root key entries carry null (KeyLogEntry in the contract).
          use: null,
          document: { jwk: { ...jwk } },
          actor: principal.sub,
          actorIssuer: principal.iss,
        });
        return {
          result: rootKeyView(row),
          events: [
            {
              type: E.rootKeyRegistered,
              data: { organisationId, kid: jwk.kid, fingerprint: jwk.kid },
            },
          ],
        };
      });
    },

    async revokeRootKey(principal: Principal, organisationId: string, kid: string, reason: string) {
      await organisations.find(organisationId);
      const target = {
        action: 'organisation.root_key_revoke',
        objectType: 'root_key',
        objectId: kid,
        objectOrg: organisationId,
      };
      if (!principal.hubAdmin) {
        await ctx.pipeline.deny(principal, target, 'Only a hub administrator revokes root keys');
      }
      return ctx.pipeline.transact(principal, target, async (tx) => {
        const key = await tx.findOne(RootKeyEntity, {
          where: { kid, organisationId },
          lock: { mode: 'pessimistic_write' },
        });
        if (!key) {
          throw new ProblemError(
            P.rootKeyNotFound,
            `Organisation ${organisationId} has no root key ${kid}`,
          );
        }
        if (key.status === 'revoked') {
          throw new ProblemError(P.rootKeyRevoked);
        }
        key.status = 'revoked';
        key.revokedAt = new Date();
        key.revocationReason = reason;
        await tx.save(RootKeyEntity, key);
        await appendKeyLog(tx, {
          action: 'root_key_revoked',
          organisationId,
          unitId: null,
          kid,
          use: null,
          document: { reason },
          actor: principal.sub,
          actorIssuer: principal.iss,
        });
        return {
          result: rootKeyView(key),
          events: [{ type: E.rootKeyRevoked, data: { organisationId, kid, fingerprint: kid } }],
        };
      });
    },

    async listUnitKeys(unitId: string, status?: UnitKeyEntity['status']) {
      await units.find(unitId);
      // Newest first, as the contract says (openapi/directory.yaml, listUnitKeys).
      const rows = await unitKeys.find({
        where: { unitId, ...(status ? { status } : {}) },
        order: { publishedAt: 'DESC', kid: 'ASC' },
      });
      return { items: rows.map(unitKeyView) };
    },

    async publishUnitKey(principal: Principal, unitId: string, signed: string) {
      const unit = await units.find(unitId);
      const target = {
        action: 'unit.key_publish',
        objectType: 'unit_key',
        objectId: null,
        objectOrg: unit.organisationId,
      };
      if (!canAdministerOrganisation(principal, unit.organisationId)) {
        await ctx.pipeline.deny(principal, target);
      }
      const verified = await verifySignedUnitKey(
        signed,
        unit,
        async (kid) => (await rootKeys.findOneBy({ kid })) ?? undefined,
      );
      if (await unitKeys.findOneBy({ kid: verified.jwk.kid })) {
        throw new ProblemError(P.keyExists, `Key ${verified.jwk.kid} is already published`);
      }
      return ctx.pipeline.transact(
        principal,
        { ...target, objectId: verified.jwk.kid },
        async (tx) => {
          const row = tx.create(UnitKeyEntity, {
            kid: verified.jwk.kid,
            unitId,
            organisationId: unit.organisationId,
            use: verified.use,
            alg: verified.jwk.alg,
            jwk: { ...verified.jwk },
            signed,
            rootKid: verified.rootKid,
            status: 'active',
            publishedAt: new Date(),
            retiredAt: null,
            revokedAt: null,
            revocationReason: null,
          });
          await tx.insert(UnitKeyEntity, row);
          await appendKeyLog(tx, {
            action: 'key_published',
            organisationId: unit.organisationId,
            unitId,
            kid: row.kid,
            use: row.use,
            document: { signed },
            actor: principal.sub,
            actorIssuer: principal.iss,
          });
          return {
            result: unitKeyView(row),
            events: [
              {
                type: E.keyRotated,
                data: {
                  unitId,
                  organisationId: unit.organisationId,
                  kid: row.kid,
                  use: row.use,
                  change: 'published',
                  ...(await activeKidsOf(tx, unitId)),
                },
              },
            ],
          };
        },
      );
    },

    /** Retired keys are no longer used for new envelopes but stay readable for old ones. */
    retireUnitKey(principal: Principal, unitId: string, kid: string) {
      return unitKeyChange(
        principal,
        unitId,
        kid,
        'key_retired',
        (key) => {
          key.status = 'retired';
          key.retiredAt = new Date();
        },
        ['active'],
      );
    },

    revokeUnitKey(principal: Principal, unitId: string, kid: string, reason: string) {
      return unitKeyChange(
        principal,
        unitId,
        kid,
        'key_revoked',
        (key) => {
          key.status = 'revoked';
          key.revokedAt = new Date();
          key.revocationReason = reason;
        },
        ['active', 'retired'],
      );
    },

    /** The active keys of several units, with their organisations' active root keys. */
    async activeKeys(unitIds: string[]) {
      // An id that is no UUID names no unit (the pattern in the contract lets some through).
      const wanted = [...new Set(unitIds.map((u) => u.toLowerCase()))].filter((u) => UUID.test(u));
      return { units: await reads.activeKeys(wanted) };
    },

    async keyLog(after: number, limit: number) {
      const rows = await keyLog.find({
        where: { seq: MoreThan(after) },
        order: { seq: 'ASC' },
        take: limit,
      });
      return {
        items: rows.map(keyLogView),
        nextAfter: rows.length === limit ? rows[rows.length - 1]!.seq : null,
      };
    },

    /** The whole key log's chain, checked against its recorded head, checkpoints and a pin. */
    async verifyKeyLog(pin?: PinnedCheckpoint) {
      const base = await verifyChain(
        (after, limit) =>
          keyLog.find({ where: { seq: MoreThan(after) }, order: { seq: 'ASC' }, take: limit }),
        keyLogContent,
      );
      return ctx.audit.checkpoints.check(KEY_LOG_CHAIN, KeyLogEntryEntity, base, pin);
    },

    checkpointKeyLog(options: { onlyIfMoved?: boolean } = {}) {
      return ctx.audit.checkpoints.checkpoint(KEY_LOG_CHAIN, KeyLogEntryEntity, options);
    },

    /** A checkpoint on demand: hub administrators and auditors only; a refusal is audited. */
    async checkpointKeyLogFor(principal: Principal) {
      if (!principal.hubAdmin && !hasRole(principal, 'auditor')) {
        await ctx.pipeline.deny(
          principal,
          { action: 'key_log.checkpoint', objectType: 'key_log', objectOrg: principal.org },
          'Only hub administrators and auditors sign key-log checkpoints on demand',
        );
      }
      return ctx.audit.checkpoints.checkpoint(KEY_LOG_CHAIN, KeyLogEntryEntity, {});
    },

    async keyLogCheckpoints(before: number | undefined, limit: number) {
      const rows = await ctx.audit.checkpoints.list(KEY_LOG_CHAIN, { before, limit });
      return checkpointPage(ctx.audit.checkpoints, rows, limit);
    },
  };
}

export type KeysService = ReturnType<typeof createKeysService>;
