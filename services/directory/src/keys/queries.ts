import { checkpointPage, verifyChain, type PinnedCheckpoint } from '@samverkan/shared';
import { keyLogContent } from '../domain/key-log';
import { KeyLogEntryEntity } from '../entities';
import type { DirectoryContext } from '../services/context';
import type { OrganisationsService } from '../services/organisations.service';
import type { UnitsService } from '../services/units.service';
import { keyLogView, rootKeyView, unitKeyView } from '../services/views';
import { KEY_LOG_CHAIN, type KeysRepository } from './repository';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The reads of keys and of the key log (any signed-in caller), and its checks. */
export function createKeyQueries(
  ctx: DirectoryContext,
  organisations: OrganisationsService,
  units: UnitsService,
  repo: KeysRepository,
) {
  return {
    async listRootKeys(organisationId: string) {
      await organisations.find(organisationId);
      return { items: (await repo.rootKeysOf(organisationId)).map(rootKeyView) };
    },

    async listUnitKeys(unitId: string, status?: 'active' | 'retired' | 'revoked') {
      await units.find(unitId);
      return { items: (await repo.unitKeysOf(unitId, status)).map(unitKeyView) };
    },

    /** The active keys of several units, with their organisations' active root keys. */
    async activeKeys(unitIds: string[]) {
      // An id that is no UUID names no unit (the pattern in the contract lets some through).
      const wanted = [...new Set(unitIds.map((u) => u.toLowerCase()))].filter((u) => UUID.test(u));
      return { units: await repo.activeKeys(wanted) };
    },

    async keyLog(after: number, limit: number) {
      const rows = await repo.keyLogPage(after, limit);
      return {
        items: rows.map(keyLogView),
        nextAfter: rows.length === limit ? rows[rows.length - 1]!.seq : null,
      };
    },

    /** The whole key log's chain, checked against its recorded head, checkpoints and a pin. */
    async verifyKeyLog(pin?: PinnedCheckpoint) {
      const base = await verifyChain(
        (after, limit) => repo.keyLogPage(after, limit),
        keyLogContent,
      );
      return ctx.audit.checkpoints.check(KEY_LOG_CHAIN, KeyLogEntryEntity, base, pin);
    },

    checkpointKeyLog(options: { onlyIfMoved?: boolean } = {}) {
      return ctx.audit.checkpoints.checkpoint(KEY_LOG_CHAIN, KeyLogEntryEntity, options);
    },

    async keyLogCheckpoints(before: number | undefined, limit: number) {
      const rows = await ctx.audit.checkpoints.list(KEY_LOG_CHAIN, { before, limit });
      return checkpointPage(ctx.audit.checkpoints, rows, limit);
    },
  };
}
