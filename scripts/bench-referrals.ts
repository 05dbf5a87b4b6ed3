/**
 * The client's side of the referrals the benches and the resilience load send, as an agency
 * system does it: the addressed units' keys checked against the pinned root keys of the demo key
 * store, and each referral sealed locally for its recipient, with a fresh id bound into the
 * envelope's aad (so a body cannot be reused), ready to POST to /v1/referrals.
 */
import { randomUUID } from 'node:crypto';
import type { DevKeyStoreContent } from '@samverkan/directory/src/seed/dev-key-store';
import {
  referralMetadata,
  sealEnvelope,
  verifyKeysResponse,
  type ReferralMetadataInput,
} from '@samverkan/shared';

export type VerifiedKeys = Awaited<ReturnType<typeof verifyKeysResponse>>;

/** Verifies a GET /v1/keys answer against the key store's organisations' root keys, pinned. */
export function verifyPinnedKeys(
  keyStore: DevKeyStoreContent,
  response: Parameters<typeof verifyKeysResponse>[0],
): Promise<VerifiedKeys> {
  return verifyKeysResponse(response, {
    trustedRootFingerprints: Object.fromEntries(
      Object.entries(keyStore.roots).map(([org, root]) => [org, [root.kid]]),
    ),
    requirePinnedRoots: true,
  });
}

export interface BenchReferral {
  keyStore: DevKeyStoreContent;
  /** verified keys of both units (verifyPinnedKeys) */
  keys: VerifiedKeys;
  from: string;
  to: string;
  urgency: 'acute' | 'urgent';
  document: Record<string, unknown>;
}

/**
 * One referral from `from` to `to` (a trafficking referral of an adult woman, EU citizen, in
 * Norrköping, on consent), sealed by `from`'s signing key for `to` and `from`: its id and its
 * POST /v1/referrals body.
 */
export async function sealReferralBody(r: BenchReferral): Promise<{ id: string; body: string }> {
  const own = r.keyStore.units[r.from]!;
  const id = randomUUID();
  const routing: Omit<ReferralMetadataInput, 'kind' | 'referralId'> = {
    senderUnitId: r.from,
    recipientUnitId: r.to,
    copyUnitIds: [],
    category: 'trafficking_sexual',
    urgency: r.urgency,
    ageBand: 'adult',
    gender: 'female',
    citizenshipGroup: 'eu',
    municipalityCode: '0581',
    legalBasis: 'consent',
  };
  const sealed = await sealEnvelope({
    meta: referralMetadata({ id, ...routing }),
    document: r.document,
    sender: { signingKey: { kid: own.sig.kid, privateJwk: own.sig.privateJwk } },
    recipients: [{ unitId: r.to, encryptionKeys: r.keys.get(r.to)!.encryptionKeys }],
    senderEncryptionKeys: r.keys.get(r.from)!.encryptionKeys,
  });
  return { id, body: JSON.stringify({ id, ...routing, envelope: sealed.jwe }) };
}
