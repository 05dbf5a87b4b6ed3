import type { EntityManager } from 'typeorm';
import { DirectoryMemberEntity, DirectoryShiftEntity, DirectoryUnitEntity } from '../entities';

/**
 * Every statement on the directory read model (`directory_units`, `directory_members`,
 * `directory_shifts`), kept in step with the entities and migrations by test/migrations.test.ts.
 * Each takes the transaction's manager: on the embedded PGlite a query on another connection
 * while a transaction is open would wait for ever.
 */

/** A person found through a unit: the unit's organisation and the member's subject. */
export interface Recipient {
  organisationId: string;
  userId: string;
  /** the unit through which the person is a recipient (for escalations: the on-call unit) */
  unitId: string | null;
}

type RecipientRow = { user_id: string; unit_id: string; organisation_id: string };
const recipientOf = (r: RecipientRow): Recipient => ({
  organisationId: r.organisation_id,
  userId: r.user_id,
  unitId: r.unit_id,
});

const tables = (tx: EntityManager) => ({
  units: tx.getRepository(DirectoryUnitEntity).metadata.tablePath,
  members: tx.getRepository(DirectoryMemberEntity).metadata.tablePath,
  shifts: tx.getRepository(DirectoryShiftEntity).metadata.tablePath,
});

// --- fed by the directory's events: an older event than the row's is ignored ---------------

export async function upsertUnit(
  tx: EntityManager,
  unit: Omit<DirectoryUnitEntity, 'eventAt'>,
  eventAt: string,
): Promise<void> {
  await tx.query(
    `INSERT INTO ${tables(tx).units} AS t (unit_id, organisation_id, organisation_kind, status, on_call_unit_id, coverage, event_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7)
     ON CONFLICT (unit_id) DO UPDATE SET organisation_id = EXCLUDED.organisation_id,
       organisation_kind = EXCLUDED.organisation_kind, status = EXCLUDED.status,
       on_call_unit_id = EXCLUDED.on_call_unit_id, coverage = EXCLUDED.coverage,
       event_at = EXCLUDED.event_at
     WHERE t.event_at <= EXCLUDED.event_at`,
    [
      unit.unitId,
      unit.organisationId,
      unit.organisationKind,
      unit.status,
      unit.onCallUnitId,
      unit.coverage,
      eventAt,
    ],
  );
}

export async function upsertMember(
  tx: EntityManager,
  member: Omit<DirectoryMemberEntity, 'eventAt'>,
  eventAt: string,
): Promise<void> {
  await tx.query(
    `INSERT INTO ${tables(tx).members} AS t (unit_id, user_id, roles, active, event_at)
     VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (unit_id, user_id) DO UPDATE SET roles = EXCLUDED.roles,
       active = EXCLUDED.active, event_at = EXCLUDED.event_at
     WHERE t.event_at <= EXCLUDED.event_at`,
    [member.unitId, member.userId, member.roles, member.active, eventAt],
  );
}

/** A shift is created once and deleted once: a deletion wins whatever the order. */
export async function upsertShift(
  tx: EntityManager,
  shift: Omit<DirectoryShiftEntity, 'startsAt' | 'endsAt'> & { startsAt: string; endsAt: string },
): Promise<void> {
  await tx.query(
    `INSERT INTO ${tables(tx).shifts} AS t (shift_id, unit_id, user_id, starts_at, ends_at, deleted)
     VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (shift_id) DO UPDATE SET deleted = t.deleted OR EXCLUDED.deleted`,
    [shift.shiftId, shift.unitId, shift.userId, shift.startsAt, shift.endsAt, shift.deleted],
  );
}

// --- who is who ---------------------------------------------------------------------------

/** The organisation of a unit, if the read model has it. */
export async function organisationOfUnit(
  tx: EntityManager,
  unitId: string,
): Promise<string | undefined> {
  const [unit] = (await tx.query(
    `SELECT organisation_id FROM ${tables(tx).units} WHERE unit_id = $1`,
    [unitId],
  )) as Array<{ organisation_id: string }>;
  return unit?.organisation_id;
}

export function unitsByIds(tx: EntityManager, ids: string[]): Promise<DirectoryUnitEntity[]> {
  return ids.length
    ? tx.getRepository(DirectoryUnitEntity).findBy(ids.map((unitId) => ({ unitId })))
    : Promise.resolve([]);
}

/**
 * Active members of the units, with one of `roles` if given — people: the unit's organisation and
 * the subject — each with the unit they were found in (the first of `unitIds` wins).
 */
export async function activeMembers(
  tx: EntityManager,
  unitIds: string[],
  roles?: string[],
): Promise<Recipient[]> {
  const t = tables(tx);
  const rows = (await tx.query(
    `SELECT DISTINCT ON (u.organisation_id, m.user_id) m.user_id, m.unit_id, u.organisation_id
       FROM ${t.members} m
       JOIN ${t.units} u ON u.unit_id = m.unit_id
      WHERE m.active AND m.unit_id = ANY($1::uuid[]) AND ($2::text[] IS NULL OR m.roles && $2::text[])
      ORDER BY u.organisation_id, m.user_id, array_position($1::uuid[], m.unit_id)`,
    [unitIds, roles ?? null],
  )) as RecipientRow[];
  return rows.map(recipientOf);
}

/** The people with a (not deleted) shift of the unit covering `at`. */
export async function onShift(tx: EntityManager, unitId: string, at: Date): Promise<Recipient[]> {
  const t = tables(tx);
  const rows = (await tx.query(
    `SELECT DISTINCT s.user_id, s.unit_id, u.organisation_id
       FROM ${t.shifts} s
       JOIN ${t.units} u ON u.unit_id = s.unit_id
      WHERE s.unit_id = $1 AND NOT s.deleted AND s.starts_at <= $2 AND s.ends_at > $2
      ORDER BY s.user_id`,
    [unitId, at],
  )) as RecipientRow[];
  return rows.map(recipientOf);
}

/** Active regional-coordinator units covering a municipality. */
export async function coordinatorUnitsCovering(
  tx: EntityManager,
  municipalityCode: string,
): Promise<string[]> {
  const rows = (await tx.query(
    `SELECT unit_id FROM ${tables(tx).units}
      WHERE organisation_kind = 'regional_coordinator' AND status = 'active' AND $1 = ANY(coverage)
      ORDER BY unit_id`,
    [municipalityCode],
  )) as Array<{ unit_id: string }>;
  return rows.map((r) => r.unit_id);
}

/** Members with role `org_admin` of any unit of the organisation. */
export async function organisationAdmins(
  tx: EntityManager,
  organisationId: string,
): Promise<Recipient[]> {
  const t = tables(tx);
  const rows = (await tx.query(
    `SELECT DISTINCT ON (m.user_id) m.user_id, m.unit_id, u.organisation_id
       FROM ${t.members} m
       JOIN ${t.units} u ON u.unit_id = m.unit_id
      WHERE m.active AND u.organisation_id = $1 AND 'org_admin' = ANY(m.roles)
      ORDER BY m.user_id, m.unit_id`,
    [organisationId],
  )) as RecipientRow[];
  return rows.map(recipientOf);
}
