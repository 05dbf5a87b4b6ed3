import { type EventConsumerDefinition, type EventEnvelope, type Person } from '@samverkan/shared';
import type { EntityManager } from 'typeorm';
import { DirectoryMemberEntity, DirectoryShiftEntity, DirectoryUnitEntity } from '../entities';

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
          const table = tx.getRepository(DirectoryUnitEntity).metadata.tablePath;
          await tx.query(
            `INSERT INTO ${table} AS t (unit_id, organisation_id, organisation_kind, status, on_call_unit_id, coverage, event_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)
             ON CONFLICT (unit_id) DO UPDATE SET organisation_id = EXCLUDED.organisation_id,
               organisation_kind = EXCLUDED.organisation_kind, status = EXCLUDED.status,
               on_call_unit_id = EXCLUDED.on_call_unit_id, coverage = EXCLUDED.coverage,
               event_at = EXCLUDED.event_at
             WHERE t.event_at <= EXCLUDED.event_at`,
            [
              d.unitId,
              d.organisationId,
              d.organisationKind,
              d.status,
              d.onCallUnitId,
              d.coverage,
              event.time,
            ],
          );
          break;
        }
        case 'samverkan.directory.unit.member_added':
        case 'samverkan.directory.unit.member_removed': {
          const d = event.data as unknown as MemberEventData;
          const table = tx.getRepository(DirectoryMemberEntity).metadata.tablePath;
          await tx.query(
            `INSERT INTO ${table} AS t (unit_id, user_id, roles, active, event_at)
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
          if (event.type === 'samverkan.directory.unit.member_removed') {
            const [unit] = (await tx.query(
              `SELECT organisation_id FROM ${tx.getRepository(DirectoryUnitEntity).metadata.tablePath} WHERE unit_id = $1`,
              [d.unitId],
            )) as Array<{ organisation_id: string }>;
            if (unit) {
              const person = { organisationId: unit.organisation_id, userId: d.userId };
              await hooks.memberRemoved?.(tx, person);
              removed.set(event.id, [person]);
            }
          }
          break;
        }
        case 'samverkan.directory.unit.shift_created':
        case 'samverkan.directory.unit.shift_deleted': {
          const d = event.data as unknown as ShiftEventData;
          const table = tx.getRepository(DirectoryShiftEntity).metadata.tablePath;
          // A shift is created once and deleted once: a deletion wins whatever the order.
          await tx.query(
            `INSERT INTO ${table} AS t (shift_id, unit_id, user_id, starts_at, ends_at, deleted)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (shift_id) DO UPDATE SET deleted = t.deleted OR EXCLUDED.deleted`,
            [
              d.shiftId,
              d.unitId,
              d.userId,
              d.startsAt,
              d.endsAt,
              event.type === 'samverkan.directory.unit.shift_deleted',
            ],
          );
          break;
        }
        default:
          // key rotations are of no interest here
          break;
      }
    },
  };
}

/** A person found through a unit: the unit's organisation and the member's subject. */
export interface Recipient {
  organisationId: string;
  userId: string;
  /** the unit through which the person is a recipient (for escalations: the on-call unit) */
  unitId: string | null;
}

const recipientOf = (r: { user_id: string; unit_id: string; organisation_id: string }) => ({
  organisationId: r.organisation_id,
  userId: r.user_id,
  unitId: r.unit_id,
});

/** A unit the read model has not heard of yet: the event is retried until it has. */
export class UnknownUnitError extends Error {
  constructor(readonly unitIds: string[]) {
    super(`units not in the directory read model yet: ${unitIds.join(', ')}`);
    this.name = 'UnknownUnitError';
  }
}

/**
 * Who is who, from the read model. Every query takes the transaction's manager: on the embedded
 * PGlite a query on another connection while a transaction is open would wait for ever.
 */
export function createDirectoryReadModel() {
  const schemaOf = (tx: EntityManager) => tx.getRepository(DirectoryUnitEntity).metadata.schema!;
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
        const rows = await tx
          .getRepository(DirectoryUnitEntity)
          .findBy(unread.map((unitId) => ({ unitId })));
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
      const rows = (await tx.query(
        `SELECT DISTINCT ON (u.organisation_id, m.user_id) m.user_id, m.unit_id, u.organisation_id
           FROM "${schemaOf(tx)}".directory_members m
           JOIN "${schemaOf(tx)}".directory_units u ON u.unit_id = m.unit_id
          WHERE m.active AND m.unit_id = ANY($1::uuid[]) AND ($2::text[] IS NULL OR m.roles && $2::text[])
          ORDER BY u.organisation_id, m.user_id, array_position($1::uuid[], m.unit_id)`,
        [unitIds, roles ?? null],
      )) as Array<{ user_id: string; unit_id: string; organisation_id: string }>;
      const found = rows.map(recipientOf);
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
        const rows = (await tx.query(
          `SELECT DISTINCT s.user_id, s.unit_id, u.organisation_id
             FROM "${schemaOf(tx)}".directory_shifts s
             JOIN "${schemaOf(tx)}".directory_units u ON u.unit_id = s.unit_id
            WHERE s.unit_id = $1 AND NOT s.deleted AND s.starts_at <= $2 AND s.ends_at > $2
            ORDER BY s.user_id`,
          [unitId, now],
        )) as Array<{ user_id: string; unit_id: string; organisation_id: string }>;
        out.push(...(rows.length > 0 ? rows.map(recipientOf) : await this.members(tx, [unitId])));
      }
      return out;
    },

    /** Active regional-coordinator units covering a municipality. */
    async coordinatorUnits(tx: EntityManager, municipalityCode: string): Promise<string[]> {
      const rows = (await tx.query(
        `SELECT unit_id FROM "${schemaOf(tx)}".directory_units
          WHERE organisation_kind = 'regional_coordinator' AND status = 'active' AND $1 = ANY(coverage)
          ORDER BY unit_id`,
        [municipalityCode],
      )) as Array<{ unit_id: string }>;
      return rows.map((r) => r.unit_id);
    },

    /** Members with role `org_admin` of any unit of the organisation. */
    async organisationAdmins(tx: EntityManager, organisationId: string): Promise<Recipient[]> {
      const rows = (await tx.query(
        `SELECT DISTINCT ON (m.user_id) m.user_id, m.unit_id, u.organisation_id
           FROM "${schemaOf(tx)}".directory_members m
           JOIN "${schemaOf(tx)}".directory_units u ON u.unit_id = m.unit_id
          WHERE m.active AND u.organisation_id = $1 AND 'org_admin' = ANY(m.roles)
          ORDER BY m.user_id, m.unit_id`,
        [organisationId],
      )) as Array<{ user_id: string; unit_id: string; organisation_id: string }>;
      return rows.map(recipientOf);
    },
  };
}

export type DirectoryReadModel = ReturnType<typeof createDirectoryReadModel>;
