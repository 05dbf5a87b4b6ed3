import { ProblemError, type CommandDefinition, type Principal } from '@samverkan/shared';
import { pipelineOf, type ReferralsContext } from '../services/context';
import {
  decideLift,
  decidePlace,
  holdsAfter,
  legalHoldStanding,
  legalHoldView,
  type HeldReferral,
  type LegalHold,
  type LegalHoldInput,
  type LegalHoldView,
} from './domain/legal-holds';
import { RecordsProblems as R } from './records.errors';
import { createLegalHoldsRepository } from './legal-holds.repository';
import type { RetentionConfig } from './retention-config';

export { LEGAL_HOLD_REASONS, type LegalHoldInput } from './domain/legal-holds';

/**
 * A command's input: the referral as `standing` loaded it (one statement) and the caller's
 * standing on it, and the request. The pipeline's load step hands it on: the referral's 404 is
 * decided before the command, so that it is audited with the bare target of a look at the
 * referral, as a read's 404 is.
 */
interface HoldCommand {
  referral: HeldReferral;
  standing: { isOversight: boolean };
  body?: LegalHoldInput;
}

/** Placing and lifting: the hold decided on, with the referral it is on, answered as a view. */
type HoldCommandDefinition = CommandDefinition<
  HoldCommand,
  HoldCommand,
  LegalHold & { referral: HeldReferral },
  LegalHoldView
>;

/**
 * Legal holds on referrals (docs/retention.md). Each party organisation may hold a referral for
 * its own reasons; the purger leaves a referral alone while any hold is on it.
 *
 * - **Place**: a member acting for one of the referral's units (sender, recipient, copy) with a
 *   case-handling role — the people who learn of a court case first — or an `org_admin` or
 *   `auditor` of a party organisation.
 * - **Lift**: only an `org_admin` or `auditor` of the organisation that holds it.
 * - **See**: everyone who may place one. Anyone else gets 404, as for the referral.
 *
 * Placing and lifting go through the write pipeline (one statement with the audit entry);
 * refusals are audited. The rules are in domain/legal-holds.ts.
 */
export function createLegalHoldsService(ctx: ReferralsContext, retention: RetentionConfig) {
  const repository = createLegalHoldsRepository(ctx.dataSource);
  const pipeline = pipelineOf(ctx);

  /** The referral and the caller's standing on it, or the referral's 404 (audited). */
  async function standing(principal: Principal, id: string, action: string) {
    const referral = await repository.load(id);
    const units = await ctx.directory.actingUnits(principal);
    let found: { isOversight: boolean } = { isOversight: false };
    await pipeline.authorize(principal, { action, objectType: 'referral', objectId: id }, () => {
      found = legalHoldStanding(principal, units, referral);
    });
    return { referral: referral!, standing: found };
  }

  const placeCommand = (principal: Principal): HoldCommandDefinition => ({
    target: (c) => ({
      action: 'referral.legal_hold_place',
      objectType: 'referral',
      objectId: c.referral.id,
      objectOrg: principal.org,
      detail: { reason: c.body!.reason },
    }),
    load: async (c) => c,
    authorize: () => undefined,
    decide: (c, _loaded, now) => ({
      ...decidePlace(principal, c.referral, c.body!, now),
      referral: c.referral,
    }),
    persist: (hold, sql) => repository.place(sql, hold.referral.id, hold),
    events: () => [],
    audit: (hold) => ({ detail: {}, partyOrgs: hold.referral.partyOrgs }),
    answer: ({ referral, ...hold }) =>
      legalHoldView(referral, holdsAfter(referral.holds, hold.organisationId, hold), retention),
    // The purger took the content while the hold was decided on.
    onNoChange: () => Promise.reject(new ProblemError(R.alreadyPurged)),
  });

  const liftCommand = (principal: Principal): HoldCommandDefinition => ({
    target: (c) => ({
      action: 'referral.legal_hold_lift',
      objectType: 'referral',
      objectId: c.referral.id,
      objectOrg: principal.org,
    }),
    load: async (c) => c,
    authorize: () => undefined,
    decide: (c) => ({ ...decideLift(principal, c.referral, c.standing), referral: c.referral }),
    persist: (hold, sql) => repository.lift(sql, hold.referral.id, hold.organisationId),
    events: () => [],
    audit: ({ referral, reason, placedAt }) => ({
      detail: { reason, placedAt: placedAt.toISOString() },
      partyOrgs: referral.partyOrgs,
    }),
    answer: ({ referral, organisationId }) =>
      legalHoldView(referral, holdsAfter(referral.holds, organisationId, null), retention),
    // Lifted by someone else of the organisation meanwhile.
    onNoChange: () => Promise.reject(new ProblemError(R.legalHoldNotFound)),
  });

  return {
    async get(principal: Principal, id: string): Promise<LegalHoldView> {
      const { referral } = await standing(principal, id, 'referral.legal_hold_read');
      return legalHoldView(referral, referral.holds, retention);
    },

    async place(principal: Principal, id: string, body: LegalHoldInput): Promise<LegalHoldView> {
      const seen = await standing(principal, id, 'referral.legal_hold_place');
      return pipeline.run(placeCommand(principal), principal, { ...seen, body });
    },

    async lift(principal: Principal, id: string): Promise<LegalHoldView> {
      const seen = await standing(principal, id, 'referral.legal_hold_lift');
      return pipeline.run(liftCommand(principal), principal, seen);
    },
  };
}

export type LegalHoldsService = ReturnType<typeof createLegalHoldsService>;
