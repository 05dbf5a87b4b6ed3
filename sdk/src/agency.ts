import type { JWK } from 'jose';
import {
  verifyKeysResponse,
  type DirectoryUnitKeySet,
  type VerifiedUnitKeys,
} from './crypto/directory-keys';
import {
  compareRecord,
  openEnvelope,
  referralMetadata,
  sealEnvelope,
  type EnvelopeAad,
  type EnvelopeAadV2,
  type EnvelopeClaims,
  type EnvelopeKind,
  type EnvelopeMetadataInput,
  type FieldRequestMetadata,
  type EnvelopeVersion,
  type GeneralJweEnvelope,
  type PrivateKeyRef,
} from './crypto/envelope';
import {
  generateUnitEncryptionKey,
  generateUnitSigningKey,
  signUnitKey,
  type KeyPairJwk,
} from './crypto/unit-keys';
import { data, type SamverkanClient } from './client';
import { asCryptoError, SamverkanCryptoError, UnknownUnitError } from './errors';
import type { components as Referrals } from './generated/referrals';
import type { components as Directory } from './generated/directory';
import type { KeyStoreContent } from './key-store';
import { unitKeys } from './key-ring';

export type Referral = Referrals['schemas']['Referral'];
export type ReferralCreate = Referrals['schemas']['ReferralCreate'];
export type Message = Referrals['schemas']['Message'];
export type FieldRequest = Referrals['schemas']['FieldRequest'];
export type UnitKey = Directory['schemas']['UnitKey'];
export type RoutingMeta = Omit<
  ReferralCreate,
  'id' | 'recipientUnitId' | 'copyUnitIds' | 'senderUnitId' | 'envelope' | 'justification'
>;
export type SealedNote = Referrals['schemas']['SealedNote'];
export type DeclineReason = Referrals['schemas']['DeclineReason'];

/**
 * What a note on a referral's thread is for (docs/envelope.md#sealed-notes): an ordinary message
 * has none; an acute_protection justification and a decline note are sealed the same way, with
 * their purpose signed inside, so a hub cannot pass one off as the other.
 */
export type NotePurpose = 'justification' | 'decline_note';

/** A message of a referral thread, as signed by its author. */
type FieldRequestMetadataInput = FieldRequestMetadata;

export interface MessageDocument {
  /** The message id, signed with the text: the aad binds the referral, not the message. */
  messageId: string;
  text: string;
  /** Set on a justification or a decline note; absent on an ordinary message. */
  purpose?: NotePurpose;
}

/**
 * A message of a thread as read: verified with its text, or flagged with why it could not be
 * trusted (its text withheld), so one bad message never hides the others.
 */
export type ThreadMessage = { id: string; senderUnitId: string; createdAt: string } & (
  | { verified: true; text: string; purpose?: NotePurpose }
  | { verified: false; text: null; problem: { code: string; message: string } }
);

export interface OpenedDocument<D> {
  document: D;
  /** Sender, addressed units, id and signing time, as signed. */
  aad: EnvelopeAad;
  claims: EnvelopeClaims;
  /** 2 for envelopes sealed now; 1 for envelopes stored before version 2 (less metadata bound). */
  version: EnvelopeVersion;
  /** Version 2: every clear member the sender signed (compared with the hub's record). */
  metadata?: EnvelopeAadV2;
}

/**
 * Where an agency finds its unit's private keys other than a key store file: a browser holds
 * them as non-extractable CryptoKeys opened from its device's key boxes (web/src/crypto/).
 */
export interface UnitKeySource {
  /** Trusted root key fingerprints per organisation id. */
  pins: Record<string, string[]>;
  /** The unit's current signing key and its decryption keys (current and retired). */
  unitKeys(unitId: string): { signing: PrivateKeyRef; decryption: PrivateKeyRef[] };
}

function ownKeys(
  keys: KeyStoreContent | UnitKeySource,
  unitId: string,
): { signing: PrivateKeyRef; decryption: PrivateKeyRef[] } {
  if ('unitKeys' in keys && typeof keys.unitKeys === 'function') {
    return keys.unitKeys(unitId);
  }
  const own = unitKeys(keys as KeyStoreContent, unitId);
  return {
    signing: { kid: own.signing.kid, privateJwk: own.signing.privateJwk },
    decryption: own.decryption,
  };
}

export interface AgencyOptions {
  client: SamverkanClient;
  /**
   * The key store content (see readKeyStore), or another source of the unit's private keys;
   * private keys are read from it, never sent.
   */
  keys: KeyStoreContent | UnitKeySource;
  /** The unit this agency acts as. */
  unitId: string;
  /**
   * Refuse keys of organisations whose root fingerprint is not pinned in the key store
   * (default true). Turning it off trusts the root keys the directory serves (first use).
   */
  requirePinnedRoots?: boolean;
}

/**
 * What an agency unit does with the hub, with the cryptography done right and locally: fetch
 * the addressed units' keys and check them against the pinned organisation roots, seal (sign,
 * then encrypt) referrals, messages and field requests, and open and verify what arrives.
 */
export function createAgency(options: AgencyOptions) {
  const { client, keys, unitId } = options;
  const requirePinnedRoots = options.requirePinnedRoots ?? true;

  async function crypto<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (err) {
      throw asCryptoError(err);
    }
  }

  /** The current keys of the units, each checked against its organisation's root signature. */
  async function verifiedKeys(unitIds: string[]): Promise<Map<string, VerifiedUnitKeys>> {
    const wanted = [...new Set(unitIds)];
    const response = await data(
      client.directory.GET('/v1/keys', { params: { query: { units: wanted.join(',') } } }),
    );
    const verified = await crypto(() =>
      verifyKeysResponse(response as { units: DirectoryUnitKeySet[] }, {
        trustedRootFingerprints: keys.pins,
        requirePinnedRoots,
      }),
    );
    // The directory leaves unknown units out: a missing one must not silently drop a recipient.
    // A unit the directory does not list at all is a typo, not a cryptographic alarm.
    for (const id of wanted) {
      if (!verified.has(id)) {
        throw new UnknownUnitError(id, `no such unit in the directory: ${id}`);
      }
    }
    return verified;
  }

  /** Signs and encrypts `document` for the units the metadata addresses (and this unit). */
  async function seal(
    meta: EnvelopeMetadataInput,
    document: Record<string, unknown>,
  ): Promise<GeneralJweEnvelope> {
    const own = ownKeys(keys, unitId);
    const to =
      meta.kind === 'referral'
        ? [meta.recipientUnitId, ...(meta.copyUnitIds ?? [])]
        : meta.kind === 'message'
          ? meta.recipientUnitIds
          : meta.participantUnitIds;
    const verified = await verifiedKeys([unitId, ...to]);
    const sealed = await crypto(() =>
      sealEnvelope({
        meta,
        document,
        validate: meta.kind === 'referral',
        sender: { signingKey: own.signing },
        recipients: to.map((id) => ({
          unitId: id,
          encryptionKeys: verified.get(id)!.encryptionKeys,
        })),
        senderEncryptionKeys: verified.get(unitId)!.encryptionKeys,
      }),
    );
    return sealed.jwe;
  }

  /**
   * The sender unit's signing keys: the active ones and, for envelopes signed before a rotation,
   * the retired ones, each checked against the organisation's root signature like any other.
   */
  async function senderSigningKeys(senderUnitId: string): Promise<JWK[]> {
    const response = (await data(
      client.directory.GET('/v1/keys', { params: { query: { units: senderUnitId } } }),
    )) as { units: DirectoryUnitKeySet[] };
    const set = response.units.find((u) => u.unitId === senderUnitId);
    if (!set) {
      throw new SamverkanCryptoError(
        'unknown_unit',
        `the directory has no keys for unit ${senderUnitId}`,
      );
    }
    const retired = await data(
      client.directory.GET('/v1/units/{id}/keys', {
        params: { path: { id: senderUnitId }, query: { status: 'retired' } },
      }),
    );
    const verified = await crypto(() =>
      verifyKeysResponse(
        {
          units: [
            {
              ...set,
              keys: [
                ...set.keys,
                ...(retired.items.filter((k) => k.use === 'sig') as DirectoryUnitKeySet['keys']),
              ],
            },
          ],
        },
        { trustedRootFingerprints: keys.pins, requirePinnedRoots },
      ),
    );
    return verified.get(senderUnitId)!.signingKeys;
  }

  async function open<D>(
    envelope: unknown,
    expected: { rid: string; kind: EnvelopeKind },
  ): Promise<OpenedDocument<D>> {
    const own = ownKeys(keys, unitId);
    const opened = await crypto(() =>
      openEnvelope<D>(envelope, {
        unitId,
        decryptionKeys: own.decryption,
        senderSigningKeys: (aad) => senderSigningKeys(aad.from),
        expected,
      }),
    );
    return {
      document: opened.document,
      aad: opened.aad,
      claims: opened.claims,
      version: opened.version,
      metadata: opened.metadata,
    };
  }

  /**
   * The last check of every open: what the hub shows in clear must be what the sender signed
   * (a hub that changed a category, the sender or a copy unit is caught here).
   */
  function checkRecord(opened: OpenedDocument<unknown>, record: Record<string, unknown>): void {
    try {
      compareRecord(opened, record);
    } catch (err) {
      throw asCryptoError(err);
    }
  }

  /**
   * The audit unit of the organisation that `ofUnitId` belongs to (null when it has none): a
   * justification that unit writes is sealed for its keys too (docs/envelope.md "Sealed notes").
   */
  async function auditUnitOf(ofUnitId: string): Promise<string | null> {
    const unit = await data(
      client.directory.GET('/v1/units/{id}', { params: { path: { id: ofUnitId } } }),
    );
    return unit.organisation.auditUnitId ?? null;
  }

  /**
   * Seals free text for a referral's other parties as a message on its thread (a `SealedNote`):
   * the hub stores it in the thread and never sees the text. A justification is sealed for this
   * unit's organisation's audit unit as well, so that its auditors can open it.
   */
  async function sealNote(
    r: Pick<Referral, 'id' | 'senderUnitId' | 'recipientUnitId' | 'copyUnitIds'>,
    purpose: NotePurpose,
    text: string,
  ): Promise<SealedNote> {
    const id = globalThis.crypto.randomUUID();
    const audit = purpose === 'justification' ? await auditUnitOf(unitId) : null;
    const parties = messageRecipients(r as Referral, unitId);
    const envelope = await seal(
      {
        kind: 'message',
        referralId: r.id,
        messageId: id,
        senderUnitId: unitId,
        recipientUnitIds: audit && audit !== unitId ? [...parties, audit].sort() : parties,
      },
      { messageId: id, text, purpose },
    );
    return { id, envelope: envelope as SealedNote['envelope'] };
  }

  /**
   * Opens one note of a referral's thread and checks it: filed under its own id and sender,
   * addressed to the other parties — and, for the referral's justification, possibly also the
   * writer's organisation's audit unit, the only extra recipient allowed.
   */
  async function openNote(
    r: Pick<Referral, 'id' | 'senderUnitId' | 'recipientUnitId' | 'copyUnitIds'> & {
      justificationMessageId?: string | null;
    },
    item: { id: string; senderUnitId: string; envelope: unknown },
  ): Promise<OpenedDocument<MessageDocument>> {
    const opened = await open<MessageDocument>(item.envelope, { rid: r.id, kind: 'message' });
    if (opened.document.messageId !== item.id || opened.aad.from !== item.senderUnitId) {
      throw new SamverkanCryptoError(
        'record_mismatch',
        `message ${item.id} was filed under another id or sender than it was signed with`,
        opened.document.messageId !== item.id ? 'messageId' : 'senderUnitId',
      );
    }
    const parties = messageRecipients(r as Referral, item.senderUnitId);
    let addressed = parties;
    if (item.id === r.justificationMessageId && opened.aad.to.length > parties.length) {
      const audit = await auditUnitOf(item.senderUnitId);
      if (audit && opened.aad.to.includes(audit)) {
        addressed = [...parties, audit];
      }
    }
    checkRecord(opened, {
      referralId: r.id,
      messageId: item.id,
      senderUnitId: item.senderUnitId,
      recipientUnitIds: addressed,
    });
    return opened;
  }

  async function referral(id: string): Promise<Referral> {
    return data(client.referrals.GET('/v1/referrals/{id}', { params: { path: { id } } }));
  }

  return {
    unitId,
    client,
    verifiedKeys,
    seal,
    open,
    referral,
    sealNote,

    /**
     * Builds (validated by the referral document schema), signs, encrypts and sends a referral.
     * A `justification` (required for legal basis acute_protection) is sealed for the parties as a
     * note on the new referral's thread; the hub only learns that it exists.
     */
    async sendReferral(input: {
      recipientUnitId: string;
      copyUnitIds?: string[];
      document: Record<string, unknown>;
      meta: RoutingMeta;
      justification?: string;
      id?: string;
    }): Promise<Referral> {
      const id = input.id ?? globalThis.crypto.randomUUID();
      const copyUnitIds = input.copyUnitIds ?? [];
      const body: Omit<ReferralCreate, 'envelope'> = {
        ...input.meta,
        id,
        senderUnitId: unitId,
        recipientUnitId: input.recipientUnitId,
        copyUnitIds,
      };
      const envelope = await seal(referralMetadata(body), input.document);
      const justification =
        input.justification !== undefined && input.justification.trim() !== ''
          ? await sealNote(
              { id, senderUnitId: unitId, recipientUnitId: input.recipientUnitId, copyUnitIds },
              'justification',
              input.justification.trim(),
            )
          : undefined;
      return data(
        client.referrals.POST('/v1/referrals', {
          params: { header: idempotency() },
          body: {
            ...body,
            ...(justification ? { justification } : {}),
            envelope: envelope as ReferralCreate['envelope'],
          },
        }),
      );
    },

    /**
     * Declines a referral sent to this unit. A `note` (required with reason `other`) is sealed for
     * the sender and copy units as a note on the thread; the hub never sees its text.
     */
    async declineReferral(id: string, reason: DeclineReason, note?: string): Promise<Referral> {
      const text = note?.trim() ?? '';
      const sealed =
        text === '' ? undefined : await sealNote(await referral(id), 'decline_note', text);
      return data(
        client.referrals.POST('/v1/referrals/{id}/decline', {
          params: { path: { id }, header: idempotency() },
          body: { reason, ...(sealed ? { note: sealed } : {}) },
        }),
      );
    },

    /**
     * Fetches, decrypts and verifies a referral: the sender's signature (its key signed by its
     * organisation's pinned root), `aud` = the addressed units, `sub` = the id, and the hub's
     * record of the referral equal, member by member, to the metadata the sender signed.
     */
    async openReferral<D = Record<string, unknown>>(
      id: string,
    ): Promise<OpenedDocument<D> & { referral: Referral }> {
      const [record, res] = await Promise.all([
        referral(id),
        data(client.referrals.GET('/v1/referrals/{id}/envelope', { params: { path: { id } } })),
      ]);
      const opened = await open<D>(res.envelope, { rid: id, kind: 'referral' });
      checkRecord(opened, record as unknown as Record<string, unknown>);
      return { ...opened, referral: record };
    },

    /** Coordinator: forwards a referral to further units, each leg sealed for its own recipient. */
    async forwardReferral(
      id: string,
      targets: Array<{ recipientUnitId: string; copyUnitIds?: string[] }>,
      document?: Record<string, unknown>,
    ) {
      // Opened (and checked against the hub's record) even when the document is given: the new
      // legs carry the original's metadata, so it must be what its sender signed.
      const original = await this.openReferral(id);
      const doc = document ?? original.document;
      const r = original.referral;
      // The sender's justification, sealed again for each leg's parties, so that the new
      // recipient reads why the legal basis applies (the hub cannot copy what it cannot read).
      const justification =
        r.justificationMessageId !== null && r.justificationMessageId !== undefined
          ? (await this.readMessages(id)).find(
              (m) =>
                m.id === r.justificationMessageId && m.verified && m.purpose === 'justification',
            )
          : undefined;
      const forwards = [];
      for (const target of targets) {
        const fid = globalThis.crypto.randomUUID();
        const copies = target.copyUnitIds ?? [];
        const envelope = await seal(
          referralMetadata({
            ...r,
            id: fid,
            senderUnitId: unitId,
            recipientUnitId: target.recipientUnitId,
            copyUnitIds: copies,
            forwardedFromId: id,
          }),
          doc,
        );
        const leg = {
          id: fid,
          senderUnitId: unitId,
          recipientUnitId: target.recipientUnitId,
          copyUnitIds: copies,
        };
        forwards.push({
          id: fid,
          recipientUnitId: target.recipientUnitId,
          copyUnitIds: copies,
          ...(justification?.text
            ? { justification: await sealNote(leg, 'justification', justification.text) }
            : {}),
          envelope: envelope as ReferralCreate['envelope'],
        });
      }
      return data(
        client.referrals.POST('/v1/referrals/{id}/forward', {
          params: { path: { id }, header: idempotency() },
          body: { forwards },
        }),
      );
    },

    /** Posts an encrypted message to every other unit of the referral. */
    async postMessage(referralId: string, text: string): Promise<Message> {
      const r = await referral(referralId);
      const to = messageRecipients(r, unitId);
      const id = globalThis.crypto.randomUUID();
      const envelope = await seal(
        {
          kind: 'message',
          referralId,
          messageId: id,
          senderUnitId: unitId,
          recipientUnitIds: to,
        },
        { messageId: id, text },
      );
      return data(
        client.referrals.POST('/v1/referrals/{id}/messages', {
          params: { path: { id: referralId }, header: idempotency() },
          body: { id, senderUnitId: unitId, envelope: envelope as ReferralCreate['envelope'] },
        }),
      );
    },

    /**
     * Reads the thread, opening every message and checking it was filed under its own id and
     * sender and that the hub's record matches what was signed. A message that fails a check is
     * returned flagged (`verified: false`, no text), in its place: the others stay readable.
     */
    async readMessages(referralId: string): Promise<ThreadMessage[]> {
      const [r, list] = await Promise.all([
        referral(referralId),
        data(
          client.referrals.GET('/v1/referrals/{id}/messages', {
            params: { path: { id: referralId } },
          }),
        ),
      ]);
      const out: ThreadMessage[] = [];
      for (const item of list.items) {
        const filed = { id: item.id, senderUnitId: item.senderUnitId, createdAt: item.createdAt };
        try {
          const opened = await openNote(r, item);
          const purpose = opened.document.purpose;
          out.push({
            ...filed,
            verified: true,
            text: opened.document.text,
            ...(purpose === 'justification' || purpose === 'decline_note' ? { purpose } : {}),
          });
        } catch (err) {
          if (!(err instanceof SamverkanCryptoError)) {
            throw err;
          }
          out.push({
            ...filed,
            verified: false,
            text: null,
            problem: { code: err.code, message: err.message },
          });
        }
      }
      return out;
    },

    /**
     * Auditor (this agency acting as its organisation's audit unit): fetches a referral's sealed
     * justification (`GET /v1/referrals/{id}/justification`, audited) and opens it with the audit
     * unit's keys, checking the sender's signature, that it is this referral's justification
     * note and that the hub's routing facts match what was signed. The referral's own envelope
     * is never fetched: an auditor reads the justification, not the case.
     */
    async openJustificationAsAuditor(referralId: string): Promise<{
      referralId: string;
      senderUnitId: string;
      messageId: string;
      text: string;
      signedAt: Date;
    }> {
      const res = await data(
        client.referrals.GET('/v1/referrals/{id}/justification', {
          params: { path: { id: referralId } },
        }),
      );
      const r = {
        id: res.referralId,
        senderUnitId: res.senderUnitId,
        recipientUnitId: res.recipientUnitId,
        copyUnitIds: res.copyUnitIds,
        justificationMessageId: res.justification.id,
      };
      const opened = await openNote(r, {
        id: res.justification.id,
        senderUnitId: res.senderUnitId,
        envelope: res.justification.envelope,
      });
      if (opened.document.purpose !== 'justification') {
        throw new SamverkanCryptoError(
          'record_mismatch',
          `message ${res.justification.id} was not signed as a justification`,
          'purpose',
        );
      }
      return {
        referralId,
        senderUnitId: res.senderUnitId,
        messageId: res.justification.id,
        text: opened.document.text,
        signedAt: new Date(opened.aad.iat * 1000),
      };
    },

    /**
     * Seals the encrypted part of a field request for the operation's participating social
     * services units; `meta` is what the request body shows in clear.
     */
    sealFieldRequest(
      meta: Omit<FieldRequestMetadataInput, 'kind' | 'requesterUnitId'>,
      details: Record<string, unknown>,
    ) {
      return seal({ kind: 'field_request', requesterUnitId: unitId, ...meta }, details);
    },

    async openFieldRequest<D = Record<string, unknown>>(
      id: string,
    ): Promise<OpenedDocument<D> & { fieldRequest: FieldRequest }> {
      const [record, res] = await Promise.all([
        data(client.referrals.GET('/v1/field-requests/{id}', { params: { path: { id } } })),
        data(
          client.referrals.GET('/v1/field-requests/{id}/envelope', { params: { path: { id } } }),
        ),
      ]);
      const opened = await open<D>((res as { envelope: unknown }).envelope, {
        rid: id,
        kind: 'field_request',
      });
      checkRecord(opened, {
        ...(record as unknown as Record<string, unknown>),
        fieldRequestId: record.id,
      });
      return { ...opened, fieldRequest: record };
    },
  };
}

/** The units a message on referral `r` from `senderUnitId` is sealed for: every other party. */
export function messageRecipients(r: Referral, senderUnitId: string): string[] {
  const parties = [r.senderUnitId, r.recipientUnitId, ...r.copyUnitIds];
  return [...new Set(parties.filter((u) => u !== senderUnitId))].sort();
}

export type Agency = ReturnType<typeof createAgency>;

/**
 * Generates a unit's signing and encryption keys, signs each with the organisation root key and
 * publishes them (`POST /v1/units/{id}/keys`). Returns the new pairs; the caller stores them
 * (their private halves never leave this process).
 */
export async function registerUnitKeys(
  client: SamverkanClient,
  root: Pick<KeyPairJwk, 'kid' | 'privateJwk'>,
  unit: { unitId: string; organisationId: string },
): Promise<{ enc: KeyPairJwk; sig: KeyPairJwk; published: UnitKey[] }> {
  const enc = await generateUnitEncryptionKey();
  const sig = await generateUnitSigningKey();
  const published: UnitKey[] = [];
  for (const [use, pair] of [
    ['sig', sig],
    ['enc', enc],
  ] as const) {
    const signed = await signUnitKey(root, {
      unit: unit.unitId,
      org: unit.organisationId,
      use,
      jwk: publicOnly(pair.publicJwk),
    });
    published.push(
      await data(
        client.directory.POST('/v1/units/{id}/keys', {
          params: { path: { id: unit.unitId } },
          body: { signed },
        }),
      ),
    );
  }
  return { enc, sig, published };
}

/** A fresh Idempotency-Key for one logical write (the hub requires one on every write). */
export function idempotency(): { 'Idempotency-Key': string } {
  return { 'Idempotency-Key': globalThis.crypto.randomUUID() };
}

function publicOnly(jwk: JWK): JWK {
  const { kty, crv, x, kid } = jwk;
  return { kty, crv, x, kid };
}
