import type {
  IssuerEntity,
  KeyLogEntryEntity,
  MemberEntity,
  OrganisationEntity,
  RootKeyEntity,
  ShiftEntity,
  UnitEntity,
  UnitKeyEntity,
} from '../entities';
import { pemKeyThumbprint } from '@samverkan/shared';
import { keyLogContent } from '../domain/key-log';

/** Entity → API representation (openapi/directory.yaml). */
const iso = (d: Date | null) => (d ? d.toISOString() : null);

export function organisationView(o: OrganisationEntity) {
  return {
    id: o.id,
    name: o.name,
    kind: o.kind,
    organisationNumber: o.organisationNumber,
    organisationNumberVerification:
      o.numberVerifiedAt && o.numberVerifiedBy
        ? {
            at: o.numberVerifiedAt.toISOString(),
            by: actor(o.numberVerifiedByIssuer, o.numberVerifiedBy),
          }
        : null,
    municipalityCode: o.municipalityCode,
    countyCode: o.countyCode,
    policeRegion: o.policeRegion,
    parentId: o.parentId,
    website: o.website,
    status: o.status,
    createdAt: o.createdAt.toISOString(),
    updatedAt: o.updatedAt.toISOString(),
  };
}

/**
 * A unit as people see it in search: with its organisation's name and number (and whether a hub
 * admin verified that number), and any other organisation whose names read the same.
 */
export function unitView(
  u: UnitEntity,
  org: OrganisationEntity,
  mistakableFor: Array<{ organisationId: string; name: string }> = [],
  auditUnitId: string | null = null,
) {
  return {
    id: u.id,
    organisationId: u.organisationId,
    purpose: u.purpose,
    organisation: {
      id: org.id,
      name: org.name,
      organisationNumber: org.organisationNumber,
      organisationNumberVerified: Boolean(org.numberVerifiedAt),
      organisationNumberVerifiedAt: org.numberVerifiedAt
        ? org.numberVerifiedAt.toISOString()
        : null,
      kind: org.kind,
      policeRegion: org.policeRegion,
      countyCode: org.countyCode,
      auditUnitId,
    },
    name: u.name,
    mistakableFor,
    description: u.description,
    capabilities: u.capabilities,
    coverage: u.coverage,
    counties: u.counties,
    ageBands: u.ageBands,
    genders: u.genders,
    languages: u.languages,
    openingHours: { timeZone: u.timeZone, open247: u.open247, weekly: u.weeklyHours },
    contacts: u.contacts,
    status: u.status,
    onCallUnitId: u.onCallUnitId,
    createdAt: u.createdAt.toISOString(),
    updatedAt: u.updatedAt.toISOString(),
  };
}

export function rootKeyView(k: RootKeyEntity) {
  return {
    kid: k.kid,
    organisationId: k.organisationId,
    jwk: k.jwk,
    fingerprint: k.kid,
    status: k.status,
    registeredAt: k.registeredAt.toISOString(),
    registeredBy: actor(k.registeredByIssuer, k.registeredBy),
    revokedAt: iso(k.revokedAt),
    revocationReason: k.revocationReason,
  };
}

export function unitKeyView(k: UnitKeyEntity) {
  return {
    kid: k.kid,
    unitId: k.unitId,
    organisationId: k.organisationId,
    use: k.use,
    alg: k.alg,
    jwk: k.jwk,
    signed: k.signed,
    rootKid: k.rootKid,
    status: k.status,
    publishedAt: k.publishedAt.toISOString(),
    retiredAt: iso(k.retiredAt),
    revokedAt: iso(k.revokedAt),
    revocationReason: k.revocationReason,
  };
}

/**
 * A person who did something, as the hub knows them: token issuer and subject (a subject alone
 * may be anyone's at another issuer). `issuer` is null on rows written before it was recorded.
 */
function actor(issuer: string | null | undefined, subject: string) {
  return { issuer: issuer ?? null, subject };
}

export function keyLogView(e: KeyLogEntryEntity) {
  return {
    ...keyLogContent(e),
    actorIssuer: e.actorIssuer ?? null,
    prevHash: e.prevHash,
    hash: e.hash,
  };
}

export function memberView(m: MemberEntity) {
  return {
    unitId: m.unitId,
    userId: m.userId,
    roles: m.roles,
    addedAt: m.addedAt.toISOString(),
    addedBy: actor(m.addedByIssuer, m.addedBy),
  };
}

export function shiftView(s: ShiftEntity) {
  return {
    id: s.id,
    unitId: s.unitId,
    userId: s.userId,
    startsAt: s.startsAt.toISOString(),
    endsAt: s.endsAt.toISOString(),
    createdAt: s.createdAt.toISOString(),
    createdBy: actor(s.createdByIssuer, s.createdBy),
  };
}

export function issuerView(i: IssuerEntity) {
  return {
    id: i.id,
    issuer: i.issuer,
    organisationIds: i.organisationIds,
    keySource: i.keySource,
    publicKeyPem: i.publicKeyPem,
    // What the auth plugin requires of a pem issuer's tokens (shared/src/auth/auth.plugin.ts).
    kid: i.keySource === 'pem' && i.publicKeyPem ? pemKeyThumbprint(i.publicKeyPem) : null,
    algorithms: i.algorithms,
    status: i.status,
    createdAt: i.createdAt.toISOString(),
    updatedAt: i.updatedAt.toISOString(),
  };
}
