import { randomUUID } from 'node:crypto';
import {
  openEnvelope,
  referralMetadata,
  sealEnvelope,
  verifyKeysResponse,
  type DemoUserName,
  type EnvelopeAad,
  type GeneralJweEnvelope,
} from '@samverkan/shared';
import { DEFAULT_REFERRAL_META } from './agency-client';
import type { TestHub } from './build';

export interface MessageDocument {
  /** The message id, signed with the text: the envelope's AAD binds the referral, not the message. */
  messageId: string;
  text: string;
  /** set on a sealed justification or decline note */
  purpose?: 'justification' | 'decline_note';
}

/**
 * What an agency's client does for the message thread of a referral, with the shared client
 * crypto: a message is sealed like a referral, with kind `message`, `rid` = the referral id (as
 * openapi/referrals.yaml `postMessage` says) and `to` = every other unit of the referral. The
 * message id goes into the signed document, so that a reader can tell that the hub did not file
 * an envelope under another message id.
 */
export function messageClient(hub: TestHub, user: DemoUserName, unitId: string) {
  const pinned = Object.fromEntries(
    Object.entries(hub.keys.roots).map(([org, root]) => [org, [root.kid]]),
  );

  async function verifiedKeys(unitIds: string[]) {
    const res = await hub.as(user).get(`/v1/keys?units=${[...new Set(unitIds)].join(',')}`);
    if (res.statusCode !== 200) {
      throw new Error(`keys: ${res.statusCode} ${res.body}`);
    }
    return verifyKeysResponse(res.json(), {
      trustedRootFingerprints: pinned,
      requirePinnedRoots: true,
    });
  }

  async function seal(
    options: { rid: string; to: string[]; kind?: 'message' | 'referral' },
    document: Record<string, unknown>,
  ): Promise<GeneralJweEnvelope> {
    const keys = await verifiedKeys([unitId, ...options.to]);
    const own = hub.keys.units[unitId]!;
    const sealed = await sealEnvelope({
      meta:
        options.kind === 'referral'
          ? referralMetadata({
              ...DEFAULT_REFERRAL_META,
              id: options.rid,
              senderUnitId: unitId,
              recipientUnitId: options.to[0]!,
              copyUnitIds: options.to.slice(1),
            })
          : {
              kind: 'message',
              referralId: options.rid,
              messageId: String(document.messageId),
              senderUnitId: unitId,
              recipientUnitIds: options.to,
            },
      document,
      validate: false,
      sender: { signingKey: { kid: own.sig.kid, privateJwk: own.sig.privateJwk } },
      recipients: options.to.map((id) => ({
        unitId: id,
        encryptionKeys: keys.get(id)!.encryptionKeys,
      })),
      senderEncryptionKeys: keys.get(unitId)!.encryptionKeys,
    });
    return sealed.jwe;
  }

  return {
    unitId,
    seal,
    /** A new message on `referralId` for the other units `to`, ready to POST. */
    async message(referralId: string, to: string[], text: string) {
      const id = randomUUID();
      const envelope = await seal({ rid: referralId, to }, { messageId: id, text });
      return { id, senderUnitId: unitId, envelope };
    },
    /** Lists the thread as this user and opens every message, verifying each sender. */
    async read(referralId: string): Promise<
      Array<{
        id: string;
        senderUnitId: string;
        document: MessageDocument;
        aad: EnvelopeAad;
        signedBy: string;
      }>
    > {
      const res = await hub.as(user).get(`/v1/referrals/${referralId}/messages`);
      if (res.statusCode !== 200) {
        throw new Error(`messages: ${res.statusCode} ${res.body}`);
      }
      const own = hub.keys.units[unitId]!;
      const items = res.json().items as Array<{
        id: string;
        senderUnitId: string;
        envelope: unknown;
      }>;
      const opened = [];
      for (const item of items) {
        const message = await openEnvelope<MessageDocument>(item.envelope, {
          unitId,
          decryptionKeys: [{ kid: own.enc.kid, privateJwk: own.enc.privateJwk }],
          senderSigningKeys: async (aad) =>
            (await verifiedKeys([aad.from])).get(aad.from)!.signingKeys,
          expected: { rid: referralId, kind: 'message' },
        });
        if (message.document.messageId !== item.id || message.aad.from !== item.senderUnitId) {
          throw new Error(`message ${item.id} was filed under another id or sender`);
        }
        opened.push({
          id: item.id,
          senderUnitId: item.senderUnitId,
          document: message.document,
          aad: message.aad,
          signedBy: message.claims.iss,
        });
      }
      return opened;
    },
  };
}
