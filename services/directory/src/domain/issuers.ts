import { createPublicKey } from 'node:crypto';
import { ProblemError, type JwtAlgorithm } from '@samverkan/shared';
import type { IssuerEntity } from '../entities/issuer.entity';
import type { PendingEvent } from '../services/context';
import { DirectoryProblems as P } from './errors';
import { hasPrivateMaterial } from './unit-keys';

/** The rules of trusted token issuers, as pure decisions. */

export interface IssuerInput {
  issuer?: string;
  organisationIds?: string[];
  keySource?: 'jwks' | 'pem';
  publicKeyPem?: string | null;
  algorithms?: string[];
  status?: 'active' | 'disabled';
}

export type NewIssuer = Omit<IssuerEntity, 'createdAt' | 'updatedAt'>;

/** Algorithms that fit a PEM key's type, so that a key can never be used with another family. */
export function algorithmsForPem(pem: string): JwtAlgorithm[] {
  let key;
  try {
    key = createPublicKey(pem);
  } catch {
    throw new ProblemError(P.issuerInvalid, 'publicKeyPem is not a PEM public key');
  }
  switch (key.asymmetricKeyType) {
    case 'ed25519':
      return ['EdDSA'];
    case 'ec':
      return ['ES256', 'ES384', 'ES512'];
    case 'rsa':
    case 'rsa-pss':
      return ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'];
    default:
      throw new ProblemError(
        P.issuerInvalid,
        `Keys of type ${String(key.asymmetricKeyType)} are not accepted`,
      );
  }
}

/**
 * A JWKS issuer is an https URL (its keys are fetched from it; plain http could swap them on the
 * way), a PEM issuer a public key whose algorithms fit its type. Returns the issuer as stored.
 */
export function checkedIssuer<T extends NewIssuer>(row: T): T {
  if (row.keySource === 'jwks') {
    let url: URL;
    try {
      url = new URL(row.issuer);
    } catch {
      throw new ProblemError(
        P.issuerInvalid,
        'A JWKS issuer must be an https URL; its keys are read from <issuer>/.well-known/jwks.json',
      );
    }
    if (url.protocol !== 'https:') {
      throw new ProblemError(P.issuerInvalid, 'A JWKS issuer must use https');
    }
    return { ...row, publicKeyPem: null };
  }
  if (!row.publicKeyPem) {
    throw new ProblemError(P.issuerInvalid, 'A pem issuer needs publicKeyPem');
  }
  if (/PRIVATE KEY/.test(row.publicKeyPem) || hasPrivateMaterial(row.publicKeyPem)) {
    throw new ProblemError(
      P.keyPrivateMaterial,
      'A private key was sent for an issuer; it was refused and not stored',
    );
  }
  const fitting = algorithmsForPem(row.publicKeyPem);
  const wrong = row.algorithms.filter((a) => !(fitting as string[]).includes(a));
  if (wrong.length > 0) {
    throw new ProblemError(
      P.issuerInvalid,
      `${wrong.join(', ')} do not fit this key; use ${fitting.join(', ')}`,
    );
  }
  return row;
}

export function newIssuer(
  id: string,
  input: IssuerInput & { issuer: string; organisationIds: string[]; keySource: 'jwks' | 'pem' },
): NewIssuer {
  return checkedIssuer({
    id,
    issuer: input.issuer,
    organisationIds: [...new Set(input.organisationIds)],
    keySource: input.keySource,
    publicKeyPem: input.publicKeyPem ?? null,
    algorithms:
      input.algorithms ??
      (input.publicKeyPem ? algorithmsForPem(input.publicKeyPem) : ['EdDSA', 'ES256', 'RS256']),
    status: 'active',
  });
}

/** The issuer after a patch (read under FOR UPDATE); organisations are checked by the caller. */
export function patchedIssuer(locked: IssuerEntity, patch: IssuerInput): IssuerEntity {
  const row = { ...locked };
  if (patch.organisationIds !== undefined) {
    row.organisationIds = [...new Set(patch.organisationIds)];
  }
  if (patch.publicKeyPem !== undefined) {
    row.publicKeyPem = patch.publicKeyPem;
  }
  if (patch.algorithms !== undefined) {
    row.algorithms = patch.algorithms;
  }
  if (patch.status !== undefined) {
    row.status = patch.status;
  }
  return row;
}

/** Every organisation id must name a registered organisation (`found` of the unique ids). */
export function checkOrganisationsFound(ids: string[], found: number): void {
  if (found !== new Set(ids).size) {
    throw new ProblemError(
      P.issuerInvalid,
      'Every organisation id must name a registered organisation',
    );
  }
}

/** Issuer events carry the whole public configuration, so every service can verify its tokens. */
export function issuerEvent(type: string, row: NewIssuer): PendingEvent {
  return {
    type,
    data: {
      issuerId: row.id,
      issuer: row.issuer,
      organisationIds: row.organisationIds,
      keySource: row.keySource,
      publicKeyPem: row.publicKeyPem,
      algorithms: row.algorithms,
      status: row.status,
    },
  };
}
