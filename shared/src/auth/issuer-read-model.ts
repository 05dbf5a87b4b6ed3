import type { DataSource, EntityManager } from 'typeorm';
import { TrustedIssuerEntity } from '../entities/trusted-issuer.entity';
import type { EventConsumerDefinition } from '../events/consumer';
import type { EventEnvelope } from '../events/event-catalog';
import { cachedIssuerSource, trustedIssuerFrom, type IssuerSource } from './issuer-registry';

interface IssuerEventData {
  issuer: string;
  organisationIds: string[];
  keySource: 'jwks' | 'pem';
  publicKeyPem: string | null;
  algorithms: string[];
  status: 'active' | 'disabled';
}

/**
 * Keeps the service's `trusted_issuers` in step with the directory's issuer events, so that it
 * accepts the tokens of every issuer a hub admin registered — in distributed mode too, where it
 * cannot ask the directory's tables. A deleted issuer is kept as disabled; an older event never
 * overwrites a newer one.
 */
export function issuerReadModelConsumer(service: string): EventConsumerDefinition {
  return {
    name: `${service}-directory-issuers`,
    filter: 'samverkan.directory.issuer.>',
    async handle(event: EventEnvelope, tx: EntityManager) {
      const d = event.data as unknown as IssuerEventData;
      const status = event.type === 'samverkan.directory.issuer.deleted' ? 'disabled' : d.status;
      const table = tx.getRepository(TrustedIssuerEntity).metadata.tablePath;
      await tx.query(
        `INSERT INTO ${table} AS t (issuer, organisation_ids, key_source, public_key_pem, algorithms, status, event_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (issuer) DO UPDATE SET organisation_ids = EXCLUDED.organisation_ids,
           key_source = EXCLUDED.key_source, public_key_pem = EXCLUDED.public_key_pem,
           algorithms = EXCLUDED.algorithms, status = EXCLUDED.status, event_at = EXCLUDED.event_at
         WHERE t.event_at <= EXCLUDED.event_at`,
        [
          d.issuer,
          d.organisationIds,
          d.keySource,
          d.publicKeyPem,
          d.algorithms,
          status,
          event.time,
        ],
      );
    },
  };
}

/** The read model as a source for the auth plugin's issuer registry. */
export function readModelIssuerSource(dataSource: DataSource): IssuerSource & { clear(): void } {
  const repo = dataSource.getRepository(TrustedIssuerEntity);
  return cachedIssuerSource(async (issuer) => {
    const row = await repo.findOneBy({ issuer, status: 'active' });
    return row ? trustedIssuerFrom(row) : undefined;
  });
}
