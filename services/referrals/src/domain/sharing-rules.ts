import { ProblemError } from '@samverkan/shared';
import { ReferralProblems as P } from './errors';

/**
 * The rules for who a referral may be shared with (docs/architecture.md#referral-lifecycle), checked on send and on each new
 * referral a forward creates. The facts about the units (organisation kind, active) come from the
 * directory's read model; this file only decides.
 *
 * The first broken rule is reported, in this order: addressing (who is addressed at all), then
 * legal basis, then duty to report, then justification; so the error names the most basic fix.
 */

/** As in openapi/referrals.yaml `LegalBasis`. */
export const LEGAL_BASES = [
  /** the person has agreed to the sharing */
  'consent',
  /** duty to report concern for a child to social services */
  'child_protection',
  /** acute danger to life or health; needs a written justification */
  'acute_protection',
  /** another statutory duty or permission to share */
  'legal_duty',
] as const;
export type LegalBasis = (typeof LEGAL_BASES)[number];

export const AGE_BANDS = ['child', 'adult', 'unknown'] as const;
export type AgeBand = (typeof AGE_BANDS)[number];

/** As in openapi/directory.yaml `OrganisationKind`. */
export const ORGANISATION_KINDS = [
  'social_services',
  'police',
  'regional_coordinator',
  'ngo',
  'healthcare',
  'county_board',
  'migration_agency',
  'other',
] as const;
export type OrganisationKind = (typeof ORGANISATION_KINDS)[number];

export const MAX_COPY_UNITS = 20;

export interface SharingRecipient {
  unitId: string;
  organisationKind: OrganisationKind;
  role: 'recipient' | 'copy';
  /** the unit's directory status; an inactive unit cannot be addressed. Absent means active. */
  status?: 'active' | 'inactive';
}

export interface SharingRequest {
  legalBasis: LegalBasis;
  ageBand: AgeBand;
  /**
   * Whether the sender gave a justification for acute_protection. The text itself is sealed by the
   * sender's client for the parties (a message on the referral's thread): the hub only knows that
   * one exists. A forward leg inherits its original's.
   */
  justified: boolean;
  recipients: readonly SharingRecipient[];
  senderUnitId: string;
}

/** Throws the ProblemError of the first broken rule; returns nothing when all hold. */
export function checkSharingRules(request: SharingRequest): void {
  const { legalBasis, ageBand, justified, recipients, senderUnitId } = request;

  const acting = recipients.filter((r) => r.role === 'recipient');
  if (acting.length !== 1) {
    throw notAllowed(
      `A referral has exactly one recipient unit that acts on it (got ${acting.length}); ` +
        'other units can be copies',
    );
  }
  const copies = recipients.length - 1;
  if (copies > MAX_COPY_UNITS) {
    throw notAllowed(`At most ${MAX_COPY_UNITS} copy units (got ${copies})`);
  }

  const seen = new Set<string>();
  for (const r of recipients) {
    if (r.unitId === senderUnitId) {
      throw notAllowed(
        r.role === 'recipient'
          ? `Unit ${r.unitId} is the sending unit and cannot also be the recipient`
          : `Unit ${r.unitId} is the sending unit; it can read what it sent without being a copy`,
        r.unitId,
      );
    }
    if (seen.has(r.unitId)) {
      throw notAllowed(`Unit ${r.unitId} is addressed more than once`, r.unitId);
    }
    seen.add(r.unitId);
    if (r.status === 'inactive') {
      throw notAllowed(`Unit ${r.unitId} is inactive and cannot receive referrals`, r.unitId);
    }
  }

  if (legalBasis !== 'consent') {
    const ngo = recipients.find((r) => r.organisationKind === 'ngo');
    if (ngo) {
      throw new ProblemError(
        P.legalBasisRequiresConsent,
        `Unit ${ngo.unitId} (${ngo.role}) belongs to a non-governmental organisation; ` +
          `sharing with it requires legal basis consent, not ${legalBasis}`,
        { extensions: { unitId: ngo.unitId } },
      );
    }
  }

  // Only a known child: "unknown" cannot be enforced without blocking every referral where age
  // is not yet established. Clients should nudge towards social services when in doubt.
  if (ageBand === 'child' && !recipients.some((r) => r.organisationKind === 'social_services')) {
    throw new ProblemError(
      P.childNeedsSocialServices,
      'A referral about a child must have a social services unit as recipient or copy',
    );
  }

  if (legalBasis === 'acute_protection' && !justified) {
    throw new ProblemError(
      P.justificationRequired,
      'Legal basis acute_protection needs a justification, sealed for the parties',
      { errors: [{ field: 'body.justification', message: 'is required for acute_protection' }] },
    );
  }
}

function notAllowed(detail: string, unitId?: string): ProblemError {
  return new ProblemError(P.recipientNotAllowed, detail, {
    extensions: unitId === undefined ? {} : { unitId },
  });
}
