import { randomUUID } from 'node:crypto';
import {
  openEnvelope,
  referralMetadata,
  sealEnvelope,
  verifyKeysResponse,
  type DemoUserName,
  type EnvelopeAad,
  type EnvelopeAadV2,
  type EnvelopeMetadataInput,
  type GeneralJweEnvelope,
} from '@samverkan/shared';

/** The clear metadata of the referrals the tests send, unless a test says otherwise. */
export const DEFAULT_REFERRAL_META = {
  category: 'trafficking_sexual',
  urgency: 'urgent',
  ageBand: 'adult',
  gender: 'female',
  citizenshipGroup: 'eu',
  municipalityCode: '0581',
  legalBasis: 'consent',
} as const;
import type { TestHub } from './build';

/**
 * What an agency's client does, with the shared client crypto: fetch the addressed units' keys
 * from the directory and check them against the pinned root fingerprints, seal a referral for
 * them, and open what it receives. Private keys come from the demo key store, as they would from
 * the agency's own key store; the hub never sees them.
 */
export function agencyClient(hub: TestHub, user: DemoUserName, unitId: string) {
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
    meta: EnvelopeMetadataInput,
    document: Record<string, unknown>,
  ): Promise<GeneralJweEnvelope> {
    const to =
      meta.kind === 'referral'
        ? [meta.recipientUnitId, ...(meta.copyUnitIds ?? [])]
        : meta.kind === 'message'
          ? meta.recipientUnitIds
          : meta.participantUnitIds;
    const keys = await verifiedKeys([unitId, ...to]);
    const own = hub.keys.units[unitId]!;
    const sealed = await sealEnvelope({
      meta,
      document,
      validate: meta.kind === 'referral',
      sender: { signingKey: { kid: own.sig.kid, privateJwk: own.sig.privateJwk } },
      recipients: to.map((id) => ({ unitId: id, encryptionKeys: keys.get(id)!.encryptionKeys })),
      senderEncryptionKeys: keys.get(unitId)!.encryptionKeys,
    });
    return sealed.jwe;
  }

  /**
   * Free text sealed for a referral's other parties, as a client seals a justification or a
   * decline note (openapi `SealedNote`): a message on its thread from this unit.
   */
  async function note(
    referral: { id: string; senderUnitId: string; recipientUnitId: string; copyUnitIds?: string[] },
    purpose: 'justification' | 'decline_note',
    text: string,
    /** a justification is sealed for the writer's organisation's audit unit too, unless false */
    options: { auditors?: boolean } = {},
  ): Promise<{ id: string; envelope: GeneralJweEnvelope }> {
    const id = randomUUID();
    const parties = [
      referral.senderUnitId,
      referral.recipientUnitId,
      ...(referral.copyUnitIds ?? []),
    ];
    if (purpose === 'justification' && options.auditors !== false) {
      const own = await hub.as(user).get(`/v1/units/${unitId}`);
      const audit = (own.json() as { organisation?: { auditUnitId?: string | null } }).organisation
        ?.auditUnitId;
      if (audit) {
        parties.push(audit);
      }
    }
    const envelope = await seal(
      {
        kind: 'message',
        referralId: referral.id,
        messageId: id,
        senderUnitId: unitId,
        recipientUnitIds: [...new Set(parties)].filter((u) => u !== unitId).sort(),
      },
      { messageId: id, text, purpose },
    );
    return { id, envelope };
  }

  return {
    unitId,
    seal,
    note,
    /**
     * A new referral with its envelope, ready to POST (or, with `forwardedFromId`, a forward leg:
     * then `meta` must carry the original's metadata).
     */
    async referral(
      to: { recipientUnitId: string; copyUnitIds?: string[] },
      document: Record<string, unknown>,
      meta: Partial<Record<string, string>> = {},
      forwardedFromId: string | null = null,
    ) {
      const id = randomUUID();
      const body = {
        id,
        senderUnitId: unitId,
        recipientUnitId: to.recipientUnitId,
        copyUnitIds: to.copyUnitIds ?? [],
        ...DEFAULT_REFERRAL_META,
        ...meta,
      };
      const envelope = await seal(referralMetadata({ ...body, forwardedFromId }), document);
      const justification =
        typeof meta.justification === 'string'
          ? { justification: await note(body, 'justification', meta.justification) }
          : {};
      delete (body as Record<string, unknown>).justification;
      return { ...body, ...justification, envelope };
    },
    /** Decrypts an envelope already fetched with this unit's key and verifies its sender. */
    async openSealed(
      envelope: unknown,
      expected: { rid: string; kind: 'referral' | 'message' },
    ): Promise<{ document: Record<string, unknown>; aad: EnvelopeAad }> {
      const own = hub.keys.units[unitId]!;
      const opened = await openEnvelope<Record<string, unknown>>(envelope, {
        unitId,
        decryptionKeys: [{ kid: own.enc.kid, privateJwk: own.enc.privateJwk }],
        senderSigningKeys: async (aad) =>
          (await verifiedKeys([aad.from])).get(aad.from)!.signingKeys,
        expected,
      });
      return { document: opened.document, aad: opened.aad };
    },
    /** Fetches a referral's envelope as this user, decrypts it and verifies the sender. */
    async open(referralId: string): Promise<{
      document: Record<string, unknown>;
      aad: EnvelopeAad;
      metadata?: EnvelopeAadV2;
    }> {
      const res = await hub.as(user).get(`/v1/referrals/${referralId}/envelope`);
      if (res.statusCode !== 200) {
        throw new Error(`envelope: ${res.statusCode} ${res.body}`);
      }
      const own = hub.keys.units[unitId]!;
      const opened = await openEnvelope(res.json().envelope, {
        unitId,
        decryptionKeys: [{ kid: own.enc.kid, privateJwk: own.enc.privateJwk }],
        senderSigningKeys: async (aad) =>
          (await verifiedKeys([aad.from])).get(aad.from)!.signingKeys,
        expected: { rid: referralId, kind: 'referral' },
      });
      return { document: opened.document, aad: opened.aad, metadata: opened.metadata };
    },
  };
}

export function referralDocument(marker: string): Record<string, unknown> {
  return {
    version: 1,
    person: {
      ageBand: 'adult',
      givenName: marker,
      languages: ['ro', 'en'],
      interpreterNeeded: true,
    },
    situation: {
      summary: `Met during a police operation in Norrköping; ${marker} wants to talk to someone about leaving.`,
      exploitation: ['trafficking_sexual'],
    },
    requests: ['support_talks', 'protected_housing'],
    consent: { given: true, scope: 'Sharing with the coordinator, social services and Novahuset' },
    senderContact: { role: 'officer' },
  };
}
