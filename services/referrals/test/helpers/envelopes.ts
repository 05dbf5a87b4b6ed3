import {
  referralMetadata,
  sealEnvelope,
  type GeneralJweEnvelope,
  type KeyPairJwk,
  type ReferralMetadataInput,
} from '@samverkan/shared';
import { DEFAULT_REFERRAL_META, referralDocument } from './agency-client';
import type { TestHub } from './build';

type JWK = KeyPairJwk['publicJwk'];

/**
 * Seals an envelope straight from the demo key store, with any routing data and any key set:
 * the way to build envelopes that are well-formed JOSE but wrong for the request they travel in
 * (another id, sender or recipient set, a stale or foreign key).
 */
export async function sealRaw(
  hub: TestHub,
  options: {
    rid: string;
    from: string;
    to: string[];
    document?: Record<string, unknown>;
    /** per addressed unit, the public encryption keys to seal for (default: its demo key) */
    recipientKeys?: Record<string, JWK[]>;
    /** the sender's own encryption keys (default: its demo key) */
    senderKeys?: JWK[];
    validate?: boolean;
    /** clear metadata to bind (default: DEFAULT_REFERRAL_META, not forwarded) */
    meta?: Partial<Omit<ReferralMetadataInput, 'kind'>>;
    /** the signing time to bind (default now) */
    iat?: number;
  },
): Promise<GeneralJweEnvelope> {
  const encKey = (unitId: string): JWK => {
    const unit = hub.keys.units[unitId];
    if (!unit) {
      throw new Error(`no demo keys for unit ${unitId}`);
    }
    return unit.enc.publicJwk;
  };
  const sender = hub.keys.units[options.from]!;
  const sealed = await sealEnvelope({
    meta: referralMetadata({
      ...DEFAULT_REFERRAL_META,
      id: options.rid,
      senderUnitId: options.from,
      recipientUnitId: options.to[0]!,
      copyUnitIds: options.to.slice(1),
      ...options.meta,
    }),
    document: options.document ?? referralDocument('raw'),
    sender: { signingKey: { kid: sender.sig.kid, privateJwk: sender.sig.privateJwk } },
    recipients: options.to.map((unitId) => ({
      unitId,
      encryptionKeys: options.recipientKeys?.[unitId] ?? [encKey(unitId)],
    })),
    senderEncryptionKeys: options.senderKeys ?? [encKey(options.from)],
    validate: options.validate,
    iat: options.iat,
  });
  return sealed.jwe;
}

/** A copy of the envelope without the recipient entry for `kid`. */
export function withoutRecipient(envelope: GeneralJweEnvelope, kid: string): GeneralJweEnvelope {
  const copy = structuredClone(envelope);
  copy.recipients = copy.recipients.filter((r) => r.header.kid !== kid);
  if (copy.recipients.length === envelope.recipients.length) {
    throw new Error(`the envelope has no recipient ${kid}`);
  }
  return copy;
}

/** Pieces of an envelope that must never appear in a response to someone outside it. */
export function envelopeSecrets(envelope: GeneralJweEnvelope): string[] {
  return [
    envelope.ciphertext,
    envelope.ciphertext.slice(40, 104),
    envelope.tag,
    ...envelope.recipients.map((r) => r.encrypted_key),
  ];
}
