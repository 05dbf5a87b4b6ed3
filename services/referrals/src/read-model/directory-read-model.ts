import {
  CASE_HANDLING_ROLES,
  type EventConsumerDefinition,
  type EventEnvelope,
  type Principal,
} from '@samverkan/shared';
import type { DataSource, EntityManager } from 'typeorm';
import type { DirectoryUnitEntity } from '../entities';
import {
  activeAuditUnits,
  actingUnitIds,
  coordinatorUnitIds,
  isActiveMember,
  unitsByIds,
  upsertMember,
  upsertUnit,
  upsertUnitKeys,
} from './repository';

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
      if (
        event.type === 'samverkan.directory.unit.created' ||
        event.type === 'samverkan.directory.unit.updated'
      ) {
        const d = event.data as unknown as UnitEventData;
        await upsertUnit(
          tx,
          {
            unitId: d.unitId,
            organisationId: d.organisationId,
            organisationKind: d.organisationKind,
            status: d.status,
            onCallUnitId: d.onCallUnitId,
            coverage: d.coverage,
            purpose: d.purpose ?? 'service',
          },
          event.time,
        );
      } else if (
        event.type === 'samverkan.directory.unit.member_added' ||
        event.type === 'samverkan.directory.unit.member_removed'
      ) {
        const d = event.data as unknown as MemberEventData;
        await upsertMember(
          tx,
          {
            unitId: d.unitId,
            userId: d.userId,
            roles: d.roles,
            active: event.type === 'samverkan.directory.unit.member_added',
          },
          event.time,
        );
      } else if (event.type === 'samverkan.directory.unit.key_rotated') {
        const d = event.data as unknown as KeyEventData;
        await upsertUnitKeys(tx, d, event.time);
      }
    },
  };
}

/**
 * Reads of the read model. Inside a transaction pass its manager: on the embedded PGlite a query
 * on another connection while a transaction is open would wait for that transaction for ever.
 */
export function createDirectoryReadModel(dataSource: DataSource) {
  const db = (manager?: EntityManager) => manager ?? dataSource.manager;
  return {
    /** Active regional-coordinator units covering a municipality: level-2 escalation targets. */
    async coordinatorUnits(municipalityCode: string, manager?: EntityManager): Promise<string[]> {
      return coordinatorUnitIds(db(manager), municipalityCode);
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
      return actingUnitIds(manager ?? dataSource, principal);
    },

    /** Whether the user is, as far as the directory's events tell, a member of the unit now. */
    async isMember(unitId: string, userId: string, manager?: EntityManager): Promise<boolean> {
      return isActiveMember(db(manager), unitId, userId);
    },

    /** The active audit units of an organisation (what a justification it sends is sealed for). */
    async auditUnits(
      organisationId: string,
      manager?: EntityManager,
    ): Promise<DirectoryUnitEntity[]> {
      return activeAuditUnits(db(manager), organisationId);
    },

    async units(ids: string[], manager?: EntityManager): Promise<Map<string, DirectoryUnitEntity>> {
      const rows = await unitsByIds(db(manager), [...new Set(ids)]);
      return new Map(rows.map((r) => [r.unitId, r]));
    },
  };
}

export type DirectoryReadModel = ReturnType<typeof createDirectoryReadModel>;
