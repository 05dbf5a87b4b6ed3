import { ProblemError, type Principal } from '@samverkan/shared';
import { ReferralProblems as P } from '../domain/errors';
import {
  assertMayPost,
  assertThreadOpen,
  messageAddressees,
  MessageProblems,
  threadRevokedFor,
} from '../domain/messages';
import { ReferralEvents } from '../events/referral-events';
import { deny, pipelineOf, type ReferralsContext } from './context';
import { createMessagesRepository, type ThreadMessage } from './messages.repository';
import { createReferralsService, eventData } from '../referrals';

export { MessageProblems, messageAddressees } from '../domain/messages';

/** `MessageList.items` allows at most this many; the thread is returned oldest first. */
export const MAX_LISTED_MESSAGES = 1000;

export interface MessageCreate {
  id: string;
  senderUnitId: string;
  envelope: Record<string, unknown>;
}

/** Entity → API representation (openapi/referrals.yaml `Message`). */
function messageView(m: ThreadMessage) {
  return {
    id: m.id,
    referralId: m.referralId,
    senderUnitId: m.senderUnitId,
    createdAt: m.createdAt.toISOString(),
    envelope: m.envelope,
  };
}

/**
 * The end-to-end encrypted message thread on a referral (docs/architecture.md#services-and-the-way-data-flows, docs/envelope.md). Messages are sealed by
 * the posting unit's client like a referral, with kind `message` (`cty referral-message+jwt`);
 * the envelope's `aad.rid` is the referral id (the contract's rule), so the hub checks the routing
 * against the referral, never the message id. Access follows the referral's own rules, taken from
 * the referrals service so that the two cannot drift apart.
 */
export function createMessagesService(ctx: ReferralsContext) {
  // The referrals service holds no state of its own: taking its rules from an instance on the
  // same context is the same as sharing one.
  const { visible, checkEnvelope } = createReferralsService(ctx).rules;
  const repository = createMessagesRepository(ctx.dataSource);

  return {
    /** The thread, oldest first, to the referral's parties; every read is audited. */
    async list(principal: Principal, referralId: string) {
      const action = 'referral.messages_read';
      const { referral, side } = await visible(principal, referralId, action);
      const target = {
        action,
        objectType: 'referral',
        objectId: referralId,
        objectOrg: principal.org,
      };
      if (threadRevokedFor(side, referral.status)) {
        await deny(
          ctx,
          principal,
          { ...target, detail: { side } },
          new ProblemError(P.envelopeAccessRevoked),
        );
      }
      const rows = await repository.thread(referralId, MAX_LISTED_MESSAGES);
      await pipelineOf(ctx).recordRead(principal, {
        ...target,
        detail: { side, messages: rows.length, lastMessageId: rows.at(-1)?.id ?? null },
      });
      return { items: rows.map(messageView) };
    },

    /**
     * Posts a message as one of the caller's units on the referral. Checks in the order of the
     * lifecycle: who (403), then state (409), then input (422/413); refusals are audited.
     */
    async post(principal: Principal, referralId: string, input: MessageCreate) {
      const action = 'referral.message_post';
      const { referral, acting, side } = await visible(principal, referralId, action);
      const target = {
        action,
        objectType: 'referral',
        objectId: referralId,
        objectOrg: principal.org,
        detail: { messageId: input.id, senderUnitId: input.senderUnitId, side },
      };
      const pipeline = pipelineOf(ctx);
      let envelopeSize = 0;
      await pipeline.authorize(principal, target, async () => {
        assertMayPost(principal, referral, acting.units, input.senderUnitId);
        assertThreadOpen(referral.status);
        // The parties of a referral never change, so the envelope is checked before the
        // transaction (no read on another connection while it is open).
        const to = messageAddressees(referral, input.senderUnitId);
        const info = await checkEnvelope(input.envelope, {
          rid: referral.id,
          from: input.senderUnitId,
          to,
          kind: 'message',
          record: {
            referralId: referral.id,
            messageId: input.id,
            senderUnitId: input.senderUnitId,
            recipientUnitIds: to,
          },
        });
        envelopeSize = info.sizeBytes;
      });
      return pipeline.transact(principal, target, async (tx) => {
        const locked = await repository.lockReferral(tx, referralId);
        assertThreadOpen(locked.status);
        const message: ThreadMessage = {
          id: input.id,
          referralId,
          senderUnitId: input.senderUnitId,
          envelope: input.envelope,
          envelopeSize,
          createdAt: new Date(),
        };
        if (!(await repository.post(tx, message))) {
          throw new ProblemError(MessageProblems.messageExists);
        }
        return {
          result: messageView(message),
          events: [
            {
              type: ReferralEvents.messagePosted,
              data: eventData(locked, {
                messageId: input.id,
                authorUnitId: input.senderUnitId,
              }),
            },
          ],
        };
      });
    },
  };
}

export type MessagesService = ReturnType<typeof createMessagesService>;
