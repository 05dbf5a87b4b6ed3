import { createPublicKey, randomUUID } from 'node:crypto';
import {
  cachedIssuerSource,
  trustedIssuerFrom,
  ProblemError,
  type IssuerSource,
  type JwtAlgorithm,
  type Principal,
} from '@samverkan/shared';
import { In, type EntityManager } from 'typeorm';
import { IssuerEntity, OrganisationEntity } from '../entities';
import { DirectoryProblems as P } from '../domain/errors';
import { hasPrivateMaterial } from '../domain/unit-keys';
import { DirectoryEvents as E } from '../events/directory-events';
import type { DirectoryContext } from './context';
import { issuerView } from './views';

export interface IssuerInput {
  issuer?: string;
  organisationIds?: string[];
  keySource?: 'jwks' | 'pem';
  publicKeyPem?: string | null;
  algorithms?: string[];
  status?: 'active' | 'disabled';
}

/** Algorithms that fit a PEM key's type, so that a key can never be used with another family. */
function algorithmsForPem(pem: string): JwtAlgorithm[] {
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

function checkIssuer(row: IssuerEntity): void {
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
    // https only, loopback included: keys fetched over plain http could be swapped on the way.
    if (url.protocol !== 'https:') {
      throw new ProblemError(P.issuerInvalid, 'A JWKS issuer must use https');
    }
    row.publicKeyPem = null;
  } else {
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
  }
}

export function createIssuersService(ctx: DirectoryContext, onChange: () => void) {
  const repo = ctx.dataSource.getRepository(IssuerEntity);

  async function find(id: string): Promise<IssuerEntity> {
    const row = await repo.findOneBy({ id });
    if (!row) {
      throw new ProblemError(P.issuerNotFound, `No issuer ${id}`);
    }
    return row;
  }

  async function requireHubAdmin(principal: Principal, action: string, objectId: string | null) {
    if (!principal.hubAdmin) {
      await ctx.pipeline.deny(
        principal,
        { action, objectType: 'issuer', objectId },
        'Only a hub administrator manages token issuers',
      );
    }
  }

  async function checkOrganisations(
    ids: string[],
    manager: EntityManager = ctx.dataSource.manager,
  ): Promise<void> {
    const unique = [...new Set(ids)];
    const found = await manager.getRepository(OrganisationEntity).countBy({ id: In(unique) });
    if (found !== unique.length) {
      throw new ProblemError(
        P.issuerInvalid,
        'Every organisation id must name a registered organisation',
      );
    }
  }

  const events = (row: IssuerEntity, type: string) => [
    {
      type,
      // The whole public configuration, so every service can verify this issuer's tokens.
      data: {
        issuerId: row.id,
        issuer: row.issuer,
        organisationIds: row.organisationIds,
        keySource: row.keySource,
        publicKeyPem: row.publicKeyPem,
        algorithms: row.algorithms,
        status: row.status,
      },
    },
  ];

  return {
    async list(principal: Principal) {
      await requireHubAdmin(principal, 'issuer.list', null);
      return { items: (await repo.find({ order: { issuer: 'ASC' } })).map(issuerView) };
    },

    async get(principal: Principal, id: string) {
      await requireHubAdmin(principal, 'issuer.read', id);
      return issuerView(await find(id));
    },

    async create(
      principal: Principal,
      input: IssuerInput & { issuer: string; organisationIds: string[]; keySource: 'jwks' | 'pem' },
    ) {
      const id = randomUUID();
      await requireHubAdmin(principal, 'issuer.create', id);
      const row = repo.create({
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
      checkIssuer(row);
      await checkOrganisations(row.organisationIds);
      if (await repo.findOneBy({ issuer: row.issuer })) {
        throw new ProblemError(P.issuerExists);
      }
      const result = await ctx.pipeline.transact(
        principal,
        { action: 'issuer.create', objectType: 'issuer', objectId: id },
        async (tx) => {
          await tx.insert(IssuerEntity, row);
          const saved = await tx.findOneByOrFail(IssuerEntity, { id });
          return { result: issuerView(saved), events: events(saved, E.issuerCreated) };
        },
      );
      onChange();
      return result;
    },

    async update(principal: Principal, id: string, patch: IssuerInput) {
      await requireHubAdmin(principal, 'issuer.update', id);
      const result = await ctx.pipeline.transact(
        principal,
        {
          action: 'issuer.update',
          objectType: 'issuer',
          objectId: id,
          detail: { fields: Object.keys(patch) },
        },
        async (tx) => {
          const row = await tx.findOne(IssuerEntity, {
            where: { id },
            lock: { mode: 'pessimistic_write' },
          });
          if (!row) {
            throw new ProblemError(P.issuerNotFound, `No issuer ${id}`);
          }
          if (patch.organisationIds !== undefined) {
            row.organisationIds = [...new Set(patch.organisationIds)];
            await checkOrganisations(row.organisationIds, tx);
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
          checkIssuer(row);
          await tx.save(IssuerEntity, row);
          const saved = await tx.findOneByOrFail(IssuerEntity, { id });
          return { result: issuerView(saved), events: events(saved, E.issuerUpdated) };
        },
      );
      onChange();
      return result;
    },

    async remove(principal: Principal, id: string) {
      await requireHubAdmin(principal, 'issuer.delete', id);
      const row = await find(id);
      await ctx.pipeline.transact(
        principal,
        {
          action: 'issuer.delete',
          objectType: 'issuer',
          objectId: id,
          detail: { issuer: row.issuer },
        },
        async (tx) => {
          await tx.delete(IssuerEntity, { id });
          return { result: undefined, events: events(row, E.issuerDeleted) };
        },
      );
      onChange();
    },
  };
}

/**
 * The directory's issuer table as a source for the auth plugin, cached briefly. Changes made here
 * clear the cache at once; other replicas see them within the TTL.
 */
export function createIssuerSource(
  ctx: Pick<DirectoryContext, 'dataSource'>,
  ttlMs = 10_000,
): IssuerSource & { clear(): void } {
  const repo = ctx.dataSource.getRepository(IssuerEntity);
  return cachedIssuerSource(async (issuer) => {
    const row = await repo.findOneBy({ issuer, status: 'active' });
    return row ? trustedIssuerFrom(row) : undefined;
  }, ttlMs);
}
