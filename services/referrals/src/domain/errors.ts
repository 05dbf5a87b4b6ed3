import { defineProblems } from '@samverkan/shared';

/** The referrals service's own problem types; `type` is `urn:samverkan:problem:<slug>`. */
export const ReferralProblems = defineProblems({
  referralNotFound: {
    slug: 'referral-not-found',
    status: 404,
    title: 'No such referral',
    code: 'REFERRALS_REFERRAL_NOT_FOUND',
  },

  transitionNotAllowed: {
    slug: 'referral-transition-not-allowed',
    status: 409,
    title: 'The referral is not in a state that allows this',
    code: 'REFERRALS_TRANSITION_NOT_ALLOWED',
  },
  versionConflict: {
    slug: 'referral-version-conflict',
    status: 409,
    title: 'The referral was changed by someone else; reload it and try again',
    code: 'REFERRALS_VERSION_CONFLICT',
  },
  handoverNotPlanned: {
    slug: 'handover-not-planned',
    status: 409,
    title: 'No handover is planned for this referral',
    code: 'REFERRALS_HANDOVER_NOT_PLANNED',
  },
  handoverAlreadyConfirmed: {
    slug: 'handover-already-confirmed',
    status: 409,
    title: 'This side has already confirmed the handover',
    code: 'REFERRALS_HANDOVER_ALREADY_CONFIRMED',
  },

  notMemberOfSender: {
    slug: 'not-a-member-of-sender',
    status: 403,
    title: 'Only members of the sending unit may do this',
    code: 'REFERRALS_NOT_MEMBER_OF_SENDER',
  },
  notMemberOfRecipient: {
    slug: 'not-a-member-of-recipient',
    status: 403,
    title: 'Only members of the receiving unit may do this',
    code: 'REFERRALS_NOT_MEMBER_OF_RECIPIENT',
  },
  notAParty: {
    slug: 'not-a-party-to-referral',
    status: 403,
    title: 'Only the sending or the receiving unit may do this; copy units only read',
    code: 'REFERRALS_NOT_A_PARTY',
  },
  roleNotPermitted: {
    slug: 'role-not-permitted',
    status: 403,
    title: 'Your roles do not allow handling referrals',
    code: 'REFERRALS_ROLE_NOT_PERMITTED',
  },

  notCoordinator: {
    slug: 'not-a-coordinator',
    status: 422,
    title: 'Only a coordinator may forward a referral',
    code: 'REFERRALS_NOT_A_COORDINATOR',
  },
  legalBasisRequiresConsent: {
    slug: 'legal-basis-requires-consent',
    status: 422,
    title: 'Sharing with a non-governmental organisation requires the legal basis consent',
    code: 'REFERRALS_LEGAL_BASIS_REQUIRES_CONSENT',
  },
  childNeedsSocialServices: {
    slug: 'child-needs-social-services',
    status: 422,
    title: 'A referral about a child must include a social services unit (duty to report)',
    code: 'REFERRALS_CHILD_NEEDS_SOCIAL_SERVICES',
  },
  justificationRequired: {
    slug: 'justification-required',
    status: 422,
    title: 'The legal basis acute_protection requires a justification',
    code: 'REFERRALS_JUSTIFICATION_REQUIRED',
  },
  declineReasonRequired: {
    slug: 'decline-reason-required',
    status: 422,
    title: 'Declining requires one of the known reasons',
    code: 'REFERRALS_DECLINE_REASON_REQUIRED',
  },
  outcomeRequired: {
    slug: 'outcome-required',
    status: 422,
    title: 'Closing requires one of the known outcomes',
    code: 'REFERRALS_OUTCOME_REQUIRED',
  },
  handoverInvalid: {
    slug: 'handover-invalid',
    status: 422,
    title: 'A handover needs a known mode and a valid planned time',
    code: 'REFERRALS_HANDOVER_INVALID',
  },
  handoverSamePerson: {
    slug: 'handover-confirmed-by-same-person',
    status: 422,
    title: 'The two sides of a handover must be confirmed by two different people',
    code: 'REFERRALS_HANDOVER_SAME_PERSON',
  },
  recipientNotAllowed: {
    slug: 'referral-units-invalid',
    status: 422,
    title: 'This unit cannot be addressed here',
    code: 'REFERRALS_UNITS_INVALID',
  },

  envelopeMalformed: {
    slug: 'envelope-malformed',
    status: 422,
    title: 'The envelope is not a JWE in General JSON Serialization of the expected shape',
    code: 'REFERRALS_ENVELOPE_MALFORMED',
  },
  envelopeAadMismatch: {
    slug: 'envelope-aad-mismatch',
    status: 422,
    title: "The envelope's additional authenticated data does not match the referral's routing",
    code: 'REFERRALS_ENVELOPE_AAD_MISMATCH',
  },
  envelopeKeyMissing: {
    slug: 'envelope-key-missing',
    status: 422,
    title: 'The envelope is not encrypted to every active key of every addressed unit',
    code: 'REFERRALS_ENVELOPE_KEY_MISSING',
  },
  envelopeTooLarge: {
    slug: 'envelope-too-large',
    status: 413,
    title: 'The envelope is larger than allowed',
    code: 'REFERRALS_ENVELOPE_TOO_LARGE',
  },
  envelopeAccessRevoked: {
    slug: 'envelope-access-revoked',
    status: 403,
    title: 'Your unit no longer has access to this envelope',
    code: 'REFERRALS_ENVELOPE_ACCESS_REVOKED',
  },
});
