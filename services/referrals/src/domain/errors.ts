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
  justificationNotSealedForAuditors: {
    slug: 'justification-not-sealed-for-auditors',
    status: 422,
    title:
      "A justification must also be sealed for the sending organisation's audit keys (docs/envelope.md#sealed-notes)",
    code: 'REFERRALS_JUSTIFICATION_NOT_SEALED_FOR_AUDITORS',
  },
  clearTextRefused: {
    slug: 'clear-text-refused',
    status: 422,
    title:
      'Free text about a case is not accepted in clear: seal it for the parties as a note (docs/envelope.md#sealed-notes)',
    code: 'REFERRALS_CLEAR_TEXT_REFUSED',
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
    title: "The envelope's additional authenticated data does not match the request",
    code: 'REFERRALS_ENVELOPE_AAD_MISMATCH',
  },
  envelopeKeyMissing: {
    slug: 'envelope-key-missing',
    status: 422,
    title: 'The envelope is not encrypted to every active key of every addressed unit',
    code: 'REFERRALS_ENVELOPE_KEY_MISSING',
  },
  envelopeKeyUnexpected: {
    slug: 'envelope-key-unexpected',
    status: 422,
    title: 'The envelope has a recipient entry for a key that no addressed unit has',
    code: 'REFERRALS_ENVELOPE_KEY_UNEXPECTED',
  },
  envelopeIatImplausible: {
    slug: 'envelope-iat-implausible',
    status: 422,
    title: "The envelope's signing time (iat) is implausible",
    code: 'REFERRALS_ENVELOPE_IAT_IMPLAUSIBLE',
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

  operationNotFound: {
    slug: 'operation-not-found',
    status: 404,
    title: 'No such operation',
    code: 'REFERRALS_OPERATION_NOT_FOUND',
  },
  notOperationOrganiser: {
    slug: 'not-operation-organiser',
    status: 403,
    title: "Only the organiser unit's officers or coordinators may do this",
    code: 'REFERRALS_NOT_OPERATION_ORGANISER',
  },
  cannotOrganise: {
    slug: 'cannot-organise-operation',
    status: 403,
    title:
      'Operations are organised by an officer of a police unit or a coordinator of a regional coordinator unit, for their own unit',
    code: 'REFERRALS_CANNOT_ORGANISE_OPERATION',
  },
  notParticipantAdmin: {
    slug: 'not-participant-admin',
    status: 403,
    title: "Only the invited unit's organisation administrator or coordinator may answer",
    code: 'REFERRALS_NOT_PARTICIPANT_ADMIN',
  },
  cannotStaffUnit: {
    slug: 'cannot-staff-unit',
    status: 403,
    title: "Only the unit's own members or its organisation administrator may staff it",
    code: 'REFERRALS_CANNOT_STAFF_UNIT',
  },
  operationTransitionNotAllowed: {
    slug: 'operation-transition-not-allowed',
    status: 409,
    title: 'The operation is not in a state that allows this',
    code: 'REFERRALS_OPERATION_TRANSITION_NOT_ALLOWED',
  },
  operationOutsidePeriod: {
    slug: 'operation-outside-period',
    status: 409,
    title: 'An operation can be active only within its period',
    code: 'REFERRALS_OPERATION_OUTSIDE_PERIOD',
  },
  operationNotActive: {
    slug: 'operation-not-active',
    status: 409,
    title: 'Field requests are made and claimed only while the operation is active',
    code: 'REFERRALS_OPERATION_NOT_ACTIVE',
  },
  participationAlreadyAnswered: {
    slug: 'participation-already-answered',
    status: 409,
    title: 'This unit has already answered the invitation',
    code: 'REFERRALS_PARTICIPATION_ALREADY_ANSWERED',
  },
  operationPeriodInvalid: {
    slug: 'operation-period-invalid',
    status: 422,
    title: 'The period must end after it starts, end in the future and last at most 31 days',
    code: 'REFERRALS_OPERATION_PERIOD_INVALID',
  },
  operationUnitsInvalid: {
    slug: 'operation-units-invalid',
    status: 422,
    title: 'A unit named cannot take this part in the operation',
    code: 'REFERRALS_OPERATION_UNITS_INVALID',
  },
  shiftOutsideOperation: {
    slug: 'shift-outside-operation',
    status: 422,
    title: "A shift must end after it starts and lie within the operation's period",
    code: 'REFERRALS_SHIFT_OUTSIDE_OPERATION',
  },
  shiftNotAMember: {
    slug: 'shift-member-unknown',
    status: 422,
    title: 'The person put on shift is not a member of the unit',
    code: 'REFERRALS_SHIFT_MEMBER_UNKNOWN',
  },
  shiftNotFound: {
    slug: 'shift-not-found',
    status: 404,
    title: 'No such shift on this operation',
    code: 'REFERRALS_SHIFT_NOT_FOUND',
  },
  fieldRequestNotFound: {
    slug: 'field-request-not-found',
    status: 404,
    title: 'No such field request',
    code: 'REFERRALS_FIELD_REQUEST_NOT_FOUND',
  },
  notOrganiserOfficer: {
    slug: 'not-organiser-officer',
    status: 403,
    title: "Only officers of the organiser's organisation may make field requests",
    code: 'REFERRALS_NOT_ORGANISER_OFFICER',
  },
  notOnShift: {
    slug: 'not-on-shift',
    status: 403,
    title: 'Only members on an operation shift now at a participating unit may claim',
    code: 'REFERRALS_NOT_ON_SHIFT',
  },
  notTheClaimer: {
    slug: 'not-the-claimer',
    status: 403,
    title: 'Only the person who claimed the field request may do this',
    code: 'REFERRALS_NOT_THE_CLAIMER',
  },
  notTheRequester: {
    slug: 'not-the-requester',
    status: 403,
    title: 'Only officers of the requesting unit may cancel a field request',
    code: 'REFERRALS_NOT_THE_REQUESTER',
  },
  fieldRequestAlreadyClaimed: {
    slug: 'field-request-already-claimed',
    status: 409,
    title: 'Someone else has claimed this field request',
    code: 'REFERRALS_FIELD_REQUEST_ALREADY_CLAIMED',
  },
  fieldRequestTransitionNotAllowed: {
    slug: 'field-request-transition-not-allowed',
    status: 409,
    title: 'The field request is not in a state that allows this',
    code: 'REFERRALS_FIELD_REQUEST_TRANSITION_NOT_ALLOWED',
  },
  noSocialServicesParticipant: {
    slug: 'operation-has-no-social-services',
    status: 409,
    title: 'No social services unit has accepted taking part in this operation',
    code: 'REFERRALS_OPERATION_HAS_NO_SOCIAL_SERVICES',
  },
  neededByInvalid: {
    slug: 'needed-by-invalid',
    status: 422,
    title: 'The needed-by time must be in the future and at most 24 hours ahead',
    code: 'REFERRALS_NEEDED_BY_INVALID',
  },
  tallyAlreadyRecorded: {
    slug: 'tally-already-recorded',
    status: 409,
    title: 'The tally of this field request has already been recorded',
    code: 'REFERRALS_TALLY_ALREADY_RECORDED',
  },
  tallyInvalid: {
    slug: 'tally-invalid',
    status: 422,
    title: 'The tally does not add up',
    code: 'REFERRALS_TALLY_INVALID',
  },
  tallyReferralInvalid: {
    slug: 'tally-referral-invalid',
    status: 422,
    title: "A referral named is unknown, not the claimer's unit's, or already linked elsewhere",
    code: 'REFERRALS_TALLY_REFERRAL_INVALID',
  },
});
