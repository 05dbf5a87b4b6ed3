import { CommonProblems, hasRole, ProblemError, type Principal } from '@samverkan/shared';
import type { EntityManager } from 'typeorm';
import { sideOf } from '../domain/referral-lifecycle';
import { ReferralProblems as P } from '../domain/errors';
import { ReferralEntity } from '../entities';
import { referralsAuditParties } from '../services/audit-parties';
import { change, deny, type ReferralsContext } from '../services/context';
import { ContentPurgeEntity, LegalHoldEntity } from './records.entities';
import { RecordsProblems as R } from './records.errors';
import type { RetentionConfig } from './retention-config';
import { FINAL_REFERRAL_STATUSES } from './retention-purger';

/** Why a legal hold is placed: codes, never free text about the case. */
export const LEGAL_HOLD_REASONS = [
  'court_proceedings',
  'police_investigation',
  'supervisory_inspection',
  'complaint',
  'data_subject_request',
  'other_legal_obligation',
] as const;

export interface LegalHoldInput {
  reason: (typeof LEGAL_HOLD_REASONS)[number];
  reference?: string | null;
}

const DAY_MS = 86_400_000;

/**
 * Legal holds on referrals (docs/retention.md). Each party organisation may hold a referral for
 * its own reasons; the purger leaves a referral alone while any hold is on it.
 *
 * - **Place**: a member acting for one of the referral's units (sender, recipient, copy) with a
 *   case-handling role — the people who learn of a court case first — or an `org_admin` or
 *   `auditor` of a party organisation.
 * - **Lift**: only an `org_admin` or `auditor` of the organisation that holds it: ending a hold
 *   is an accountable decision, and no party can lift another party's hold.
 * - **See**: everyone who may place one. Anyone else gets 404, as for the referral.
 *
 * Placing, changing and lifting are audited with the referral's parties; refusals too.
 */
export function createLegalHoldsService(ctx: ReferralsContext, retention: RetentionConfig) {
  const parties = referralsAuditParties();

  async function standing(principal: Principal, id: string, action: string, tx?: EntityManager) {
    const manager = tx ?? ctx.dataSource.manager;
    const referral = await manager
      .getRepository(ReferralEntity)
      .findOne({ where: { id }, ...(tx ? { lock: { mode: 'pessimistic_read' as const } } : {}) });
    const partyOrgs = referral
      ? await parties({ objectType: 'referral', objectId: id }, manager)
      : [];
    const units = await ctx.directory.actingUnits(principal, manager);
    const isMember = referral ? sideOf({ units }, referral) !== 'none' : false;
    const isOversight =
      hasRole(principal, 'org_admin', 'auditor') && partyOrgs.includes(principal.org);
    if (!referral || (!isMember && !isOversight)) {
      if (tx) {
        // Only a race with a membership change gets here; the caller's first look was audited.
        throw new ProblemError(P.referralNotFound);
      }
      await deny(
        ctx,
        principal,
        { action, objectType: 'referral', objectId: id },
        new ProblemError(P.referralNotFound),
      );
    }
    return { referral: referral!, isOversight };
  }

  async function view(id: string, manager: EntityManager) {
    const referral = await manager.getRepository(ReferralEntity).findOneByOrFail({ id });
    const holds = await manager
      .getRepository(LegalHoldEntity)
      .find({ where: { referralId: id }, order: { placedAt: 'ASC' } });
    const purge = await manager
      .getRepository(ContentPurgeEntity)
      .findOneBy({ objectType: 'referral', objectId: id });
    const final = (FINAL_REFERRAL_STATUSES as readonly string[]).includes(referral.status);
    const finalSince = final
      ? (referral.closedAt ?? referral.declinedAt ?? referral.updatedAt)
      : null;
    const due = (days: number) =>
      finalSince ? new Date(finalSince.getTime() + days * DAY_MS).toISOString() : null;
    return {
      referralId: id,
      held: holds.length > 0,
      holds: holds.map((h) => ({
        organisationId: h.organisationId,
        reason: h.reason as LegalHoldInput['reason'],
        reference: h.reference,
        placedBy: h.placedBy,
        placedByIssuer: h.placedByIssuer,
        placedAt: h.placedAt.toISOString(),
      })),
      retention: {
        finalSince: finalSince ? finalSince.toISOString() : null,
        contentRetentionDays: retention.contentDays,
        timelineRetentionDays: retention.timelineDays,
        contentPurgeDueAt: purge || holds.length > 0 ? null : due(retention.contentDays),
        contentPurgedAt: purge ? purge.purgedAt.toISOString() : null,
        timelinePurgedAt: purge?.timelinePurgedAt ? purge.timelinePurgedAt.toISOString() : null,
      },
    };
  }

  return {
    async get(principal: Principal, id: string) {
      await standing(principal, id, 'referral.legal_hold_read');
      return view(id, ctx.dataSource.manager);
    },

    async place(principal: Principal, id: string, input: LegalHoldInput) {
      const action = 'referral.legal_hold_place';
      const target = {
        action,
        objectType: 'referral',
        objectId: id,
        objectOrg: principal.org,
        detail: { reason: input.reason },
      };
      // Outside the change: a refusal is audited on its own (the change would roll it back).
      await standing(principal, id, action);
      return change(ctx, principal, target, async (tx) => {
        // Locks the referral against the purger, which skips locked rows, then looks again.
        await standing(principal, id, action, tx);
        const purged = await tx
          .getRepository(ContentPurgeEntity)
          .existsBy({ objectType: 'referral', objectId: id });
        if (purged) {
          throw new ProblemError(R.alreadyPurged);
        }
        await tx
          .createQueryBuilder()
          .insert()
          .into(LegalHoldEntity)
          .values({
            referralId: id,
            organisationId: principal.org,
            reason: input.reason,
            reference: input.reference ?? null,
            placedBy: principal.sub,
            placedByIssuer: principal.iss,
            placedAt: new Date(),
          })
          .orUpdate(
            ['reason', 'reference', 'placed_by', 'placed_by_issuer', 'placed_at'],
            ['referral_id', 'organisation_id'],
          )
          .execute();
        return { result: await view(id, tx), events: [] };
      }).catch(async (err: unknown) => {
        if (err instanceof ProblemError && err.statusCode === 409) {
          await ctx.audit.append({
            ...target,
            actor: principal,
            outcome: 'denied',
            detail: { ...target.detail, refused: err.definition.code },
          });
        }
        throw err;
      });
    },

    async lift(principal: Principal, id: string) {
      const action = 'referral.legal_hold_lift';
      const target = { action, objectType: 'referral', objectId: id, objectOrg: principal.org };
      const { isOversight } = await standing(principal, id, action);
      if (!isOversight) {
        await deny(
          ctx,
          principal,
          target,
          new ProblemError(
            CommonProblems.forbidden,
            'Only an org_admin or auditor of the organisation that placed a legal hold may lift it',
          ),
        );
      }
      const hold = await ctx.dataSource
        .getRepository(LegalHoldEntity)
        .findOneBy({ referralId: id, organisationId: principal.org });
      if (!hold) {
        await deny(ctx, principal, target, new ProblemError(R.legalHoldNotFound));
      }
      return change(
        ctx,
        principal,
        { ...target, detail: { reason: hold!.reason, placedAt: hold!.placedAt.toISOString() } },
        async (tx) => {
          await tx.delete(LegalHoldEntity, { referralId: id, organisationId: principal.org });
          return { result: await view(id, tx), events: [] };
        },
      );
    },
  };
}

export type LegalHoldsService = ReturnType<typeof createLegalHoldsService>;
