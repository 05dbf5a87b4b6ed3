import { randomBytes, randomUUID } from 'node:crypto';
import {
  AuditEntryEntity,
  CommonProblems,
  hasRole,
  ProblemError,
  type Principal,
} from '@samverkan/shared';
import type { EntityManager } from 'typeorm';
import { OperationShiftEntity } from '../entities';
import { change, deny, type ReferralsContext } from '../services/context';
import { CONTENT_READS, pickReviewItems, type ReviewEntry, type ReviewFinding } from './log-review';
import { OnCallShiftEntity } from './on-call-shifts';
import { AuditReviewEntity, AuditReviewItemEntity } from './records.entities';
import { RecordsProblems as R } from './records.errors';

export const DEFAULT_SAMPLE_SIZE = 20;
/** At most this many entries of a period are looked at; a longer period must be split. */
const MAX_PERIOD_ENTRIES = 200_000;
const MAX_PERIOD_DAYS = 366;

export interface ReviewCreate {
  from: string;
  to: string;
  sampleSize?: number;
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);

/** A person as the hub knows them: token issuer and subject (null issuer on older rows). */
function actor(issuer: string | null, subject: string) {
  return { issuer, subject };
}

export function reviewView(review: AuditReviewEntity, items: AuditReviewItemEntity[]) {
  const findings = { appropriate: 0, inappropriate: 0, needs_follow_up: 0, open: 0 };
  for (const i of items) {
    findings[(i.finding as ReviewFinding | null) ?? 'open'] += 1;
  }
  return {
    id: review.id,
    organisationId: review.organisationId,
    from: review.periodFrom.toISOString(),
    to: review.periodTo.toISOString(),
    sampleSize: review.sampleSize,
    seed: review.seed,
    headSeq: Number(review.headSeq),
    readsInPeriod: review.readsInPeriod,
    createdBy: actor(review.createdByIssuer, review.createdBy),
    createdAt: review.createdAt.toISOString(),
    status: review.status as 'open' | 'signed_off',
    signedOffBy: review.signedOffBy ? actor(review.signedOffByIssuer, review.signedOffBy) : null,
    signedOffAt: iso(review.signedOffAt),
    conclusion: review.conclusion as 'no_remarks' | 'remarks' | null,
    findings,
    items: items.map((i) => ({
      itemNo: i.itemNo,
      auditSeq: Number(i.auditSeq),
      at: i.at.toISOString(),
      person: i.actorSub,
      issuer: i.actorIssuer,
      organisationId: i.actorOrg,
      action: i.action,
      objectType: i.objectType,
      objectId: i.objectId,
      outcome: i.outcome as 'allowed' | 'denied',
      reasons: i.reasons,
      finding: i.finding as ReviewFinding | null,
      findingReference: i.findingReference,
      foundBy: i.foundBy ? actor(i.foundByIssuer, i.foundBy) : null,
      foundAt: iso(i.foundAt),
    })),
  };
}

export type ReviewView = ReturnType<typeof reviewView>;

/**
 * Log reviews (docs/log-review.md) for the auditors of an organisation: over the referrals
 * service's audit entries their organisation may see (actor, object owner or a party), a random
 * sample of content reads plus everything unusual; a finding per item and a sign-off. Generating,
 * each finding and the sign-off are audit entries themselves, so the review is in the chain.
 */
export function createLogReviewsService(ctx: ReferralsContext) {
  const reviews = () => ctx.dataSource.getRepository(AuditReviewEntity);
  const itemsRepo = (m: EntityManager = ctx.dataSource.manager) =>
    m.getRepository(AuditReviewItemEntity);

  async function auditorOnly(principal: Principal, action: string, objectId?: string) {
    if (!hasRole(principal, 'auditor')) {
      await deny(
        ctx,
        principal,
        { action, objectType: 'audit_review', objectId: objectId ?? null },
        'Log reviews are for the auditors of an organisation',
      );
    }
  }

  async function ownReview(principal: Principal, id: string, action: string) {
    await auditorOnly(principal, action, id);
    const review = await reviews().findOneBy({ id });
    if (!review || review.organisationId !== principal.org) {
      await deny(
        ctx,
        principal,
        { action, objectType: 'audit_review', objectId: id },
        new ProblemError(R.reviewNotFound),
      );
    }
    return review!;
  }

  async function load(id: string, m: EntityManager = ctx.dataSource.manager) {
    const review = await m.getRepository(AuditReviewEntity).findOneByOrFail({ id });
    const items = await itemsRepo(m).find({ where: { reviewId: id }, order: { itemNo: 'ASC' } });
    return reviewView(review, items);
  }

  function period(input: ReviewCreate) {
    const from = new Date(input.from);
    const to = new Date(input.to);
    const bad = (field: string, message: string) =>
      new ProblemError(CommonProblems.validation, `${field} ${message}`, {
        errors: [{ field: `body.${field}`, message }],
      });
    if (Number.isNaN(from.getTime())) {
      throw bad('from', 'is not a time');
    }
    if (Number.isNaN(to.getTime())) {
      throw bad('to', 'is not a time');
    }
    if (from >= to) {
      throw bad('from', 'must be before to');
    }
    if (to.getTime() - from.getTime() > MAX_PERIOD_DAYS * 86_400_000) {
      throw bad('to', `must be at most ${MAX_PERIOD_DAYS} days after from`);
    }
    if (to.getTime() > Date.now() + 60_000) {
      throw bad('to', 'must not be in the future');
    }
    return { from, to };
  }

  return {
    async create(principal: Principal, input: ReviewCreate) {
      const action = 'audit.review_generate';
      await auditorOnly(principal, action);
      const { from, to } = period(input);
      const sampleSize = input.sampleSize ?? DEFAULT_SAMPLE_SIZE;
      const id = randomUUID();
      const seed = randomBytes(16).toString('hex');
      // Entries are chained after commit (docs/audit.md): a review reads the chain, so what
      // still waits to be chained is chained first.
      await ctx.audit.chainPending();
      return change(
        ctx,
        principal,
        {
          action,
          objectType: 'audit_review',
          objectId: id,
          objectOrg: principal.org,
          detail: { from: from.toISOString(), to: to.toISOString(), sampleSize, seed },
        },
        async (tx) => {
          const audit = tx.getRepository(AuditEntryEntity).metadata.tablePath;
          const rows = (await tx.query(
            `SELECT seq, at, actor_sub, actor_issuer, actor_org, action, object_type, object_id,
                    outcome, detail
               FROM ${audit}
              WHERE at >= $1 AND at < $2
                AND (actor_org = $3 OR object_org = $3 OR $3 = ANY(party_orgs))
                AND (action = ANY($4) OR outcome = 'denied'
                     OR action IN ('referral.decline', 'referral.withdraw', 'referral.send'))
              ORDER BY seq
              LIMIT ${MAX_PERIOD_ENTRIES + 1}`,
            [from, to, principal.org, CONTENT_READS],
          )) as Array<Record<string, unknown>>;
          if (rows.length > MAX_PERIOD_ENTRIES) {
            throw new ProblemError(
              CommonProblems.validation,
              `More than ${MAX_PERIOD_ENTRIES} entries in the period: review a shorter one`,
              { errors: [{ field: 'body.to', message: 'gives too many entries' }] },
            );
          }
          const entries: ReviewEntry[] = rows.map((r) => ({
            seq: Number(r.seq),
            at: r.at as Date,
            actorSub: String(r.actor_sub),
            actorIssuer: (r.actor_issuer as string | null) ?? null,
            actorOrg: (r.actor_org as string | null) ?? null,
            action: String(r.action),
            objectType: String(r.object_type),
            objectId: (r.object_id as string | null) ?? null,
            outcome: String(r.outcome),
            detail: (r.detail as Record<string, unknown>) ?? {},
          }));
          // The person's shifts: operation shifts and the directory's on-call rosters.
          const operationShifts = await tx
            .getRepository(OperationShiftEntity)
            .createQueryBuilder('s')
            .where('s.removed_at IS NULL AND s.starts_at < :to AND s.ends_at > :from', { from, to })
            .getMany();
          const onCall = await tx
            .getRepository(OnCallShiftEntity)
            .createQueryBuilder('s')
            .where('NOT s.deleted AND s.starts_at < :to AND s.ends_at > :from', { from, to })
            .getMany();
          const shifts = [...operationShifts, ...onCall];
          const picks = pickReviewItems({ entries, shifts, sampleSize, seed });
          const [head] = (await tx.query(
            `SELECT COALESCE(max(seq), 0)::text AS seq FROM ${audit}`,
          )) as Array<{ seq: string }>;
          await tx.insert(AuditReviewEntity, {
            id,
            organisationId: principal.org,
            periodFrom: from,
            periodTo: to,
            sampleSize,
            seed,
            headSeq: head!.seq,
            readsInPeriod: entries.filter(
              (e) =>
                e.outcome === 'allowed' && (CONTENT_READS as readonly string[]).includes(e.action),
            ).length,
            createdBy: principal.sub,
            createdByIssuer: principal.iss,
            createdAt: new Date(),
            status: 'open',
            signedOffBy: null,
            signedOffByIssuer: null,
            signedOffAt: null,
            conclusion: null,
            version: 1,
          });
          if (picks.length > 0) {
            await tx.insert(
              AuditReviewItemEntity,
              picks.map((p, i) => ({
                reviewId: id,
                itemNo: i + 1,
                auditSeq: String(p.entry.seq),
                at: p.entry.at,
                actorSub: p.entry.actorSub,
                actorIssuer: p.entry.actorIssuer,
                actorOrg: p.entry.actorOrg,
                action: p.entry.action,
                objectType: p.entry.objectType,
                objectId: p.entry.objectId,
                outcome: p.entry.outcome,
                reasons: p.reasons,
                finding: null,
                findingReference: null,
                foundBy: null,
                foundByIssuer: null,
                foundAt: null,
              })),
            );
          }
          return { result: await load(id, tx), events: [] };
        },
      );
    },

    async list(principal: Principal) {
      await auditorOnly(principal, 'audit.review_list');
      const rows = await reviews().find({
        where: { organisationId: principal.org },
        order: { createdAt: 'DESC' },
        take: 200,
      });
      await ctx.audit.append({
        actor: principal,
        action: 'audit.review_list',
        objectType: 'audit_review',
        objectOrg: principal.org,
        outcome: 'allowed',
        partyOrgs: [principal.org],
        detail: { reviews: rows.length },
      });
      return {
        items: rows.map((r) => {
          const { items: _items, findings: _f, ...summary } = reviewView(r, []);
          return summary;
        }),
      };
    },

    async get(principal: Principal, id: string) {
      await ownReview(principal, id, 'audit.review_read');
      await ctx.audit.append({
        actor: principal,
        action: 'audit.review_read',
        objectType: 'audit_review',
        objectId: id,
        objectOrg: principal.org,
        outcome: 'allowed',
        partyOrgs: [principal.org],
      });
      return load(id);
    },

    async recordFinding(
      principal: Principal,
      id: string,
      itemNo: number,
      input: { finding: ReviewFinding; reference?: string | null },
    ) {
      const action = 'audit.review_finding';
      const review = await ownReview(principal, id, action);
      const target = {
        action,
        objectType: 'audit_review',
        objectId: id,
        objectOrg: principal.org,
        detail: { itemNo, finding: input.finding },
      };
      if (review.status !== 'open') {
        await deny(ctx, principal, target, new ProblemError(R.reviewSignedOff));
      }
      const item = await itemsRepo().findOneBy({ reviewId: id, itemNo });
      if (!item) {
        await deny(ctx, principal, target, new ProblemError(R.reviewItemNotFound));
      }
      return change(
        ctx,
        principal,
        { ...target, detail: { ...target.detail, auditSeq: Number(item!.auditSeq) } },
        async (tx) => {
          // Serialises with a sign-off: no finding slips in after it.
          const locked = await tx
            .getRepository(AuditReviewEntity)
            .findOne({ where: { id }, lock: { mode: 'pessimistic_write' } });
          if (locked!.status !== 'open') {
            throw new ProblemError(R.reviewSignedOff);
          }
          await tx.update(
            AuditReviewItemEntity,
            { reviewId: id, itemNo },
            {
              finding: input.finding,
              findingReference: input.reference ?? null,
              foundBy: principal.sub,
              foundByIssuer: principal.iss,
              foundAt: new Date(),
            },
          );
          return { result: await load(id, tx), events: [] };
        },
      );
    },

    async signOff(
      principal: Principal,
      id: string,
      input: { conclusion: 'no_remarks' | 'remarks' },
    ) {
      const action = 'audit.review_sign_off';
      const review = await ownReview(principal, id, action);
      const target = {
        action,
        objectType: 'audit_review',
        objectId: id,
        objectOrg: principal.org,
        detail: { conclusion: input.conclusion },
      };
      if (review.status !== 'open') {
        await deny(ctx, principal, target, new ProblemError(R.reviewSignedOff));
      }
      const current = await load(id);
      if (current.findings.open > 0) {
        await deny(
          ctx,
          principal,
          target,
          new ProblemError(
            R.reviewIncomplete,
            `${current.findings.open} items have no finding yet`,
          ),
        );
      }
      if (input.conclusion === 'no_remarks' && current.findings.inappropriate > 0) {
        await deny(
          ctx,
          principal,
          target,
          new ProblemError(
            CommonProblems.validation,
            'A review with an inappropriate access cannot be concluded without remarks',
            { errors: [{ field: 'body.conclusion', message: 'must be remarks' }] },
          ),
        );
      }
      return change(
        ctx,
        principal,
        { ...target, detail: { ...target.detail, findings: current.findings } },
        async (tx) => {
          const locked = await tx
            .getRepository(AuditReviewEntity)
            .findOne({ where: { id }, lock: { mode: 'pessimistic_write' } });
          if (locked!.status !== 'open') {
            throw new ProblemError(R.reviewSignedOff);
          }
          await tx.update(
            AuditReviewEntity,
            { id },
            {
              status: 'signed_off',
              signedOffBy: principal.sub,
              signedOffByIssuer: principal.iss,
              signedOffAt: new Date(),
              conclusion: input.conclusion,
              version: locked!.version + 1,
            },
          );
          return { result: await load(id, tx), events: [] };
        },
      );
    },

    /** The review for export (CSV, printable HTML); the export is audited like a read. */
    async export(principal: Principal, id: string, format: 'csv' | 'html') {
      await ownReview(principal, id, 'audit.review_export');
      await ctx.audit.append({
        actor: principal,
        action: 'audit.review_export',
        objectType: 'audit_review',
        objectId: id,
        objectOrg: principal.org,
        outcome: 'allowed',
        partyOrgs: [principal.org],
        detail: { format },
      });
      return load(id);
    },
  };
}

export type LogReviewsService = ReturnType<typeof createLogReviewsService>;
