import type { AuditPartyResolver } from '@samverkan/shared';
import {
  fieldRequestPartyOrgs,
  operationPartyOrgs,
  referralPartyOrgs,
  unitOrgs,
} from './audit-parties.repository';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The parties of what the referrals service audits (docs/audit.md): a referral's (and its message
 * thread's) sender, recipient and copy units; an operation's organiser and invited units, and
 * through its operation a field request's. Each entry carries their organisations, so every
 * party's auditors see every access and every refused attempt, whoever made it. Units are
 * mapped to organisations through the directory read model (audit-parties.repository.ts).
 */
export function referralsAuditParties(): AuditPartyResolver {
  return async ({ objectType, objectId }, manager) => {
    if (!UUID.test(objectId)) {
      return [];
    }
    switch (objectType) {
      case 'referral':
        return referralPartyOrgs(manager, objectId);
      case 'operation':
        return operationPartyOrgs(manager, objectId);
      case 'field_request':
        return fieldRequestPartyOrgs(manager, objectId);
      case 'unit':
        return unitOrgs(manager, objectId);
      default:
        return [];
    }
  };
}
