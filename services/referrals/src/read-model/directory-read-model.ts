import {
  actingUnitsFromReadModel,
  CASE_HANDLING_ROLES,
  type EventConsumerDefinition,
  type EventEnvelope,
  type Principal,
} from '@samverkan/shared';
import type { DataSource, EntityManager } from 'typeorm';
import { DirectoryMemberEntity, DirectoryUnitEntity } from '../entities';

interface UnitEventData {
  unitId: string;
  organisationId: string;
  organisationKind: string;
  status: 'active' | 'inactive';
  onCallUnitId: string | null;
  coverage: string[];
  /** absent on events from before audit units */
  purpose?: 'service' | 'audit';
}

interface MemberEventData {
  unitId: string;
  userId: string;
  roles: string[];
}

interface KeyEventData {
  unitId: string;
  organisationId: string;
  activeEncryptionKids: string[];
}

/**
 * Keeps `directory_units` in step with the directory's events. Each event carries the whole
 * state it concerns (not a delta) and its time: applying it again changes nothing, and an older
 * event arriving after a newer one (redelivery) is ignored.
 */
export function directoryReadModelConsumer(): EventConsumerDefinition {
  return {
    name: 'referrals-directory-read-model',
    filter: 'samverkan.directory.unit.>',
    async handle(event: EventEnvelope, tx: EntityManager) {
      const table = tx.getRepository(DirectoryUnitEntity).metadata.tablePath;
      if (
        event.type === 'samverkan.directory.unit.created' ||
        event.type === 'samverkan.directory.unit.updated'
      ) {
        const d = event.data as unknown as UnitEventData;
        await tx.query(
          `INSERT INTO ${table} AS t (unit_id, organisation_id, organisation_kind, status, on_call_unit_id, coverage, unit_event_at, purpose)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
           ON CONFLICT (unit_id) DO UPDATE SET organisation_id = EXCLUDED.organisation_id,
             organisation_kind = EXCLUDED.organisation_kind, status = EXCLUDED.status,
             on_call_unit_id = EXCLUDED.on_call_unit_id, coverage = EXCLUDED.coverage,
             unit_event_at = EXCLUDED.unit_event_at, purpose = EXCLUDED.purpose
           WHERE t.unit_event_at IS NULL OR t.unit_event_at <= EXCLUDED.unit_event_at`,
          [
            d.unitId,
            d.organisationId,
            d.organisationKind,
            d.status,
            d.onCallUnitId,
            d.coverage,
            event.time,
            d.purpose ?? 'service',
          ],
        );
      } else if (
        event.type === 'samverkan.directory.unit.member_added' ||
        event.type === 'samverkan.directory.unit.member_removed'
      ) {
        const d = event.data as unknown as MemberEventData;
        const members = tx.getRepository(DirectoryMemberEntity).metadata.tablePath;
        await tx.query(
          `INSERT INTO ${members} AS t (unit_id, user_id, roles, active, event_at)
           VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (unit_id, user_id) DO UPDATE SET roles = EXCLUDED.roles,
             active = EXCLUDED.active, event_at = EXCLUDED.event_at
           WHERE t.event_at <= EXCLUDED.event_at`,
          [
            d.unitId,
            d.userId,
            d.roles,
            event.type === 'samverkan.directory.unit.member_added',
            event.time,
          ],
        );
      } else if (event.type === 'samverkan.directory.unit.key_rotated') {
        const d = event.data as unknown as KeyEventData;
        // A key event may come before its unit's: the row starts inactive until the unit event.
        await tx.query(
          `INSERT INTO ${table} AS t (unit_id, organisation_id, organisation_kind, status, active_encryption_kids, keys_event_at)
           VALUES ($1, $2, 'unknown', 'inactive', $3, $4)
           ON CONFLICT (unit_id) DO UPDATE SET active_encryption_kids = EXCLUDED.active_encryption_kids,
             keys_event_at = EXCLUDED.keys_event_at
           WHERE t.keys_event_at IS NULL OR t.keys_event_at <= EXCLUDED.keys_event_at`,
          [d.unitId, d.organisationId, d.activeEncryptionKids, event.time],
        );
      }
    },
  };
}

/**
 * Reads of the read model. Inside a transaction pass its manager: on the embedded PGlite a query
 * on another connection while a transaction is open would wait for that transaction for ever.
 */
export function createDirectoryReadModel(dataSource: DataSource) {
  const repoOf = (manager?: EntityManager) =>
    (manager ?? dataSource.manager).getRepository(DirectoryUnitEntity);
  return {
    /** Active regional-coordinator units covering a municipality: level-2 escalation targets. */
    async coordinatorUnits(municipalityCode: string, manager?: EntityManager): Promise<string[]> {
      const rows = await repoOf(manager)
        .createQueryBuilder('u')
        .where(
          "u.organisation_kind = 'regional_coordinator' AND u.status = 'active' AND :m = ANY(u.coverage)",
          {
            m: municipalityCode,
          },
        )
        .orderBy('u.unit_id')
        .getMany();
      return rows.map((r) => r.unitId);
    },

    /**
     * The one place this service answers "is this person acting for this unit": the token's
     * units that the person acts for now. The token must carry a case-handling role (an analyst
     * sees aggregates and an auditor the audit log, never a referral, an operation or an
     * envelope, whatever units a token lists — docs/architecture.md#identity-and-access), and
     * each unit counts by the platform's rule (`actingUnitsOf`, shared/src/auth/acting-units.ts):
     * claimed by the token, in the token's organisation, and the directory lists the subject as a
     * member with a case-handling role. A removed member loses the unit as soon as the
     * directory's event arrives.
     */
    async actingUnits(principal: Principal, manager?: EntityManager): Promise<string[]> {
      if (!principal.roles.some((role) => CASE_HANDLING_ROLES.includes(role))) {
        return [];
      }
      const repo = repoOf(manager);
      return actingUnitsFromReadModel(repo.manager, repo.metadata.schema!, principal);
    },

    /** Whether the user is, as far as the directory's events tell, a member of the unit now. */
    async isMember(unitId: string, userId: string, manager?: EntityManager): Promise<boolean> {
      return (manager ?? dataSource.manager)
        .getRepository(DirectoryMemberEntity)
        .existsBy({ unitId, userId, active: true });
    },

    /** The active audit units of an organisation (what a justification it sends is sealed for). */
    async auditUnits(
      organisationId: string,
      manager?: EntityManager,
    ): Promise<DirectoryUnitEntity[]> {
      return repoOf(manager).findBy({ organisationId, purpose: 'audit', status: 'active' });
    },

    async units(ids: string[], manager?: EntityManager): Promise<Map<string, DirectoryUnitEntity>> {
      const unique = [...new Set(ids)];
      const rows = unique.length
        ? await repoOf(manager).findBy(unique.map((unitId) => ({ unitId })))
        : [];
      return new Map(rows.map((r) => [r.unitId, r]));
    },
  };
}

export type DirectoryReadModel = ReturnType<typeof createDirectoryReadModel>;
