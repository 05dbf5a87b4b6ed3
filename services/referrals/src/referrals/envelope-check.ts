import {
  AAD_MEMBERS,
  envelopeRoutingInfo,
  EnvelopeError,
  ProblemError,
  sameValue,
  type EnvelopeRoutingInfo,
} from '@samverkan/shared';
import type { EntityManager } from 'typeorm';
import type { DirectoryUnitEntity, ReferralEntity } from '../entities';
import { ReferralProblems as P } from '../domain/errors';
import type { ReferralsContext } from '../services/context';
import type { SealedNote } from './model';
import { requireAuditRecipients } from '../services/audit-sealing';

/** A sealed envelope older than this is refused (a sender seals just before it sends). */
export const ENVELOPE_IAT_MAX_AGE_SECONDS = 24 * 3600;
/** Clock difference tolerated between a sender and the hub. */
export const ENVELOPE_IAT_MAX_FUTURE_SECONDS = 300;

const sorted = (ids: readonly string[]) => [...ids].sort();
function sameSet(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) {
    return false;
  }
  const x = sorted(a);
  const y = sorted(b);
  return x.every((v, i) => v === y[i]);
}

/** What the hub expects of an envelope: the clear record it will show, by AAD member name. */
export interface ExpectedEnvelope {
  rid: string;
  from: string;
  to: string[];
  kind: 'referral' | 'message' | 'field_request';
  /** What the hub will show in clear, by aad member name (docs/envelope.md). */
  record: Record<string, unknown>;
}

/** The parties a note (a thread message) from `from` is sealed for: every other unit. */
export function noteAddressees(
  r: Pick<ReferralEntity, 'senderUnitId' | 'recipientUnitId' | 'copyUnitIds'>,
  from: string,
): string[] {
  return [...new Set([r.senderUnitId, r.recipientUnitId, ...r.copyUnitIds])].filter(
    (u) => u !== from,
  );
}

export function createEnvelopeChecks(ctx: ReferralsContext) {
  /**
   * The server's envelope checks (docs/envelope.md, "What the hub checks"): structure and size,
   * version 2, every clear member of the request equal to the one bound in the AAD, a plausible
   * signing time, and the recipient entries exactly the active encryption keys of the addressed
   * units and of the sender's unit — none missing, none extra. It never decrypts anything.
   */
  async function checkEnvelope(
    envelope: Record<string, unknown>,
    expected: ExpectedEnvelope,
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

  return { checkEnvelope, checkNote };
}

export type EnvelopeChecks = ReturnType<typeof createEnvelopeChecks>;
