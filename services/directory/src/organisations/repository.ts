import type { DataSource, EntityManager } from 'typeorm';
import { OrganisationEntity, UnitEntity } from '../entities';
import { MAX_PARENT_DEPTH, type Ancestor, type NewOrganisation } from '../domain/organisations';

export interface OrganisationListQuery {
  kind?: string;
  county?: string;
  q?: string;
  limit: number;
}

/** Every statement about organisations (issue 15: repositories are the only place SQL lives). */
export function createOrganisationsRepository(ds: DataSource) {
  const organisations = ds.getMetadata(OrganisationEntity).tablePath;
  const units = ds.getMetadata(UnitEntity).tablePath;

  return {
    find(id: string, db: EntityManager = ds.manager): Promise<OrganisationEntity | null> {
      return db.findOneBy(OrganisationEntity, { id });
    },

    /** By name then id, after the cursor's (name, id); at most `limit + 1` rows. */
    list(query: OrganisationListQuery, after?: { name: string; id: string }) {
      const qb = ds.manager
        .createQueryBuilder(OrganisationEntity, 'o')
        .orderBy('o.name', 'ASC')
        .addOrderBy('o.id', 'ASC')
        .take(query.limit + 1);
      if (query.kind) {
        qb.andWhere('o.kind = :kind', { kind: query.kind });
      }
      if (query.county) {
        qb.andWhere('o.county_code = :county', { county: query.county });
      }
      if (query.q) {
        qb.andWhere("o.name ILIKE :q ESCAPE '\\'", {
          q: `%${query.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`,
        });
      }
      if (after) {
        qb.andWhere('(o.name, o.id) > (:n, :i)', { n: after.name, i: after.id });
      }
      return qb.getMany();
    },

    /**
     * The chain of parents above `parentId` (that organisation first), in one statement: up to
     * one beyond the greatest depth, and not past an organisation whose parent is `self` (a loop).
     */
    async ancestors(tx: EntityManager, parentId: string, self: string): Promise<Ancestor[]> {
      return (await tx.query(
        `WITH RECURSIVE chain(id, parent_id, depth) AS (
           SELECT o.id, o.parent_id, 0 FROM ${organisations} o WHERE o.id = $1
           UNION ALL
           SELECT p.id, p.parent_id, c.depth + 1
             FROM ${organisations} p JOIN chain c ON p.id = c.parent_id
            WHERE c.depth <= $3 AND c.parent_id <> $2
         )
         SELECT id, parent_id AS "parentId" FROM chain ORDER BY depth`,
        [parentId, self, MAX_PARENT_DEPTH],
      )) as Ancestor[];
    },

    /** The names of every other organisation and of their units, in one statement. */
    async otherNames(tx: EntityManager, organisationId: string): Promise<Array<{ name: string }>> {
      return (await tx.query(
        `SELECT o.name FROM ${organisations} o WHERE o.id <> $1
         UNION ALL
         SELECT u.name FROM ${units} u WHERE u.organisation_id <> $1`,
        [organisationId],
      )) as Array<{ name: string }>;
    },

    lock(tx: EntityManager, id: string): Promise<OrganisationEntity> {
      return tx.findOneOrFail(OrganisationEntity, {
        where: { id },
        lock: { mode: 'pessimistic_write' },
      });
    },

    /** Inserts the organisation and reads it back (its timestamps are the database's). */
    async insert(tx: EntityManager, org: NewOrganisation): Promise<OrganisationEntity> {
      await tx.insert(OrganisationEntity, tx.create(OrganisationEntity, org));
      return tx.findOneByOrFail(OrganisationEntity, { id: org.id });
    },

    /** Saves the organisation and reads it back (its timestamps are the database's). */
    async save(tx: EntityManager, org: OrganisationEntity): Promise<OrganisationEntity> {
      await tx.save(OrganisationEntity, org);
      return tx.findOneByOrFail(OrganisationEntity, { id: org.id });
    },
  };
}

export type OrganisationsRepository = ReturnType<typeof createOrganisationsRepository>;
