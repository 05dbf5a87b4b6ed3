import { contentPurgedProblem } from '../records/purged-content';
import { randomUUID } from 'node:crypto';
import {
  AAD_MEMBERS,
  AuditEntryEntity,
  canonicalJson,
  CommandPipeline,
  CommonProblems,
  envelopeRoutingInfo,
  EnvelopeError,
  ProblemError,
  sameValue,
  type EnvelopeRoutingInfo,
  type Principal,
} from '@samverkan/shared';
import { Brackets, type EntityManager } from 'typeorm';
import {
  DirectoryUnitEntity,
  ReferralEntity,
  ReferralEventEntity,
  ReferralMessageEntity,
} from '../entities';
import type { HandoverState } from '../entities/referral.entity';
import { acknowledgeDeadline, type Urgency } from '../domain/deadlines';
import { ReferralProblems as P } from '../domain/errors';
import {
  ACTING_ROLES,
  REFERRAL_STATUSES,
  canRead,
  sideOf,
  transition,
  type ReferralAction,
  type ReferralState,
  type TransitionInput,
} from '../domain/referral-lifecycle';
import { checkSharingRules, type OrganisationKind } from '../domain/sharing-rules';
import { ReferralEvents } from '../events/referral-events';
import { deny, type PendingEvent, type ReferralsContext } from './context';
import { referralView } from './views';
import { sendReferralCommand } from '../commands/send-referral';
import { requireAuditRecipients } from './audit-sealing';

export interface ReferralCreate {
  id: string;
  senderUnitId: string;
  recipientUnitId: string;
  copyUnitIds?: string[];
  category: string;
  urgency: Urgency;
  ageBand: string;
  gender: string;
  citizenshipGroup: string;
  municipalityCode: string;
  legalBasis: string;
  /** acute_protection: the sender's justification, sealed for the parties (never clear text) */
  justification?: SealedNote;
  envelope: Record<string, unknown>;
}

/**
 * Free text about a case that goes with a request (an acute_protection justification, a decline
 * note): a message on the referral's thread, sealed by the writing unit's client for the other
 * parties and itself (openapi `SealedNote`). The hub checks its routing like any message's and
 * stores it in the thread; it never sees the text.
 */
export interface SealedNote {
  id: string;
  envelope: Record<string, unknown>;
}

export interface ReferralListQuery {
  box: 'inbox' | 'outbox';
  /** One of the caller's units; without it, every unit the caller acts for. */
  unit?: string;
  status?: string[];
  urgency?: string;
  category?: string;
  from?: string;
  to?: string;
  limit: number;
  cursor?: string;
}

/** A sealed envelope older than this is refused (a sender seals just before it sends). */
export const ENVELOPE_IAT_MAX_AGE_SECONDS = 24 * 3600;
/** Clock difference tolerated between a sender and the hub. */
export const ENVELOPE_IAT_MAX_FUTURE_SECONDS = 300;

const sorted = (ids: readonly string[]) => [...ids].sort();
const sameSet = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && sorted(a).every((v, i) => v === sorted(b)[i]);

function toState(r: ReferralEntity): ReferralState {
  const h = r.handover;
  return {
    status: r.status as ReferralState['status'],
    senderUnitId: r.senderUnitId,
    recipientUnitId: r.recipientUnitId,
    copyUnitIds: r.copyUnitIds,
    acknowledgedAt: r.acknowledgedAt,
    acceptedAt: r.acceptedAt,
    declinedAt: r.declinedAt,
    declineReason: r.declineReason as ReferralState['declineReason'],
    closedAt: r.closedAt,
    outcome: r.outcome as ReferralState['outcome'],
    handover:
      h.mode && h.plannedFor
        ? {
            mode: h.mode,
            plannedFor: new Date(h.plannedFor),
            senderConfirmation: h.senderConfirmation
              ? { ...h.senderConfirmation, at: new Date(h.senderConfirmation.at) }
              : null,
            recipientConfirmation: h.recipientConfirmation
              ? { ...h.recipientConfirmation, at: new Date(h.recipientConfirmation.at) }
              : null,
          }
        : null,
    version: r.version,
  };
}

function applyState(r: ReferralEntity, s: ReferralState): void {
  r.status = s.status;
  r.acknowledgedAt = s.acknowledgedAt;
  r.acceptedAt = s.acceptedAt;
  r.declinedAt = s.declinedAt;
  r.declineReason = s.declineReason;
  r.closedAt = s.closedAt;
  r.outcome = s.outcome;
  r.version = s.version;
  const conf = (c: { unitId: string; userId: string; organisationId?: string; at: Date } | null) =>
    c
      ? {
          unitId: c.unitId,
          userId: c.userId,
          ...(c.organisationId === undefined ? {} : { organisationId: c.organisationId }),
          at: c.at.toISOString(),
        }
      : null;
  r.handover = s.handover
    ? {
        mode: s.handover.mode,
        plannedFor: s.handover.plannedFor.toISOString(),
        senderConfirmation: conf(s.handover.senderConfirmation),
        recipientConfirmation: conf(s.handover.recipientConfirmation),
      }
    : emptyHandover();
}

export function emptyHandover(): HandoverState {
  return { mode: null, plannedFor: null, senderConfirmation: null, recipientConfirmation: null };
}

/** What every referral event carries: routing facts, never content. */
export function eventData(r: ReferralEntity, extra: Record<string, unknown> = {}) {
  return {
    referralId: r.id,
    senderUnitId: r.senderUnitId,
    recipientUnitId: r.recipientUnitId,
    copyUnitIds: r.copyUnitIds,
    category: r.category,
    urgency: r.urgency,
    status: r.status,
    municipalityCode: r.municipalityCode,
    ...extra,
  };
}

/** The audited actions that open a referral's content or record: what its access log lists. */
const ACCESS_LOG_READS = [
  'referral.envelope_read',
  'referral.justification_read',
  'referral.messages_read',
  'referral.read',
  'referral.timeline_read',
];
const MAX_ACCESS_LOG_ENTRIES = 1000;

export function createReferralsService(ctx: ReferralsContext) {
  const repo = ctx.dataSource.getRepository(ReferralEntity);
  const pipeline = new CommandPipeline(ctx, (event) =>
    ctx.events.outbox.envelope(event.type, event.data),
  );

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
    const referral = await repo.findOneBy({ id });
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

  /**
   * The server's envelope checks (docs/envelope.md, "What the hub checks"): structure and size,
   * version 2, every clear member of the request equal to the one bound in the AAD, a plausible
   * signing time, and the recipient entries exactly the active encryption keys of the addressed
   * units and of the sender's unit — none missing, none extra. It never decrypts anything.
   */
  async function checkEnvelope(
    envelope: Record<string, unknown>,
    expected: {
      rid: string;
      from: string;
      to: string[];
      kind: 'referral' | 'message' | 'field_request';
      /** What the hub will show in clear, by aad member name (docs/envelope.md). */
      record: Record<string, unknown>;
    },
    manager?: EntityManager,
    /** the addressed units, when the caller has read them already */
    known?: Map<string, DirectoryUnitEntity>,
  ): Promise<EnvelopeRoutingInfo> {
    let info: EnvelopeRoutingInfo;
    try {
      info = envelopeRoutingInfo(envelope);
    } catch (err) {
      throw new ProblemError(
        P.envelopeMalformed,
        err instanceof EnvelopeError ? err.message : undefined,
        err instanceof EnvelopeError && err.field
          ? { errors: [{ field: `envelope.aad.${err.field}`, message: err.message }] }
          : {},
      );
    }
    if (info.sizeBytes > ctx.envelopeMaxBytes) {
      throw new ProblemError(P.envelopeTooLarge, `At most ${ctx.envelopeMaxBytes} bytes`);
    }
    if (info.kind !== expected.kind) {
      throw new ProblemError(
        P.envelopeMalformed,
        `This is a ${info.kind} envelope, not a ${expected.kind}`,
      );
    }
    if (info.version !== 2 || !info.metadata) {
      // Stored version 1 envelopes are still served and opened; new ones must bind all metadata.
      throw new ProblemError(
        P.envelopeMalformed,
        'Version 1 envelopes are no longer accepted: seal with envelope version 2 (docs/envelope.md)',
      );
    }
    const mismatch = (field: string): never => {
      throw new ProblemError(
        P.envelopeAadMismatch,
        `The envelope's authenticated data has another ${field} than the request`,
        {
          errors: [{ field, message: 'differs from the envelope’s authenticated data' }],
          extensions: { field },
        },
      );
    };
    const metadata = info.metadata as unknown as Record<string, unknown>;
    for (const member of AAD_MEMBERS[expected.kind]) {
      if (member === 'v' || member === 'iat') {
        continue;
      }
      if (member === 'kind') {
        continue;
      }
      if (!sameValue(member, metadata[member], expected.record[member])) {
        mismatch(member);
      }
    }
    const { aad } = info;
    if (aad.rid !== expected.rid || aad.from !== expected.from || !sameSet(aad.to, expected.to)) {
      mismatch(
        aad.rid !== expected.rid ? 'id' : aad.from !== expected.from ? 'sender' : 'recipients',
      );
    }
    const now = Math.floor(Date.now() / 1000);
    if (
      aad.iat > now + ENVELOPE_IAT_MAX_FUTURE_SECONDS ||
      aad.iat < now - ENVELOPE_IAT_MAX_AGE_SECONDS
    ) {
      throw new ProblemError(
        P.envelopeIatImplausible,
        `iat must be within the last ${ENVELOPE_IAT_MAX_AGE_SECONDS / 3600} hours and at most ${ENVELOPE_IAT_MAX_FUTURE_SECONDS} seconds ahead of the hub's clock; seal the envelope again`,
        { errors: [{ field: 'envelope.aad.iat', message: 'is implausible' }] },
      );
    }
    const addressed =
      known ?? (await ctx.directory.units([expected.from, ...expected.to], manager));
    const missing: Array<{ unitId: string; kid: string }> = [];
    const expectedKids = new Set<string>();
    for (const unitId of [expected.from, ...expected.to]) {
      for (const kid of addressed.get(unitId)?.activeEncryptionKids ?? []) {
        expectedKids.add(kid);
        if (!info.recipientKids.includes(kid)) {
          missing.push({ unitId, kid });
        }
      }
    }
    if (missing.length > 0) {
      throw new ProblemError(
        P.envelopeKeyMissing,
        missing.map((m) => `unit ${m.unitId} expects key ${m.kid}`).join('; '),
        { extensions: { missingKeys: missing } },
      );
    }
    // An entry for any other key would hand the content to whoever holds it.
    const unexpected = info.recipientKids.filter((kid) => !expectedKids.has(kid));
    if (unexpected.length > 0) {
      throw new ProblemError(
        P.envelopeKeyUnexpected,
        `No addressed unit (nor the sender's unit) has an active encryption key ${unexpected.join(', ')}`,
        { extensions: { unexpectedKids: unexpected } },
      );
    }
    return info;
  }

  async function timeline(
    tx: EntityManager,
    referralId: string,
    event: string,
    actorUnitId: string | null,
    detail = {},
  ) {
    await tx.insert(ReferralEventEntity, {
      id: randomUUID(),
      referralId,
      at: new Date(),
      event,
      actorUnitId,
      detail,
    });
  }

  /** The parties a note (a thread message) from `from` is sealed for: every other unit. */
  function noteAddressees(
    r: Pick<ReferralEntity, 'senderUnitId' | 'recipientUnitId' | 'copyUnitIds'>,
    from: string,
  ): string[] {
    return [...new Set([r.senderUnitId, r.recipientUnitId, ...r.copyUnitIds])].filter(
      (u) => u !== from,
    );
  }

  /**
   * The envelope checks of a sealed note: a message on `r`'s thread from `from`, sealed for the
   * other parties and, for a justification, for `auditUnits` (the sender organisation's).
   */
  async function checkNote(
    r: Pick<ReferralEntity, 'id' | 'senderUnitId' | 'recipientUnitId' | 'copyUnitIds'>,
    from: string,
    note: SealedNote,
    manager?: EntityManager,
    known?: Map<string, DirectoryUnitEntity>,
    auditUnits: DirectoryUnitEntity[] = [],
  ): Promise<EnvelopeRoutingInfo> {
    requireAuditRecipients(note.envelope, auditUnits);
    const to = [...new Set([...noteAddressees(r, from), ...auditUnits.map((u) => u.unitId)])];
    if (known && auditUnits.length > 0) {
      known = new Map([...known, ...auditUnits.map((u) => [u.unitId, u] as const)]);
    }
    return checkEnvelope(
      note.envelope,
      {
        rid: r.id,
        from,
        to,
        kind: 'message',
        record: { referralId: r.id, messageId: note.id, senderUnitId: from, recipientUnitIds: to },
      },
      manager,
      known,
    );
  }

  /** Stores a sealed note as a message of `r`'s thread (checked, unless `info` says it was). */
  async function insertNote(
    tx: EntityManager,
    r: Pick<ReferralEntity, 'id' | 'senderUnitId' | 'recipientUnitId' | 'copyUnitIds'>,
    from: string,
    note: SealedNote,
    known?: Map<string, DirectoryUnitEntity>,
    checked?: EnvelopeRoutingInfo,
    auditUnits: DirectoryUnitEntity[] = [],
  ): Promise<void> {
    const info = checked ?? (await checkNote(r, from, note, tx, known, auditUnits));
    if (await tx.existsBy(ReferralMessageEntity, { id: note.id })) {
      throw new ProblemError(
        {
          ...CommonProblems.conflict,
          slug: 'message-exists',
          title: 'A message with this id exists',
          code: 'REFERRALS_MESSAGE_EXISTS',
        },
        `Seal the note with a new message id`,
      );
    }
    await tx.insert(ReferralMessageEntity, {
      id: note.id,
      referralId: r.id,
      senderUnitId: from,
      envelope: note.envelope,
      envelopeSize: info.sizeBytes,
      createdAt: new Date(),
    } as never);
  }

  /** Checks and inserts one referral (a send, or one leg of a forward) inside `tx`. */
  async function createReferral(
    tx: EntityManager,
    input: ReferralCreate,
    forwardedFromId: string | null,
    /** the caller's verified units: whose referrals an id conflict may be told about */
    actingUnits: string[],
  ): Promise<{ entity: ReferralEntity; events: PendingEvent[] }> {
    const copies = input.copyUnitIds ?? [];
    const recipients = [input.recipientUnitId, ...copies];
    // One read of the read model for the sharing rules and the envelope's key check.
    const units = await ctx.directory.units([input.senderUnitId, ...recipients], tx);
    checkSharingRules({
      legalBasis: input.legalBasis as never,
      ageBand: input.ageBand as never,
      // A forward leg carries its original's legal basis, justified when the original was sent.
      justified: input.justification !== undefined || forwardedFromId !== null,
      senderUnitId: input.senderUnitId,
      recipients: recipients.map((unitId, i) => {
        const unit = units.get(unitId);
        return {
          unitId,
          organisationKind: (unit?.organisationKind ?? 'other') as OrganisationKind,
          role: i === 0 ? ('recipient' as const) : ('copy' as const),
          // An audit unit never receives referrals: it is refused as an inactive one is.
          status:
            unit && unit.organisationKind !== 'unknown' && unit.purpose !== 'audit'
              ? unit.status
              : 'inactive',
        };
      }),
    });
    const info = await checkEnvelope(
      input.envelope,
      {
        rid: input.id,
        from: input.senderUnitId,
        to: recipients,
        kind: 'referral',
        record: { ...input, referralId: input.id, copyUnitIds: copies, forwardedFromId },
      },
      tx,
      units,
    );
    const existing = await tx.findOneBy(ReferralEntity, { id: input.id });
    if (existing && forwardedFromId === null && isSameSend(existing, input)) {
      // The same send again — a client retrying after the hub committed but could not answer
      // (a replica killed, Postgres restarting between commit and reply, the Idempotency-Key's
      // record left pending) — gets the referral it created, and nothing is written twice.
      return { entity: existing, events: [] };
    }
    if (existing && !canRead(sideOf({ units: actingUnits }, existing))) {
      // Someone else's referral: answered as GET answers it (404), so that a send cannot tell
      // an outsider that an id they hold is taken when a read would not.
      throw new ProblemError(P.referralNotFound, `No referral ${input.id} that you can see`);
    }
    if (existing) {
      throw new ProblemError({
        ...CommonProblems.conflict,
        slug: 'referral-exists',
        code: 'REFERRALS_REFERRAL_EXISTS',
      });
    }
    const now = new Date();
    const entity = tx.create(ReferralEntity, {
      id: input.id,
      senderUnitId: input.senderUnitId,
      recipientUnitId: input.recipientUnitId,
      copyUnitIds: copies,
      category: input.category,
      urgency: input.urgency,
      ageBand: input.ageBand,
      gender: input.gender,
      citizenshipGroup: input.citizenshipGroup,
      municipalityCode: input.municipalityCode,
      legalBasis: input.legalBasis,
      justification: null,
      justificationMessageId: input.justification?.id ?? null,
      declineNoteMessageId: null,
      status: 'sent',
      envelope: input.envelope,
      envelopeSize: info.sizeBytes,
      acknowledgeBy: acknowledgeDeadline(input.urgency, now, ctx.deadlines),
      acknowledgedAt: null,
      acceptedAt: null,
      declinedAt: null,
      declineReason: null,
      closedAt: null,
      outcome: null,
      forwardedFromId,
      forwardedToIds: [],
      handover: emptyHandover(),
      escalationLevel: 0,
      version: 1,
    });
    await tx.insert(ReferralEntity, entity as never);
    if (input.justification) {
      // Sealed for the leg's parties and the forwarding organisation's auditors.
      const senderOrg = units.get(entity.senderUnitId)?.organisationId;
      const auditUnits = senderOrg ? await ctx.directory.auditUnits(senderOrg, tx) : [];
      await insertNote(
        tx,
        entity,
        entity.senderUnitId,
        input.justification,
        units,
        undefined,
        auditUnits,
      );
    }
    await timeline(tx, entity.id, 'sent', entity.senderUnitId, {
      ...(forwardedFromId ? { forwardedFromId } : {}),
      ...(input.justification ? { justificationMessageId: input.justification.id } : {}),
    });
    const saved = await tx.findOneByOrFail(ReferralEntity, { id: entity.id });
    return { entity: saved, events: [{ type: ReferralEvents.sent, data: eventData(saved) }] };
  }

  const sendCommand = sendReferralCommand({
    schema: repo.metadata.schema ?? 'referrals',
    deadlines: ctx.deadlines,
    checkEnvelope: (envelope, expected, manager, known) =>
      checkEnvelope(envelope, expected, manager, known),
    existing: (id) => repo.findOneBy({ id }),
  });

  return {
    /**
     * The access and envelope rules, shared with the services of things that hang off a referral
     * (its message thread) so that they cannot drift apart from the referral's own.
     */
    rules: { actingPrincipal, visible, checkEnvelope },

    /** On the write pipeline: at most four round trips (commands/send-referral.ts). */
    async send(principal: Principal, input: ReferralCreate) {
      return pipeline.run(sendCommand, principal, input);
    },

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
        await deny(ctx, principal, {
          action: 'referral.list',
          objectType: 'unit',
          objectId: query.unit ?? null,
        });
      }
      // Without `unit`, every unit the caller acts for: a person with one unit never names it.
      const units = query.unit === undefined ? acting.units : [query.unit];
      const qb = repo
        .createQueryBuilder('r')
        .orderBy('r.created_at', 'DESC')
        .addOrderBy('r.id', 'DESC')
        .take(query.limit + 1);
      if (query.box === 'inbox') {
        qb.where(
          new Brackets((w) => {
            w.where('r.recipient_unit_id IN (:...units)', { units }).orWhere(
              'r.copy_unit_ids && CAST(:unitArray AS uuid[])',
              { unitArray: units },
            );
          }),
        );
      } else {
        qb.where('r.sender_unit_id IN (:...units)', { units });
      }
      if (query.status?.length) {
        qb.andWhere('r.status IN (:...status)', { status: query.status });
      }
      if (query.urgency) {
        qb.andWhere('r.urgency = :urgency', { urgency: query.urgency });
      }
      if (query.category) {
        qb.andWhere('r.category = :category', { category: query.category });
      }
      if (query.from) {
        qb.andWhere('r.created_at >= :from', { from: query.from });
      }
      if (query.to) {
        qb.andWhere('r.created_at < :to', { to: query.to });
      }
      if (query.cursor) {
        const after = decodeCursor(query.cursor);
        qb.andWhere('(r.created_at, r.id) < (:c, :i)', { c: after.c, i: after.i });
      }
      const rows = await qb.getMany();
      const page = rows.slice(0, query.limit);
      const last = page[page.length - 1];
      return {
        items: page.map(referralView),
        nextCursor:
          rows.length > query.limit && last
            ? Buffer.from(JSON.stringify({ c: last.createdAt.toISOString(), i: last.id })).toString(
                'base64url',
              )
            : null,
      };
    },

    async counts(principal: Principal, box: 'inbox' | 'outbox', unit: string) {
      const acting = await actingPrincipal(principal);
      if (!acting.units.includes(unit)) {
        await deny(ctx, principal, {
          action: 'referral.counts',
          objectType: 'unit',
          objectId: unit,
        });
      }
      const where =
        box === 'inbox'
          ? '(r.recipient_unit_id = $1 OR $1 = ANY(r.copy_unit_ids))'
          : 'r.sender_unit_id = $1';
      const rows = (await ctx.dataSource.query(
        `SELECT r.status, count(*)::int AS n,
                count(*) FILTER (WHERE r.urgency = 'acute' AND r.status IN ('sent', 'received'))::int AS acute
           FROM ${repo.metadata.tablePath} r WHERE ${where} GROUP BY r.status`,
        [unit],
      )) as Array<{ status: string; n: number; acute: number }>;
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
      const rows = await ctx.dataSource
        .getRepository(ReferralEventEntity)
        .find({ where: { referralId: id }, order: { at: 'ASC' } });
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
     * Who has opened this referral (its envelope, its message thread, its record) and when, and
     * every refused attempt on it, from the audit log: for the parties' own people, so that they
     * see what an auditor sees of their case. Reading it is audited too.
     */
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
      const referral = await repo.findOneBy({ id });
      if (!referral || !referral.justificationMessageId) {
        return refuse();
      }
      const sender = (await ctx.directory.units([referral.senderUnitId])).get(
        referral.senderUnitId,
      );
      if (!sender || sender.organisationId !== principal.org) {
        return refuse();
      }
      const note = await ctx.dataSource
        .getRepository(ReferralMessageEntity)
        .findOneBy({ id: referral.justificationMessageId, referralId: id });
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

    async accessLog(principal: Principal, id: string) {
      const { referral } = await visible(principal, id, 'referral.access_log_read');
      // Every entry written before this read, chained first (it lists them in chain order).
      await ctx.audit.chainPending();
      const rows = await ctx.dataSource
        .getRepository(AuditEntryEntity)
        .createQueryBuilder('a')
        .where('a.object_type = :type AND a.object_id = :id', { type: 'referral', id })
        .andWhere('(a.action IN (:...reads) OR a.outcome = :denied)', {
          reads: ACCESS_LOG_READS,
          denied: 'denied',
        })
        .orderBy('a.seq', 'ASC')
        .take(MAX_ACCESS_LOG_ENTRIES)
        .getMany();
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

    /** A lifecycle action (docs/architecture.md#referral-lifecycle), decided by the pure state machine in domain/. */
    async act(principal: Principal, id: string, action: ReferralAction, input: TransitionInput) {
      const seen = await visible(principal, id, `referral.${action}`);
      const { acting } = seen;
      // confirm-handover names the side it confirms (HandoverConfirm.side): the caller acts in
      // that capacity and must be a member of that side's unit (403 otherwise), rather than
      // silently confirming whichever side the caller happens to belong to first.
      const requested =
        action === 'confirm_handover' ? (input as { side?: unknown }).side : undefined;
      const side = requested === 'sender' || requested === 'recipient' ? requested : seen.side;
      const target = {
        action: `referral.${action}`,
        objectType: 'referral',
        objectId: id,
        objectOrg: principal.org,
      };
      const note = action === 'decline' ? (input as { note?: SealedNote }).note : undefined;
      return pipeline.transact(principal, { ...target, detail: { side } }, async (tx) => {
        const referral = await tx.findOneOrFail(ReferralEntity, {
          where: { id },
          lock: { mode: 'pessimistic_write' },
        });
        const { next, events } = transition(
          toState(referral),
          action,
          action === 'decline' ? { ...input, noteMessageId: note?.id ?? null } : input,
          { principal: acting, side },
          new Date(),
        );
        if (note) {
          // Checked and stored in this transaction (its reads on `tx`); only the recipient
          // unit declines, so the note is from it, sealed for the other parties.
          await insertNote(tx, referral, referral.recipientUnitId, note);
          referral.declineNoteMessageId = note.id;
        }
        applyState(referral, next);
        await tx.save(ReferralEntity, referral);
        const actorUnit =
          side === 'sender'
            ? referral.senderUnitId
            : side === 'recipient'
              ? referral.recipientUnitId
              : null;
        const pending: PendingEvent[] = [];
        for (const e of events) {
          await timeline(tx, id, e.event, actorUnit, timelineDetail(e.detail));
          const type = (ReferralEvents as Record<string, string>)[eventKey(e.event)];
          if (type) {
            pending.push({ type, data: eventData(referral, publicDetail(e.event, referral)) });
          }
        }
        return { result: referralView(referral), events: pending };
      });
    },

    /**
     * A coordinator of the recipient unit passes the referral on: one new referral per unit, each
     * with its own envelope (re-encrypted by the coordinator's client), linked to the original,
     * whose status becomes `forwarded`.
     */
    async forward(
      principal: Principal,
      id: string,
      forwards: Array<{
        id: string;
        recipientUnitId: string;
        copyUnitIds?: string[];
        justification?: SealedNote;
        envelope: Record<string, unknown>;
      }>,
    ) {
      const { side, acting, referral: original } = await visible(principal, id, 'referral.forward');
      const target = {
        action: 'referral.forward',
        objectType: 'referral',
        objectId: id,
        objectOrg: principal.org,
      };
      return pipeline.transact(
        principal,
        { ...target, detail: { forwards: forwards.map((f) => f.id) } },
        async (tx) => {
          const referral = await tx.findOneOrFail(ReferralEntity, {
            where: { id },
            lock: { mode: 'pessimistic_write' },
          });
          const { next, events } = transition(
            toState(referral),
            'forward',
            { forwards: forwards.map((f) => ({ id: f.id, recipientUnitId: f.recipientUnitId })) },
            { principal: acting, side },
            new Date(),
          );
          const created: ReferralEntity[] = [];
          const pending: PendingEvent[] = [];
          for (const f of forwards) {
            const leg = await createReferral(
              tx,
              {
                id: f.id,
                senderUnitId: original.recipientUnitId,
                recipientUnitId: f.recipientUnitId,
                copyUnitIds: f.copyUnitIds ?? [],
                category: original.category,
                urgency: original.urgency,
                ageBand: original.ageBand,
                gender: original.gender,
                citizenshipGroup: original.citizenshipGroup,
                municipalityCode: original.municipalityCode,
                legalBasis: original.legalBasis,
                ...(f.justification ? { justification: f.justification } : {}),
                envelope: f.envelope,
              },
              id,
              acting.units,
            );
            created.push(leg.entity);
            pending.push(...leg.events);
          }
          applyState(referral, next);
          referral.forwardedToIds = created.map((c) => c.id);
          await tx.save(ReferralEntity, referral);
          for (const e of events) {
            await timeline(tx, id, e.event, referral.recipientUnitId, {
              forwardedToIds: referral.forwardedToIds,
            });
          }
          pending.push({
            type: ReferralEvents.forwarded,
            data: eventData(referral, { forwardedToIds: referral.forwardedToIds }),
          });
          return {
            result: { original: referralView(referral), forwards: created.map(referralView) },
            events: pending,
          };
        },
      );
    },
  };
}

/** The timeline names units and times, not people: the acting user stays in the audit log. */
function timelineDetail(detail: Record<string, unknown>): Record<string, unknown> {
  const { by: _by, at: _at, ...rest } = detail;
  return rest;
}

function decodeCursor(cursor: string): { c: string; i: string } {
  try {
    const v = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as {
      c?: unknown;
      i?: unknown;
    };
    if (typeof v.c === 'string' && typeof v.i === 'string' && !Number.isNaN(Date.parse(v.c))) {
      return { c: v.c, i: v.i };
    }
  } catch {
    // fall through
  }
  throw new ProblemError(CommonProblems.validation, 'The cursor is not one this API gave out', {
    errors: [{ field: 'querystring.cursor', message: 'is not valid' }],
  });
}

/** Lifecycle event name → key of ReferralEvents (the side confirmations are timeline-only). */
function eventKey(event: string): string {
  return event.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase());
}

function publicDetail(event: string, r: ReferralEntity): Record<string, unknown> {
  switch (event) {
    case 'declined':
      return { reason: r.declineReason };
    case 'closed':
      return { outcome: r.outcome };
    default:
      return {};
  }
}

export type ReferralsService = ReturnType<typeof createReferralsService>;

/** Whether a stored referral is exactly what this send would create (same units, same envelope). */
export function isSameSend(existing: ReferralEntity, input: ReferralCreate): boolean {
  const copies = (ids: string[]) => [...ids].sort().join(',');
  return (
    existing.forwardedFromId === null &&
    existing.senderUnitId === input.senderUnitId &&
    existing.recipientUnitId === input.recipientUnitId &&
    copies(existing.copyUnitIds) === copies(input.copyUnitIds ?? []) &&
    existing.category === input.category &&
    existing.urgency === input.urgency &&
    canonicalJson(existing.envelope) === canonicalJson(input.envelope)
  );
}
