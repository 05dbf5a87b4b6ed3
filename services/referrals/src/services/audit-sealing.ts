import { envelopeRoutingInfo, ProblemError } from '@samverkan/shared';
import { ReferralProblems as P } from '../domain/errors';

/** An organisation's audit unit as the directory read model knows it. */
export interface AuditUnit {
  unitId: string;
  organisationId: string;
  activeEncryptionKids: string[];
}

/**
 * A justification is sealed for the parties and for the sending organisation's auditors
 * (docs/envelope.md "Sealed notes"): every active encryption key of the sender organisation's
 * audit unit must have a recipient entry. Checked before the ordinary envelope checks, so that a
 * client that forgot the auditors is told so by name (organisation, unit and key) rather than
 * with a general mismatch of recipients. A malformed envelope is left to those checks.
 */
export function requireAuditRecipients(
  envelope: Record<string, unknown>,
  auditUnits: AuditUnit[],
): void {
  if (auditUnits.length === 0) {
    return;
  }
  let recipientKids: string[];
  let to: string[];
  try {
    const info = envelopeRoutingInfo(envelope);
    recipientKids = info.recipientKids;
    to = info.aad.to;
  } catch {
    return;
  }
  const missing = auditUnits.flatMap((u) =>
    u.activeEncryptionKids
      .filter((kid) => !recipientKids.includes(kid) || !to.includes(u.unitId))
      .map((kid) => ({ organisationId: u.organisationId, unitId: u.unitId, kid })),
  );
  if (missing.length > 0) {
    throw new ProblemError(
      P.justificationNotSealedForAuditors,
      missing
        .map(
          (m) =>
            `organisation ${m.organisationId} expects the justification sealed for its audit unit ${m.unitId} (key ${m.kid})`,
        )
        .join('; '),
      {
        errors: [
          {
            field: 'justification.envelope',
            message: 'lacks the sender organisation’s audit keys',
          },
        ],
        extensions: { missingAuditKeys: missing },
      },
    );
  }
}
