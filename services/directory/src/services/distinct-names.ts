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

/** At most this many look-alikes are named per unit (openapi `Unit.mistakableFor`). */
const MAX_MISTAKABLE = 20;

/**
 * The names of other organisations (and of their units) that read the same as each unit's own
 * name or its organisation's name, under the rules as they are now. Names are checked when they
 * are written (distinctName), but a name stored before a rule changed — or before the rule
 * existed — would otherwise pass unnoticed: so every read into search results checks again.
 */
export async function mistakableNames(
  manager: EntityManager,
  units: ReadonlyArray<{ id: string; name: string; organisationId: string }>,
  organisationNames: ReadonlyMap<string, string>,
): Promise<Map<string, Array<{ organisationId: string; name: string }>>> {
  const out = new Map<string, Array<{ organisationId: string; name: string }>>();
  if (units.length === 0) {
    return out;
  }
  const all = (await manager.query(
    `SELECT o.id AS "organisationId", o.name FROM ${manager.getRepository(OrganisationEntity).metadata.tablePath} o
     UNION ALL
     SELECT u.organisation_id AS "organisationId", u.name FROM ${manager.getRepository(UnitEntity).metadata.tablePath} u`,
  )) as Array<{ organisationId: string; name: string }>;
  const bySkeleton = new Map<string, Array<{ organisationId: string; name: string }>>();
  for (const entry of all) {
    const skeleton = nameSkeleton(entry.name);
    if (skeleton !== '') {
      bySkeleton.set(skeleton, [...(bySkeleton.get(skeleton) ?? []), entry]);
    }
  }
  for (const unit of units) {
    const found = new Map<string, { organisationId: string; name: string }>();
    for (const own of [unit.name, organisationNames.get(unit.organisationId) ?? '']) {
      const skeleton = nameSkeleton(own);
      for (const other of skeleton === '' ? [] : (bySkeleton.get(skeleton) ?? [])) {
        if (other.organisationId !== unit.organisationId) {
          found.set(`${other.organisationId}\n${other.name}`, {
            organisationId: other.organisationId,
            name: cleanName(other.name),
          });
        }
      }
    }
    out.set(unit.id, [...found.values()].slice(0, MAX_MISTAKABLE));
  }
  return out;
}
