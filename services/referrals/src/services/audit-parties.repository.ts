import type { EntityManager } from 'typeorm';
import {
  DirectoryUnitEntity,
  FieldRequestEntity,
  OperationEntity,
  OperationParticipantEntity,
  ReferralEntity,
} from '../entities';

/**
 * The organisations of an audited object's parties (services/audit-parties.ts): the only place
 * that SQL lives (issue 15). Each function runs on the manager the audit log hands it (the
 * writing transaction's when there is one). Covered by test/migrations.test.ts.
 */

const table = (manager: EntityManager, entity: Parameters<EntityManager['getRepository']>[0]) =>
  manager.getRepository(entity).metadata.tablePath;

async function organisations(
  manager: EntityManager,
  sql: string,
  objectId: string,
): Promise<string[]> {
  const rows = (await manager.query(sql, [objectId])) as Array<{ org: string | null }>;
  return rows.map((r) => r.org).filter((org): org is string => org !== null);
}

/** An operation's organiser and participants, the operation's id given by `operationIdSql`. */
const operationParties = (manager: EntityManager, operationIdSql: string) => `
  SELECT o.organiser_organisation_id::text AS org FROM ${table(manager, OperationEntity)} o
   WHERE o.id = (${operationIdSql})
  UNION
  SELECT p.organisation_id::text FROM ${table(manager, OperationParticipantEntity)} p
   WHERE p.operation_id = (${operationIdSql})`;

/** A referral's (and its thread's) sender, recipient and copy units' organisations. */
export function referralPartyOrgs(manager: EntityManager, referralId: string): Promise<string[]> {
  return organisations(
    manager,
    `SELECT DISTINCT u.organisation_id::text AS org
       FROM ${table(manager, ReferralEntity)} r
       JOIN ${table(manager, DirectoryUnitEntity)} u
         ON u.unit_id = r.sender_unit_id OR u.unit_id = r.recipient_unit_id
         OR u.unit_id = ANY(r.copy_unit_ids)
      WHERE r.id = $1`,
    referralId,
  );
}

/** An operation's organiser's and participating units' organisations. */
export function operationPartyOrgs(manager: EntityManager, operationId: string): Promise<string[]> {
  return organisations(manager, operationParties(manager, 'SELECT $1::uuid'), operationId);
}

/** A field request's parties: its operation's. */
export function fieldRequestPartyOrgs(
  manager: EntityManager,
  fieldRequestId: string,
): Promise<string[]> {
  return organisations(
    manager,
    operationParties(
      manager,
      `SELECT f.operation_id FROM ${table(manager, FieldRequestEntity)} f WHERE f.id = $1`,
    ),
    fieldRequestId,
  );
}

/** A unit's organisation (none when the read model does not know the unit). */
export function unitOrgs(manager: EntityManager, unitId: string): Promise<string[]> {
  return organisations(
    manager,
    `SELECT organisation_id::text AS org FROM ${table(manager, DirectoryUnitEntity)} WHERE unit_id = $1`,
    unitId,
  );
}
