import { defineProblems } from '@samverkan/shared';

/** The directory's own problem types; `type` is `urn:samverkan:problem:<slug>`. */
export const DirectoryProblems = defineProblems({
  organisationNotFound: {
    slug: 'organisation-not-found',
    status: 404,
    title: 'No such organisation',
    code: 'DIRECTORY_ORGANISATION_NOT_FOUND',
  },
  unitNotFound: {
    slug: 'unit-not-found',
    status: 404,
    title: 'No such unit',
    code: 'DIRECTORY_UNIT_NOT_FOUND',
  },
  memberNotFound: {
    slug: 'member-not-found',
    status: 404,
    title: 'No such member of this unit',
    code: 'DIRECTORY_MEMBER_NOT_FOUND',
  },
  shiftNotFound: {
    slug: 'shift-not-found',
    status: 404,
    title: 'No such shift',
    code: 'DIRECTORY_SHIFT_NOT_FOUND',
  },
  keyNotFound: {
    slug: 'key-not-found',
    status: 404,
    title: 'No such key',
    code: 'DIRECTORY_KEY_NOT_FOUND',
  },
  rootKeyNotFound: {
    slug: 'root-key-not-found',
    status: 404,
    title: 'No such root key',
    code: 'DIRECTORY_ROOT_KEY_NOT_FOUND',
  },
  issuerNotFound: {
    slug: 'issuer-not-found',
    status: 404,
    title: 'No such issuer',
    code: 'DIRECTORY_ISSUER_NOT_FOUND',
  },

  organisationNumberInvalid: {
    slug: 'organisation-number-invalid',
    status: 422,
    title: 'The organisation number is not a valid Swedish organisation number',
    code: 'DIRECTORY_ORGANISATION_NUMBER_INVALID',
  },
  municipalityUnknown: {
    slug: 'municipality-unknown',
    status: 422,
    title: 'Unknown municipality code',
    code: 'DIRECTORY_MUNICIPALITY_UNKNOWN',
  },
  countyUnknown: {
    slug: 'county-unknown',
    status: 422,
    title: 'Unknown county code',
    code: 'DIRECTORY_COUNTY_UNKNOWN',
  },
  countyMismatch: {
    slug: 'county-mismatch',
    status: 422,
    title: 'The municipality is not in the given county',
    code: 'DIRECTORY_COUNTY_MISMATCH',
  },
  policeRegionMismatch: {
    slug: 'police-region-mismatch',
    status: 422,
    title: 'The police region does not cover the given county',
    code: 'DIRECTORY_POLICE_REGION_MISMATCH',
  },
  parentInvalid: {
    slug: 'parent-invalid',
    status: 422,
    title: 'The parent organisation is not valid',
    code: 'DIRECTORY_PARENT_INVALID',
  },
  languageUnknown: {
    slug: 'language-unknown',
    status: 422,
    title: 'Unknown ISO 639 language code',
    code: 'DIRECTORY_LANGUAGE_UNKNOWN',
  },
  timeZoneUnknown: {
    slug: 'time-zone-unknown',
    status: 422,
    title: 'Unknown IANA time zone',
    code: 'DIRECTORY_TIME_ZONE_UNKNOWN',
  },
  openingHoursInvalid: {
    slug: 'opening-hours-invalid',
    status: 422,
    title: 'The opening hours are not valid',
    code: 'DIRECTORY_OPENING_HOURS_INVALID',
  },
  nameConfusable: {
    slug: 'name-confusable',
    status: 422,
    title: 'The name can be mistaken for another organisation’s',
    code: 'DIRECTORY_NAME_CONFUSABLE',
  },
  organisationRenameHubOnly: {
    slug: 'forbidden',
    status: 403,
    title: 'Only a hub administrator renames an organisation',
    code: 'FORBIDDEN',
  },
  auditUnitExists: {
    slug: 'audit-unit-exists',
    status: 409,
    title: 'The organisation has an audit unit already',
    code: 'DIRECTORY_AUDIT_UNIT_EXISTS',
  },
  onCallUnitInvalid: {
    slug: 'on-call-unit-invalid',
    status: 422,
    title: 'The on-call unit must be another active unit of the same organisation',
    code: 'DIRECTORY_ON_CALL_UNIT_INVALID',
  },
  organisationInactive: {
    slug: 'organisation-inactive',
    status: 422,
    title: 'The organisation is inactive',
    code: 'DIRECTORY_ORGANISATION_INACTIVE',
  },

  rootKeyMalformed: {
    slug: 'root-key-malformed',
    status: 422,
    title: 'The root key must be a public Ed25519 JWK',
    code: 'DIRECTORY_ROOT_KEY_MALFORMED',
  },
  rootKeyFingerprintMismatch: {
    slug: 'root-key-fingerprint-mismatch',
    status: 422,
    title: 'The fingerprint does not match the key',
    code: 'DIRECTORY_ROOT_KEY_FINGERPRINT_MISMATCH',
  },
  rootKeyExists: {
    slug: 'root-key-exists',
    status: 409,
    title: 'This root key is already registered',
    code: 'DIRECTORY_ROOT_KEY_EXISTS',
  },
  rootKeyRevoked: {
    slug: 'root-key-revoked',
    status: 409,
    title: 'This root key is already revoked',
    code: 'DIRECTORY_ROOT_KEY_REVOKED',
  },

  keyPrivateMaterial: {
    slug: 'key-private-material',
    status: 422,
    title: 'A private key was sent; it was refused and not stored. Publish only the public key',
    code: 'DIRECTORY_KEY_PRIVATE_MATERIAL',
  },
  keyMalformed: {
    slug: 'key-malformed',
    status: 422,
    title: 'The signed key is malformed',
    code: 'DIRECTORY_KEY_MALFORMED',
  },
  keySignatureInvalid: {
    slug: 'key-signature-invalid',
    status: 422,
    title: "The key is not signed by an active root key of the unit's organisation",
    code: 'DIRECTORY_KEY_SIGNATURE_INVALID',
  },
  keyWrongOrganisation: {
    slug: 'key-wrong-organisation',
    status: 422,
    title: "The key belongs to another organisation than the unit's",
    code: 'DIRECTORY_KEY_WRONG_ORGANISATION',
  },
  keyUnitMismatch: {
    slug: 'key-unit-mismatch',
    status: 422,
    title: 'The signed key names another unit',
    code: 'DIRECTORY_KEY_UNIT_MISMATCH',
  },
  keyExists: {
    slug: 'key-exists',
    status: 409,
    title: 'This key is already published',
    code: 'DIRECTORY_KEY_EXISTS',
  },
  keyStateConflict: {
    slug: 'key-state-conflict',
    status: 409,
    title: 'The key is not in a state that allows this',
    code: 'DIRECTORY_KEY_STATE_CONFLICT',
  },

  memberRoleNotGrantable: {
    slug: 'member-role-not-grantable',
    status: 422,
    title: 'This role cannot be given to a member of this unit',
    code: 'DIRECTORY_MEMBER_ROLE_NOT_GRANTABLE',
  },
  shiftMemberNotInUnit: {
    slug: 'shift-member-not-in-unit',
    status: 422,
    title: 'A shift can only be given to a member of the unit',
    code: 'DIRECTORY_SHIFT_MEMBER_NOT_IN_UNIT',
  },
  shiftPeriodInvalid: {
    slug: 'shift-period-invalid',
    status: 422,
    title: 'A shift must end after it starts and last at most 7 days',
    code: 'DIRECTORY_SHIFT_PERIOD_INVALID',
  },

  issuerExists: {
    slug: 'issuer-exists',
    status: 409,
    title: 'This issuer is already registered',
    code: 'DIRECTORY_ISSUER_EXISTS',
  },
  issuerInvalid: {
    slug: 'issuer-invalid',
    status: 422,
    title: 'The issuer configuration is not valid',
    code: 'DIRECTORY_ISSUER_INVALID',
  },

  deviceNotFound: {
    slug: 'device-not-found',
    status: 404,
    title: 'No such device',
    code: 'DIRECTORY_DEVICE_NOT_FOUND',
  },
  recoveryKeyNotFound: {
    slug: 'recovery-key-not-found',
    status: 404,
    title: 'The unit has no recovery key',
    code: 'DIRECTORY_RECOVERY_KEY_NOT_FOUND',
  },
  deviceProofInvalid: {
    slug: 'device-proof-invalid',
    status: 401,
    title: "The request's DPoP proof of the device key is missing or invalid",
    code: 'DIRECTORY_DEVICE_PROOF_INVALID',
  },
  deviceNotEnrolled: {
    slug: 'device-not-enrolled',
    status: 403,
    title: 'The key that signed the proof is not an enrolled device of yours',
    code: 'DIRECTORY_DEVICE_NOT_ENROLLED',
  },
  deviceRevoked: {
    slug: 'device-revoked',
    status: 403,
    title: 'This device is revoked',
    code: 'DIRECTORY_DEVICE_REVOKED',
  },
  deviceKeyMalformed: {
    slug: 'device-key-malformed',
    status: 422,
    title: 'A device key must be a public X25519 (encryption) or Ed25519 (signing) JWK',
    code: 'DIRECTORY_DEVICE_KEY_MALFORMED',
  },
  deviceExists: {
    slug: 'device-exists',
    status: 409,
    title: 'This key is already enrolled',
    code: 'DIRECTORY_DEVICE_EXISTS',
  },
  deviceStateConflict: {
    slug: 'device-state-conflict',
    status: 409,
    title: 'The device is not in a state that allows this',
    code: 'DIRECTORY_DEVICE_STATE_CONFLICT',
  },
  deviceBindingInvalid: {
    slug: 'device-binding-invalid',
    status: 422,
    title:
      "The device binding does not verify with the unit's signing key or names the wrong device",
    code: 'DIRECTORY_DEVICE_BINDING_INVALID',
  },
  keyBoxMalformed: {
    slug: 'key-box-malformed',
    status: 422,
    title: "The key box is not a compact JWE sealed to its holder's encryption key",
    code: 'DIRECTORY_KEY_BOX_MALFORMED',
  },
  keyBoxHolderInvalid: {
    slug: 'key-box-holder-invalid',
    status: 422,
    title: 'A key box holder is not an approved device or the recovery key of the unit',
    code: 'DIRECTORY_KEY_BOX_HOLDER_INVALID',
  },
});
