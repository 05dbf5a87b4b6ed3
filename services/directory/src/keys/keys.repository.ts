import type { DataSource } from 'typeorm';
import { OrganisationEntity, RootKeyEntity, UnitEntity, UnitKeyEntity } from '../entities';

/** Postgres renders a timestamptz inside JSON with microseconds and an offset; the API shows ISO 8601 in UTC with milliseconds, as everywhere. */
const iso = (value: string | null): string | null =>
  value === null ? null : new Date(value).toISOString();

interface RootKeyJson {
  kid: string;
  organisationId: string;
  jwk: Record<string, string>;
  status: string;
  registeredAt: string;
  registeredBy: string;
  registeredByIssuer: string | null;
  revokedAt: string | null;
  revocationReason: string | null;
}

interface UnitKeyJson {
  kid: string;
  unitId: string;
  organisationId: string;
  use: string;
  alg: string;
  jwk: Record<string, string>;
  signed: string;
  rootKid: string;
  status: string;
  publishedAt: string;
  retiredAt: string | null;
  revokedAt: string | null;
  revocationReason: string | null;
}

/**
 * The key reads every sender makes before sealing an envelope (`GET /v1/keys`), in one statement:
 * the asked-for units that exist (with their organisation), each with its organisation's active
 * root keys and its own active keys, oldest first, as the API shows them.
 */
export function createKeysRepository(dataSource: DataSource) {
  const units = dataSource.getMetadata(UnitEntity).tablePath;
  const organisations = dataSource.getMetadata(OrganisationEntity).tablePath;
  const rootKeys = dataSource.getMetadata(RootKeyEntity).tablePath;
  const unitKeys = dataSource.getMetadata(UnitKeyEntity).tablePath;

  const statement = `
    SELECT u.id AS "unitId", u.organisation_id AS "organisationId",
      coalesce((SELECT json_agg(json_build_object(
          'kid', r.kid, 'organisationId', r.organisation_id, 'jwk', r.jwk, 'status', r.status,
          'registeredAt', r.registered_at, 'registeredBy', r.registered_by,
          'registeredByIssuer', r.registered_by_issuer, 'revokedAt', r.revoked_at,
          'revocationReason', r.revocation_reason) ORDER BY r.registered_at)
        FROM ${rootKeys} r WHERE r.organisation_id = u.organisation_id AND r.status = 'active'),
        '[]') AS "rootKeys",
      coalesce((SELECT json_agg(json_build_object(
          'kid', k.kid, 'unitId', k.unit_id, 'organisationId', k.organisation_id, 'use', k.use,
          'alg', k.alg, 'jwk', k.jwk, 'signed', k.signed, 'rootKid', k.root_kid,
          'status', k.status, 'publishedAt', k.published_at, 'retiredAt', k.retired_at,
          'revokedAt', k.revoked_at, 'revocationReason', k.revocation_reason)
          ORDER BY k.published_at)
        FROM ${unitKeys} k WHERE k.unit_id = u.id AND k.status = 'active'), '[]') AS keys
    FROM unnest($1::uuid[]) WITH ORDINALITY AS w(id, n)
    JOIN ${units} u ON u.id = w.id
    JOIN ${organisations} o ON o.id = u.organisation_id
    ORDER BY w.n`;

  return {
    /** The active keys of each unit asked for that exists, in the order asked (ids unique, lower case). */
    async activeKeys(unitIds: string[]) {
      const rows = (await dataSource.query(statement, [unitIds])) as Array<{
        unitId: string;
        organisationId: string;
        rootKeys: RootKeyJson[];
        keys: UnitKeyJson[];
      }>;
      return rows.map((row) => ({
        unitId: row.unitId,
        organisationId: row.organisationId,
        rootKeys: row.rootKeys.map((r) => ({
          kid: r.kid,
          organisationId: r.organisationId,
          jwk: r.jwk,
          fingerprint: r.kid,
          status: r.status,
          registeredAt: iso(r.registeredAt)!,
          registeredBy: { issuer: r.registeredByIssuer ?? null, subject: r.registeredBy },
          revokedAt: iso(r.revokedAt),
          revocationReason: r.revocationReason,
        })),
        keys: row.keys.map((k) => ({
          kid: k.kid,
          unitId: k.unitId,
          organisationId: k.organisationId,
          use: k.use,
          alg: k.alg,
          jwk: k.jwk,
          signed: k.signed,
          rootKid: k.rootKid,
          status: k.status,
          publishedAt: iso(k.publishedAt)!,
          retiredAt: iso(k.retiredAt),
          revokedAt: iso(k.revokedAt),
          revocationReason: k.revocationReason,
        })),
      }));
    },
  };
}

export type KeysRepository = ReturnType<typeof createKeysRepository>;
