import { type EventConsumerDefinition, type EventEnvelope, type Person } from '@samverkan/shared';
import type { EntityManager } from 'typeorm';
import type { DirectoryUnitEntity } from '../entities';
import {
  activeMembers,
  coordinatorUnitsCovering,
  onShift,
  organisationAdmins,
  organisationOfUnit,
  unitsByIds,
  upsertMember,
  upsertShift,
  upsertUnit,
  type Recipient,
} from './repository';

interface UnitEventData {
  unitId: string;
  organisationId: string;
  organisationKind: string;
  status: 'active' | 'inactive';
  onCallUnitId: string | null;
  coverage: string[];
}

interface MemberEventData {
  unitId: string;
  userId: string;
  roles: string[];
}

interface ShiftEventData {
  unitId: string;
  shiftId: string;
  userId: string;
  startsAt: string;
  endsAt: string;
}

/**
 * Keeps the directory read model (units, members, shifts) in step with the directory's events.
 * Each event carries the whole state it concerns and its time: applying it again changes
 * nothing, and an older event arriving after a newer one (redelivery) is ignored.
 */
export function directoryReadModelConsumer(
  hooks: {
    /**
     * A member left a unit (in the event's transaction): their inbox and open streams stop
     * showing the unit's notifications, and are woken to say so.
     */
    memberRemoved?: (tx: EntityManager, person: Person) => Promise<void>;
    /** after that transaction committed */
    committed?: (people: Person[]) => void;
  } = {},
): EventConsumerDefinition {
  const removed = new Map<string, Person[]>();
  return {
    onCommitted(event) {
      const people = removed.get(event.id);
      removed.delete(event.id);
      if (people) {
        hooks.committed?.(people);
      }
    },
    name: 'notifications-directory-read-model',
    filter: 'samverkan.directory.unit.>',
    async handle(event: EventEnvelope, tx: EntityManager) {
      removed.delete(event.id);
      switch (event.type) {
        case 'samverkan.directory.unit.created':
        case 'samverkan.directory.unit.updated': {
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
            },
            event.time,
          );
          break;
        }
        case 'samverkan.directory.unit.member_added':
        case 'samverkan.directory.unit.member_removed': {
          const d = event.data as unknown as MemberEventData;
          const active = event.type === 'samverkan.directory.unit.member_added';
          await upsertMember(
            tx,
            { unitId: d.unitId, userId: d.userId, roles: d.roles, active },
            event.time,
          );
          if (!active) {
            const organisationId = await organisationOfUnit(tx, d.unitId);
            if (organisationId) {
              const person = { organisationId, userId: d.userId };
              await hooks.memberRemoved?.(tx, person);
              removed.set(event.id, [person]);
            }
          }
          break;
        }
        case 'samverkan.directory.unit.shift_created':
        case 'samverkan.directory.unit.shift_deleted': {
          const d = event.data as unknown as ShiftEventData;
          await upsertShift(tx, {
            shiftId: d.shiftId,
            unitId: d.unitId,
            userId: d.userId,
            startsAt: d.startsAt,
            endsAt: d.endsAt,
            deleted: event.type === 'samverkan.directory.unit.shift_deleted',
          });
          break;
        }
        default:
          // key rotations are of no interest here
          break;
      }
    },
  };
}

export type { Recipient };

/** A unit the read model has not heard of yet: the event is retried until it has. */
export class UnknownUnitError extends Error {
  constructor(readonly unitIds: string[]) {
    super(`units not in the directory read model yet: ${unitIds.join(', ')}`);
    this.name = 'UnknownUnitError';
  }
}

/**
 * Who is who, from the read model (every statement in repository.ts). Every query takes the
 * transaction's manager: on the embedded PGlite a query on another connection while a transaction
 * is open would wait for ever.
 */
export function createDirectoryReadModel() {
  /**
   * Units and members already read in an open transaction. A consumer batch handles many events
   * for the same few units in one transaction and sees the read model as of its first read (a
   * directory change made meanwhile, by the directory consumer's own transactions, reaches the
   * next batch), rather than reading it again for every event.
   */
  const seen = new WeakMap<
    EntityManager,
    { units: Map<string, DirectoryUnitEntity | null>; members: Map<string, Recipient[]> }
  >();
  const seenIn = (tx: EntityManager) => {
    let mine = seen.get(tx);
    if (!mine) {
      mine = { units: new Map(), members: new Map() };
      // (outside a transaction every statement sees the latest: nothing is kept)
      if (tx.queryRunner?.isTransactionActive) {
        seen.set(tx, mine);
      }
    }
    return mine;
  };
  return {
    async units(tx: EntityManager, ids: string[]): Promise<Map<string, DirectoryUnitEntity>> {
      const known = seenIn(tx).units;
      const unread = [...new Set(ids)].filter((id) => !known.has(id));
      if (unread.length > 0) {
        const rows = await unitsByIds(tx, unread);
        for (const id of unread) {
          known.set(id, rows.find((r) => r.unitId === id) ?? null);
        }
      }
      const out = new Map<string, DirectoryUnitEntity>();
      for (const id of new Set(ids)) {
        const unit = known.get(id);
        if (unit) {
          out.set(id, unit);
        }
      }
      return out;
    },

    /** Throws UnknownUnitError (so the event is retried) if any unit has not arrived yet. */
    async requireUnits(
      tx: EntityManager,
      ids: string[],
    ): Promise<Map<string, DirectoryUnitEntity>> {
      const units = await this.units(tx, ids);
      const missing = [...new Set(ids)].filter((id) => !units.has(id));
      if (missing.length > 0) {
        throw new UnknownUnitError(missing);
      }
      return units;
    },

    /**
     * Active members of the units — people: the unit's organisation and the subject — each with
     * the unit they were found in (first one wins).
     */
    async members(tx: EntityManager, unitIds: string[], roles?: string[]): Promise<Recipient[]> {
      if (unitIds.length === 0) {
        return [];
      }
      const known = seenIn(tx).members;
      const key = `${unitIds.join(',')} ${roles?.join(',') ?? '*'}`;
      const before = known.get(key);
      if (before) {
        return [...before];
      }
      const found = await activeMembers(tx, unitIds, roles);
      known.set(key, found);
      return [...found];
    },

    /** Members with one of the roles; all members of a unit where nobody has them. */
    async membersPreferringRoles(
      tx: EntityManager,
      unitIds: string[],
      roles: string[],
    ): Promise<Recipient[]> {
      const out: Recipient[] = [];
      for (const unitId of new Set(unitIds)) {
        const withRole = await this.members(tx, [unitId], roles);
        out.push(...(withRole.length > 0 ? withRole : await this.members(tx, [unitId])));
      }
      return out;
    },

    /**
     * Staff on duty now at each unit (a directory shift covering `now`); all members of a unit
     * where nobody is on duty, so that nothing goes unseen.
     */
    async onDuty(tx: EntityManager, unitIds: string[], now: Date): Promise<Recipient[]> {
      const out: Recipient[] = [];
      for (const unitId of new Set(unitIds)) {
        const staff = await onShift(tx, unitId, now);
        out.push(...(staff.length > 0 ? staff : await this.members(tx, [unitId])));
      }
      return out;
    },

    /** Active regional-coordinator units covering a municipality. */
    coordinatorUnits(tx: EntityManager, municipalityCode: string): Promise<string[]> {
      return coordinatorUnitsCovering(tx, municipalityCode);
    },

    /** Members with role `org_admin` of any unit of the organisation. */
    organisationAdmins(tx: EntityManager, organisationId: string): Promise<Recipient[]> {
      return organisationAdmins(tx, organisationId);
    },
  };
}

export type DirectoryReadModel = ReturnType<typeof createDirectoryReadModel>;
