import { ProblemError } from '@samverkan/shared';
import type { EntityManager } from 'typeorm';
import { OrganisationEntity, UnitEntity } from '../entities';
import { DirectoryProblems as P } from '../domain/errors';
import { cleanName, nameSkeleton } from '../domain/names';

/**
 * The stored form of a name (cleanName), refused when nothing visible is left or when it can be
 * mistaken for the name of another organisation or of another organisation's unit (same
 * skeleton): an organisation must not be able to pass itself off as another in unit search.
 * Names within one organisation are that organisation's own business.
 */
export async function distinctName(
  tx: EntityManager,
  raw: string,
  organisationId: string,
): Promise<string> {
  const name = cleanName(raw);
  const skeleton = nameSkeleton(name);
  if (skeleton === '') {
    throw new ProblemError(P.nameConfusable, 'The name has no visible letters or digits');
  }
  const others = [
    ...(await tx
      .getRepository(OrganisationEntity)
      .createQueryBuilder('o')
      .select(['o.id AS "organisationId"', 'o.name AS name'])
      .where('o.id <> :organisationId', { organisationId })
      .getRawMany<{ organisationId: string; name: string }>()),
    ...(await tx
      .getRepository(UnitEntity)
      .createQueryBuilder('u')
      .select(['u.organisation_id AS "organisationId"', 'u.name AS name'])
      .where('u.organisation_id <> :organisationId', { organisationId })
      .getRawMany<{ organisationId: string; name: string }>()),
  ];
  const clash = others.find((other) => nameSkeleton(other.name) === skeleton);
  if (clash) {
    throw new ProblemError(
      P.nameConfusable,
      `"${name}" can be mistaken for "${cleanName(clash.name)}" of another organisation; choose a name that reads differently`,
    );
  }
  return name;
}
