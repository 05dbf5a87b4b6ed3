import type { AuditPartyResolver } from '@samverkan/shared';
import { DirectoryUnitEntity } from '../entities/directory.entities';
import { EscalationTimerEntity } from '../entities/escalation-timer.entity';
import { NotificationEntity } from '../entities/notification.entity';
import { ObjectPartiesEntity } from '../records/object-parties.entity';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The parties of what the notifications service audits: a notification belongs to its unit's
 * organisation (as well as to its reader's, the actor), so that organisation's auditors see every
 * read, acknowledgement and refused attempt on it (docs/audit.md). An entry written from an event
 * about a referral, field request or operation (an escalation, a purge) carries the organisations
 * of all the object's parties, as the referrals service's events named them (`object_parties`),
 * and of the units it was escalated to or notified.
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
    } else if (
      objectType === 'referral' ||
      objectType === 'field_request' ||
      objectType === 'operation'
    ) {
      const parties = manager.getRepository(ObjectPartiesEntity).metadata.tablePath;
      const timers = manager.getRepository(EscalationTimerEntity).metadata.tablePath;
      const notifications = manager.getRepository(NotificationEntity).metadata.tablePath;
      sql = `SELECT DISTINCT u.organisation_id::text AS org FROM ${units} u
              WHERE u.unit_id IN (
                SELECT unnest(p.unit_ids) FROM ${parties} p
                 WHERE p.object_type = $2 AND p.object_id = $1
                UNION SELECT unnest(t.unit_ids) FROM ${timers} t
                 WHERE t.object_type = $2 AND t.object_id = $1
                UNION SELECT n.unit_id FROM ${notifications} n
                 WHERE n.object_type = $2 AND n.object_id = $1 AND n.unit_id IS NOT NULL)`;
      const rows = (await manager.query(sql, [objectId, objectType])) as Array<{ org: string }>;
      return rows.map((r) => r.org);
    } else if (objectType === 'unit') {
      sql = `SELECT organisation_id::text AS org FROM ${units} WHERE unit_id = $1`;
    } else {
      return [];
    }
    const rows = (await manager.query(sql, [objectId])) as Array<{ org: string }>;
    return rows.map((r) => r.org);
  };
}
