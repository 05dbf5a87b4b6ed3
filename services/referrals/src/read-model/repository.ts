import { actingUnitsFromReadModel, type Principal } from '@samverkan/shared';
import type { DataSource, EntityManager } from 'typeorm';
import { DirectoryMemberEntity, DirectoryUnitEntity } from '../entities';

/**
 * The directory read model (`directory_units`, `directory_members`): the only place its SQL lives
 * (issue 15). Writes are idempotent upserts that ignore an event older than the row's (a
 * redelivery). Every function takes the manager to run on: the consumer's transaction, or a
 * command's — on the embedded PGlite a read on another connection while a transaction is open
 * would wait for it for ever. Covered by test/migrations.test.ts (describeRepositorySync).
 */

export interface UnitState {
  unitId: string;
  organisationId: string;
  organisationKind: string;
  status: 'active' | 'inactive';
  onCallUnitId: string | null;
  coverage: string[];
  purpose: 'service' | 'audit';
}

const unitsTable = (db: EntityManager) => db.getRepository(DirectoryUnitEntity).metadata.tablePath;
const membersTable = (db: EntityManager) =>
  db.getRepository(DirectoryMemberEntity).metadata.tablePath;

/** The unit's whole state as of `at`. */
export async function upsertUnit(tx: EntityManager, unit: UnitState, at: string): Promise<void> {
  await tx.query(
    `INSERT INTO ${unitsTable(tx)} AS t (unit_id, organisation_id, organisation_kind, status, on_call_unit_id, coverage, unit_event_at, purpose)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
     ON CONFLICT (unit_id) DO UPDATE SET organisation_id = EXCLUDED.organisation_id,
       organisation_kind = EXCLUDED.organisation_kind, status = EXCLUDED.status,
       on_call_unit_id = EXCLUDED.on_call_unit_id, coverage = EXCLUDED.coverage,
       unit_event_at = EXCLUDED.unit_event_at, purpose = EXCLUDED.purpose
     WHERE t.unit_event_at IS NULL OR t.unit_event_at <= EXCLUDED.unit_event_at`,
    [
      unit.unitId,
      unit.organisationId,
      unit.organisationKind,
      unit.status,
      unit.onCallUnitId,
      unit.coverage,
      at,
      unit.purpose,
    ],
  );
}

/** A member's roles in a unit as of `at` (active: still a member). */
export async function upsertMember(
  tx: EntityManager,
  member: { unitId: string; userId: string; roles: string[]; active: boolean },
  at: string,
): Promise<void> {
  await tx.query(
    `INSERT INTO ${membersTable(tx)} AS t (unit_id, user_id, roles, active, event_at)
     VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (unit_id, user_id) DO UPDATE SET roles = EXCLUDED.roles,
       active = EXCLUDED.active, event_at = EXCLUDED.event_at
     WHERE t.event_at <= EXCLUDED.event_at`,
    [member.unitId, member.userId, member.roles, member.active, at],
  );
}

/**
 * The unit's active encryption keys as of `at`. A key event may come before its unit's: the row
 * starts inactive until the unit event.
 */
export async function upsertUnitKeys(
  tx: EntityManager,
  keys: { unitId: string; organisationId: string; activeEncryptionKids: string[] },
  at: string,
): Promise<void> {
  await tx.query(
    `INSERT INTO ${unitsTable(tx)} AS t (unit_id, organisation_id, organisation_kind, status, active_encryption_kids, keys_event_at)
     VALUES ($1, $2, 'unknown', 'inactive', $3, $4)
     ON CONFLICT (unit_id) DO UPDATE SET active_encryption_kids = EXCLUDED.active_encryption_kids,
       keys_event_at = EXCLUDED.keys_event_at
     WHERE t.keys_event_at IS NULL OR t.keys_event_at <= EXCLUDED.keys_event_at`,
    [keys.unitId, keys.organisationId, keys.activeEncryptionKids, at],
  );
}

/** Active regional-coordinator units covering a municipality, by id. */
export async function coordinatorUnitIds(
  db: EntityManager,
  municipalityCode: string,
): Promise<string[]> {
  const rows = await db
    .getRepository(DirectoryUnitEntity)
    .createQueryBuilder('u')
    .where(
      "u.organisation_kind = 'regional_coordinator' AND u.status = 'active' AND :m = ANY(u.coverage)",
      { m: municipalityCode },
    )
    .orderBy('u.unit_id')
    .getMany();
  return rows.map((r) => r.unitId);
}

/**
 * The token's units the read model lists the subject in with a case-handling role: with the
 * DataSource prepared on its pool, inside a transaction on its manager.
 */
export function actingUnitIds(
  db: DataSource | EntityManager,
  principal: Principal,
): Promise<string[]> {
  return actingUnitsFromReadModel(
    db,
    db.getRepository(DirectoryUnitEntity).metadata.schema!,
    principal,
  );
}

/** Whether the user is an active member of the unit. */
export function isActiveMember(
  db: EntityManager,
  unitId: string,
  userId: string,
): Promise<boolean> {
  return db.existsBy(DirectoryMemberEntity, { unitId, userId, active: true });
}

/** The active audit units of an organisation. */
export function activeAuditUnits(
  db: EntityManager,
  organisationId: string,
): Promise<DirectoryUnitEntity[]> {
  return db.findBy(DirectoryUnitEntity, { organisationId, purpose: 'audit', status: 'active' });
}

/** The units with these ids that the read model knows. */
export function unitsByIds(db: EntityManager, ids: string[]): Promise<DirectoryUnitEntity[]> {
  return ids.length
    ? db.findBy(
        DirectoryUnitEntity,
        ids.map((unitId) => ({ unitId })),
      )
    : Promise.resolve([]);
}
