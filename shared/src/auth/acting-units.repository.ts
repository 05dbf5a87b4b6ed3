import { DataSource, type EntityManager } from 'typeorm';
import { poolQuery } from '../db/data-source';
import { actingUnitsOf, CASE_HANDLING_ROLES } from './acting-units';
import type { Principal } from './principal';

/** The statement's text for each read model's schema, written once. */
const statements = new Map<string, string>();

/** The claimed units of a read model in `schema`, and the subject's roles in each. */
function claimedUnitsSql(schema: string): string {
  let sql = statements.get(schema);
  if (sql === undefined) {
    sql = `SELECT u.unit_id, u.organisation_id, m.roles
             FROM "${schema}".directory_units u
             LEFT JOIN "${schema}".directory_members m
               ON m.unit_id = u.unit_id AND m.user_id = $2 AND m.active
            WHERE u.unit_id = ANY($1::uuid[])`;
    statements.set(schema, sql);
  }
  return sql;
}

/**
 * Looks up the token's claimed units in a service's directory read model — the tables
 * `directory_units` (unit_id, organisation_id) and `directory_members` (unit_id, user_id, roles,
 * active) in `schema`, which every service that keeps one shares — and applies `actingUnitsOf`.
 *
 * `db` is the DataSource, or a transaction's manager when the caller is inside one (on the
 * embedded PGlite a read on another connection waits for an open transaction for ever). With the
 * DataSource the statement runs prepared on its pool (poolQuery), without TypeORM's query runner:
 * every read and write of a referral asks this first.
 */
export async function actingUnitsFromReadModel(
  db: DataSource | EntityManager,
  schema: string,
  principal: Pick<Principal, 'org' | 'sub' | 'units'>,
  roles: readonly string[] = CASE_HANDLING_ROLES,
): Promise<string[]> {
  if (principal.units.length === 0) {
    return [];
  }
  const sql = claimedUnitsSql(schema);
  const params = [principal.units, principal.sub];
  type Row = { unit_id: string; organisation_id: string; roles: string[] | null };
  const rows =
    db instanceof DataSource
      ? await poolQuery<Row>(db, sql, params, { prepare: true })
      : ((await db.query(sql, params)) as Row[]);
  return actingUnitsOf(
    principal,
    rows.map((r) => ({
      unitId: r.unit_id,
      organisationId: r.organisation_id,
      memberRoles: r.roles,
    })),
    roles,
  );
}
