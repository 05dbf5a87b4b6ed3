/** Event types the directory publishes (documented in openapi/directory.events.yaml). */
export const DirectoryEvents = {
  organisationCreated: 'samverkan.directory.organisation.created',
  organisationUpdated: 'samverkan.directory.organisation.updated',
  rootKeyRegistered: 'samverkan.directory.organisation.root_key_registered',
  rootKeyRevoked: 'samverkan.directory.organisation.root_key_revoked',
  unitCreated: 'samverkan.directory.unit.created',
  unitUpdated: 'samverkan.directory.unit.updated',
  memberAdded: 'samverkan.directory.unit.member_added',
  memberRemoved: 'samverkan.directory.unit.member_removed',
  shiftCreated: 'samverkan.directory.unit.shift_created',
  shiftDeleted: 'samverkan.directory.unit.shift_deleted',
  keyRotated: 'samverkan.directory.unit.key_rotated',
  issuerCreated: 'samverkan.directory.issuer.created',
  issuerUpdated: 'samverkan.directory.issuer.updated',
  issuerDeleted: 'samverkan.directory.issuer.deleted',
} as const;
