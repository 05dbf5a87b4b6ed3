import type { EntityManager } from 'typeorm';
import { distinctNameAmong } from '../domain/organisations';
import { createOrganisationsRepository } from '../organisations/repository';

/**
 * The stored form of a name for an organisation or one of its units, refused when it can be
 * mistaken for another organisation's (the rule: domain/organisations.ts `distinctNameAmong`).
 * Reads the other names in the change's transaction.
 */
export async function distinctName(
  tx: EntityManager,
  raw: string,
  organisationId: string,
): Promise<string> {
  const others = await createOrganisationsRepository(tx.connection).otherNames(tx, organisationId);
  return distinctNameAmong(raw, others);
}
