import { ProblemError, type Principal } from '@samverkan/shared';
import { ReferralProblems as P } from '../domain/errors';
import { ACTING_ROLES, canRead, sideOf } from '../domain/referral-lifecycle';
import { deny, type ReferralsContext } from '../services/context';
import type { ReferralsRepository } from './repository';

/** Who may see and act on a referral: the access rules every referral read and write goes through. */
export function createReferralAccess(ctx: ReferralsContext, repository: ReferralsRepository) {
  /**
   * The caller's units that the caller acts for now (the platform's one rule: claimed by the
   * token, in the token's organisation, and the directory lists the person as a member with a
   * case-handling role). A removed member loses them as soon as the directory's event arrives.
   */
  async function verifiedUnits(principal: Principal): Promise<string[]> {
    // Only case-handling roles take part in referrals: an analyst sees aggregates and an auditor
    // the audit log, never a referral or its envelope (docs/architecture.md#identity-and-access), whatever units a token lists.
    if (!principal.roles.some((role) => ACTING_ROLES.includes(role))) {
      return [];
    }
    return ctx.directory.actingUnits(principal);
  }

  async function actingPrincipal(principal: Principal): Promise<Principal> {
    return { ...principal, units: await verifiedUnits(principal) };
  }

  /** Loads a referral the caller may see, or answers 404 (and audits the refusal). */
  async function visible(principal: Principal, id: string, action: string) {
    const acting = await actingPrincipal(principal);
    const referral = await repository.findById(id);
    const side = referral ? sideOf(acting, referral) : 'none';
    if (!referral || !canRead(side)) {
      await deny(
        ctx,
        principal,
        { action, objectType: 'referral', objectId: id },
        new ProblemError(P.referralNotFound),
      );
    }
    return { referral: referral!, side, acting };
  }

  return { verifiedUnits, actingPrincipal, visible };
}

export type ReferralAccess = ReturnType<typeof createReferralAccess>;
