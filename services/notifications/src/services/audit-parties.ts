import type { AuditPartyResolver } from '@samverkan/shared';
import {
  notificationOrganisations,
  objectOrganisations,
  unitOrganisations,
} from '../records/repository';

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
    if (objectType === 'notification') {
      return notificationOrganisations(manager, objectId);
    }
    if (objectType === 'referral' || objectType === 'field_request' || objectType === 'operation') {
      return objectOrganisations(manager, objectType, objectId);
    }
    return objectType === 'unit' ? unitOrganisations(manager, objectId) : [];
  };
}
