import type { AuditPartyResolver } from '@samverkan/shared';
import { DirectoryUnitEntity } from '../entities/directory.entities';
import { NotificationEntity } from '../entities/notification.entity';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The parties of what the notifications service audits: a notification belongs to its unit's
 * organisation (as well as to its reader's, the actor), so that organisation's auditors see every
 * read, acknowledgement and refused attempt on it (docs/audit.md).
 */
export function notificationsAuditParties(): AuditPartyResolver {
  return async ({ objectType, objectId }, manager) => {
    if (!UUID.test(objectId)) {
      return [];
    }
    const units = manager.getRepository(DirectoryUnitEntity).metadata.tablePath;
    let sql: string;
    if (objectType === 'notification') {
      const notifications = manager.getRepository(NotificationEntity).metadata.tablePath;
      sql = `SELECT u.organisation_id::text AS org FROM ${notifications} n
               JOIN ${units} u ON u.unit_id = n.unit_id WHERE n.id = $1`;
    } else if (objectType === 'unit') {
      sql = `SELECT organisation_id::text AS org FROM ${units} WHERE unit_id = $1`;
    } else {
      return [];
    }
    const rows = (await manager.query(sql, [objectId])) as Array<{ org: string }>;
    return rows.map((r) => r.org);
  };
}
