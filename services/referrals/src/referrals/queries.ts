import { CASE_HANDLING_ROLES, ProblemError, type Principal } from '@samverkan/shared';
import { contentPurgedProblem } from '../records/purged-content';
import { ReferralProblems as P } from '../domain/errors';
import { REFERRAL_STATUSES } from '../domain/referral-lifecycle';
import { deny, type ReferralsContext } from '../services/context';
import { referralView } from '../services/views';
import type { ReferralAccess } from './access';
import type { ReferralListQuery } from './model';
import type { ReferralsRepository } from './repository';

/** The referral reads: a referral, its envelope (audited), the boxes, counts, timeline and access log. */
export function createReferralQueries(
  ctx: ReferralsContext,
  repository: ReferralsRepository,
  access: ReferralAccess,
) {
  const { actingPrincipal, visible } = access;

  return {
    async get(principal: Principal, id: string) {
      const { referral } = await visible(principal, id, 'referral.read');
      return referralView(referral);
    },

    /** The opaque envelope, to parties only; a recipient that declined has lost access. Audited. */
    async envelope(principal: Principal, id: string) {
      const { referral, side } = await visible(principal, id, 'referral.envelope_read');
      const target = {
        action: 'referral.envelope_read',
        objectType: 'referral',
        objectId: id,
        objectOrg: principal.org,
      };
      if (
        (side === 'recipient' || side === 'copy') &&
        (referral.status === 'declined' || referral.status === 'withdrawn')
      ) {
        await deny(ctx, principal, target, new ProblemError(P.envelopeAccessRevoked));
      }
      const purged = contentPurgedProblem(referral.envelope);
      if (purged) {
        await deny(ctx, principal, { ...target, detail: { side } }, purged);
      }
      await ctx.audit.append({ ...target, actor: principal, outcome: 'allowed', detail: { side } });
      return { referralId: id, envelope: referral.envelope };
    },

    async list(principal: Principal, query: ReferralListQuery) {
      const acting = await actingPrincipal(principal);
      if (
        query.unit === undefined ? acting.units.length === 0 : !acting.units.includes(query.unit)
      ) {
        await deny(
          ctx,
          principal,
          { action: 'referral.list', objectType: 'unit', objectId: query.unit ?? null },
          notActingFor(query.unit),
        );
      }
      // Without `unit`, every unit the caller acts for: a person with one unit never names it.
      const units = query.unit === undefined ? acting.units : [query.unit];
      const rows = await repository.listPage(units, query);
      const page = rows.slice(0, query.limit);
      const last = page[page.length - 1];
      return {
        items: page.map(referralView),
        nextCursor: rows.length > query.limit && last ? repository.cursorAfter(last) : null,
      };
    },

    async counts(principal: Principal, box: 'inbox' | 'outbox', unit: string) {
      const acting = await actingPrincipal(principal);
      if (!acting.units.includes(unit)) {
        await deny(
          ctx,
          principal,
          { action: 'referral.counts', objectType: 'unit', objectId: unit },
          notActingFor(unit),
        );
      }
      const rows = await repository.countsByStatus(box, unit);
      return {
        unitId: unit,
        box,
        byStatus: Object.fromEntries(
          REFERRAL_STATUSES.map((status) => [
            status,
            rows.find((r) => r.status === status)?.n ?? 0,
          ]),
        ),
        acuteWaiting: rows.reduce((sum, r) => sum + r.acute, 0),
      };
    },

    async timeline(principal: Principal, id: string) {
      await visible(principal, id, 'referral.timeline_read');
      const rows = await repository.timelineOf(id);
      return {
        items: rows.map((e) => ({
          at: e.at.toISOString(),
          event: e.event,
          actorUnitId: e.actorUnitId,
          detail: e.detail,
        })),
      };
    },

    /**
     * An auditor of the sending organisation fetches a referral's sealed justification
     * (docs/envelope.md "Sealed notes"): the note only, never the referral's envelope, which an
     * auditor still cannot read. Anyone else — another organisation's auditor, a party, an
     * analyst — gets 404, audited; every read is audited and listed in the parties' access log.
     */
    async justificationForAuditor(principal: Principal, id: string) {
      const target = {
        action: 'referral.justification_read',
        objectType: 'referral',
        objectId: id,
      };
      const refuse = () => deny(ctx, principal, target, new ProblemError(P.referralNotFound));
      if (!principal.roles.includes('auditor')) {
        return refuse();
      }
      const referral = await repository.findById(id);
      if (!referral || !referral.justificationMessageId) {
        return refuse();
      }
      const sender = (await ctx.directory.units([referral.senderUnitId])).get(
        referral.senderUnitId,
      );
      if (!sender || sender.organisationId !== principal.org) {
        return refuse();
      }
      const note = await repository.findMessage(id, referral.justificationMessageId);
      if (!note) {
        return refuse();
      }
      const purged = contentPurgedProblem(note.envelope);
      if (purged) {
        throw purged;
      }
      await ctx.audit.append({
        ...target,
        objectOrg: principal.org,
        actor: principal,
        outcome: 'allowed',
        detail: { messageId: note.id },
      });
      return {
        referralId: referral.id,
        senderUnitId: referral.senderUnitId,
        recipientUnitId: referral.recipientUnitId,
        copyUnitIds: referral.copyUnitIds,
        legalBasis: referral.legalBasis,
        createdAt: referral.createdAt.toISOString(),
        justification: { id: note.id, envelope: note.envelope },
      };
    },

    /**
     * Who has opened this referral (its envelope, its message thread, its record) and when, and
     * every refused attempt on it, from the audit log: for the parties' own people, so that they
     * see what an auditor sees of their case. Reading it is audited too.
     */
    async accessLog(principal: Principal, id: string) {
      const { referral } = await visible(principal, id, 'referral.access_log_read');
      // Every entry written before this read, chained first (it lists them in chain order).
      await ctx.audit.chainPending();
      const rows = await repository.accessLogEntries(id);
      const unitOfSide = (side: unknown): string | null =>
        side === 'sender'
          ? referral.senderUnitId
          : side === 'recipient'
            ? referral.recipientUnitId
            : null;
      await ctx.audit.append({
        action: 'referral.access_log_read',
        objectType: 'referral',
        objectId: id,
        objectOrg: principal.org,
        actor: principal,
        outcome: 'allowed',
        detail: { entries: rows.length },
      });
      return {
        referralId: id,
        items: rows.map((e) => ({
          at: e.at.toISOString(),
          action: e.action,
          outcome: e.outcome,
          person: e.actorSub,
          issuer: e.actorIssuer,
          organisationId: e.actorOrg,
          side: typeof e.detail.side === 'string' ? e.detail.side : null,
          unitId: unitOfSide(e.detail.side),
          refused: typeof e.detail.refused === 'string' ? e.detail.refused : null,
        })),
      };
    },
  };
}

export type ReferralQueries = ReturnType<typeof createReferralQueries>;

/**
 * Why a box is refused, in words an integrator can act on: the token's roles or units, not "You
 * may not do this" alone. Says nothing about the unit beyond what the caller sent.
 */
function notActingFor(unit: string | undefined): string {
  const rule = `the token must claim the unit, and the directory list you as its member with a case-handling role (${CASE_HANDLING_ROLES.join(', ')})`;
  return unit === undefined
    ? `You act for no unit, so you have no referrals to list: ${rule}`
    : `You do not act for unit ${unit}: ${rule}`;
}
