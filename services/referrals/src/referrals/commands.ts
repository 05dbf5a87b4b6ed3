import {
  CommonProblems,
  ProblemError,
  type AnswerRecord,
  type CommandPipeline,
  type EnvelopeRoutingInfo,
  type Principal,
} from '@samverkan/shared';
import type { EntityManager } from 'typeorm';
import type { DirectoryUnitEntity, ReferralEntity } from '../entities';
import { acknowledgeDeadline } from '../domain/deadlines';
import { ReferralProblems as P } from '../domain/errors';
import {
  canRead,
  sideOf,
  transition,
  type ReferralAction,
  type TransitionInput,
} from '../domain/referral-lifecycle';
import { checkSharingRules, type OrganisationKind } from '../domain/sharing-rules';
import { ReferralEvents } from '../events/referral-events';
import { sendReferralCommand } from '../commands/send-referral';
import type { PendingEvent, ReferralsContext } from '../services/context';
import { referralView } from '../services/views';
import type { ReferralAccess } from './access';
import type { EnvelopeChecks } from './envelope-check';
import {
  applyState,
  newReferralRecord,
  eventData,
  eventKey,
  isSameSend,
  publicDetail,
  timelineDetail,
  toState,
  type ReferralCreate,
  type SealedNote,
} from './model';
import type { ReferralsRepository } from './repository';

/**
 * The referral writes, each on the write pipeline (shared/src/pipeline): send (its own
 * four-round-trip command, commands/send-referral.ts), the lifecycle actions decided by the pure
 * state machine (domain/referral-lifecycle), and forwards.
 */
export function createReferralCommands(
  ctx: ReferralsContext,
  pipeline: CommandPipeline,
  repository: ReferralsRepository,
  access: ReferralAccess,
  envelopes: EnvelopeChecks,
) {
  const { visible } = access;
  const { checkEnvelope, checkNote } = envelopes;
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
    if (await repository.messageExists(tx, note.id)) {
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
    await repository.insertMessage(tx, {
      id: note.id,
      referralId: r.id,
      senderUnitId: from,
      envelope: note.envelope,
      envelopeSize: info.sizeBytes,
    });
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
    const existing = await repository.findByIdIn(tx, input.id);
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
    const entity = repository.create(
      tx,
      newReferralRecord(input, {
        copyUnitIds: copies,
        justificationMessageId: input.justification?.id ?? null,
        envelopeSize: info.sizeBytes,
        acknowledgeBy: acknowledgeDeadline(input.urgency, now, ctx.deadlines),
        forwardedFromId,
      }),
    );
    const saved = await repository.insert(tx, entity);
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
    await repository.appendTimeline(tx, entity.id, 'sent', entity.senderUnitId, {
      ...(forwardedFromId ? { forwardedFromId } : {}),
      ...(input.justification ? { justificationMessageId: input.justification.id } : {}),
    });
    return { entity: saved, events: [{ type: ReferralEvents.sent, data: eventData(saved) }] };
  }

  const sendCommand = sendReferralCommand({
    schema: repository.schema,
    deadlines: ctx.deadlines,
    checkEnvelope: (envelope, expected, manager, known) =>
      checkEnvelope(envelope, expected, manager, known),
    existing: (id) => repository.findById(id),
  });

  return {
    /** On the write pipeline: two round trips (commands/send-referral.ts). */
    async send(
      principal: Principal,
      input: ReferralCreate,
      /** the Idempotency-Key's record, written by the send's statement (`idempotentAnswer`) */
      answerRecord?: (answer: ReturnType<typeof referralView>) => AnswerRecord,
      /** what the key's record answers when the send wrote nothing (`idempotentKeyHeld`) */
      keyHeld?: () => Promise<void>,
    ) {
      return pipeline.run(sendCommand, principal, input, {
        ...(answerRecord ? { answerRecord } : {}),
        ...(keyHeld ? { keyHeld } : {}),
      });
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
        const referral = await repository.lockById(tx, id);
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
        await repository.save(tx, referral);
        const actorUnit =
          side === 'sender'
            ? referral.senderUnitId
            : side === 'recipient'
              ? referral.recipientUnitId
              : null;
        const pending: PendingEvent[] = [];
        for (const e of events) {
          await repository.appendTimeline(tx, id, e.event, actorUnit, timelineDetail(e.detail));
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
          const referral = await repository.lockById(tx, id);
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
          await repository.save(tx, referral);
          for (const e of events) {
            await repository.appendTimeline(tx, id, e.event, referral.recipientUnitId, {
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

export type ReferralCommands = ReturnType<typeof createReferralCommands>;
