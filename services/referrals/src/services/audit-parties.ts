import type { AuditPartyResolver } from '@samverkan/shared';
import type { EntityManager } from 'typeorm';
import {
  DirectoryUnitEntity,
  FieldRequestEntity,
  OperationEntity,
  OperationParticipantEntity,
  ReferralEntity,
} from '../entities';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

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

/**
 * The parties of what the referrals service audits (docs/audit.md): a referral's (and its message
 * thread's) sender, recipient and copy units; an operation's organiser and invited units, and
 * through its operation a field request's. Each entry carries their organisations, so every
 * party's auditors see every access and every refused attempt, whoever made it. Units are
 * mapped to organisations through the directory read model.
 */
export function referralsAuditParties(): AuditPartyResolver {
  return async ({ objectType, objectId }, manager) => {
    if (!UUID.test(objectId)) {
      return [];
    }
    const units = table(manager, DirectoryUnitEntity);
    const operationParties = (operationIdSql: string) => `
      SELECT o.organiser_organisation_id::text AS org FROM ${table(manager, OperationEntity)} o
       WHERE o.id = (${operationIdSql})
      UNION
      SELECT p.organisation_id::text FROM ${table(manager, OperationParticipantEntity)} p
       WHERE p.operation_id = (${operationIdSql})`;
    switch (objectType) {
      case 'referral':
        return organisations(
          manager,
          `SELECT DISTINCT u.organisation_id::text AS org
             FROM ${table(manager, ReferralEntity)} r
             JOIN ${units} u
               ON u.unit_id = r.sender_unit_id OR u.unit_id = r.recipient_unit_id
               OR u.unit_id = ANY(r.copy_unit_ids)
            WHERE r.id = $1`,
          objectId,
        );
      case 'operation':
        return organisations(manager, operationParties('SELECT $1::uuid'), objectId);
      case 'field_request':
        return organisations(
          manager,
          operationParties(
            `SELECT f.operation_id FROM ${table(manager, FieldRequestEntity)} f WHERE f.id = $1`,
          ),
          objectId,
        );
      case 'unit':
        return organisations(
          manager,
          `SELECT organisation_id::text AS org FROM ${units} WHERE unit_id = $1`,
          objectId,
        );
      default:
        return [];
    }
  };
}
