import type { Principal } from '@samverkan/shared';
import { DirectoryProblems as P } from '../domain/errors';
import {
  decidePublishUnitKey,
  decideRegisterRootKey,
  decideRevokeRootKey,
  decideUnitKeyChange,
  keyRotatedEvent,
  type UnitKeyAction,
} from '../domain/key-changes';
import { normalisePublicJwk, verifySignedUnitKey } from '../domain/unit-keys';
import { KeyLogEntryEntity } from '../entities';
import type { DirectoryContext } from '../services/context';
import type { OrganisationsService } from '../services/organisations.service';
import type { UnitsService } from '../services/units.service';
import { rootKeyView, unitKeyView } from '../services/views';
import { keyAccess } from './access';
import { KEY_LOG_CHAIN, type KeysRepository } from './repository';

/**
 * The writes on root keys and unit keys, each authorize (access.ts) → load → decide
 * (domain/key-changes.ts, pure) → persist (repository.ts) with its key-log entry, outbox rows
 * and audit entry in one transaction (`ctx.pipeline.transact`).
 */
export function createKeyCommands(
  ctx: DirectoryContext,
  organisations: OrganisationsService,
  units: UnitsService,
  repo: KeysRepository,
) {
  async function unitKeyChange(
    principal: Principal,
    unitId: string,
    kid: string,
    action: UnitKeyAction,
    reason?: string,
  ) {
    const unit = await units.find(unitId);
    const target = {
      action: `unit.${action}`,
      objectType: 'unit_key',
      objectId: kid,
      objectOrg: unit.organisationId,
    };
    if (!keyAccess.mayManageUnitKeys(principal, unit)) {
      await ctx.pipeline.deny(principal, target);
    }
    return ctx.pipeline.transact(principal, target, async (tx) => {
      const { row, log } = decideUnitKeyChange({
        unitId,
        kid,
        locked: await repo.lockUnitKey(tx, unitId, kid),
        action,
        reason,
        actor: principal,
        now: new Date(),
      });
      await repo.saveUnitKey(tx, row);
      await repo.appendKeyLog(tx, log, new Date());
      return {
        result: unitKeyView(row),
        events: [keyRotatedEvent(row, row.status, await repo.activeKeysOf(tx, unitId))],
      };
    });
  }

  return {
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
      if (!keyAccess.mayManageRootKeys(principal)) {
        await ctx.pipeline.deny(principal, target, 'Only a hub administrator registers root keys');
      }
      const jwk = await normalisePublicJwk(input.jwk, 'sig', P.rootKeyMalformed);
      const decision = decideRegisterRootKey({
        organisationId,
        jwk,
        fingerprint: input.fingerprint,
        exists: input.fingerprint === jwk.kid && (await repo.rootKey(jwk.kid)) !== null,
        actor: principal,
        now: new Date(),
      });
      return ctx.pipeline.transact(principal, { ...target, objectId: jwk.kid }, async (tx) => {
        await repo.insertRootKey(tx, decision.row);
        await repo.appendKeyLog(tx, decision.log, new Date());
        return { result: rootKeyView(decision.row), events: [decision.event] };
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
      if (!keyAccess.mayManageRootKeys(principal)) {
        await ctx.pipeline.deny(principal, target, 'Only a hub administrator revokes root keys');
      }
      return ctx.pipeline.transact(principal, target, async (tx) => {
        const decision = decideRevokeRootKey({
          organisationId,
          kid,
          locked: await repo.lockRootKey(tx, organisationId, kid),
          reason,
          actor: principal,
          now: new Date(),
        });
        await repo.saveRootKey(tx, decision.row);
        await repo.appendKeyLog(tx, decision.log, new Date());
        return { result: rootKeyView(decision.row), events: [decision.event] };
      });
    },

    async publishUnitKey(principal: Principal, unitId: string, signed: string) {
      const unit = await units.find(unitId);
      const target = {
        action: 'unit.key_publish',
        objectType: 'unit_key',
        objectId: null,
        objectOrg: unit.organisationId,
      };
      if (!keyAccess.mayManageUnitKeys(principal, unit)) {
        await ctx.pipeline.deny(principal, target);
      }
      const verified = await verifySignedUnitKey(
        signed,
        unit,
        async (kid) => (await repo.rootKey(kid)) ?? undefined,
      );
      const { row, log } = decidePublishUnitKey({
        unit,
        verified,
        signed,
        exists: await repo.unitKeyExists(verified.jwk.kid),
        actor: principal,
        now: new Date(),
      });
      return ctx.pipeline.transact(principal, { ...target, objectId: row.kid }, async (tx) => {
        await repo.insertUnitKey(tx, row);
        await repo.appendKeyLog(tx, log, new Date());
        return {
          result: unitKeyView(row),
          events: [keyRotatedEvent(row, 'published', await repo.activeKeysOf(tx, unitId))],
        };
      });
    },

    /** Retired keys are no longer used for new envelopes but stay readable for old ones. */
    retireUnitKey(principal: Principal, unitId: string, kid: string) {
      return unitKeyChange(principal, unitId, kid, 'key_retired');
    },

    revokeUnitKey(principal: Principal, unitId: string, kid: string, reason: string) {
      return unitKeyChange(principal, unitId, kid, 'key_revoked', reason);
    },

    /** A checkpoint on demand: hub administrators and auditors only; a refusal is audited. */
    async checkpointKeyLogFor(principal: Principal) {
      if (!keyAccess.mayCheckpointKeyLog(principal)) {
        await ctx.pipeline.deny(
          principal,
          { action: 'key_log.checkpoint', objectType: 'key_log', objectOrg: principal.org },
          'Only hub administrators and auditors sign key-log checkpoints on demand',
        );
      }
      return ctx.audit.checkpoints.checkpoint(KEY_LOG_CHAIN, KeyLogEntryEntity, {});
    },
  };
}
