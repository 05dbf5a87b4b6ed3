import { In, type DataSource, type EntityManager } from 'typeorm';
import { IssuerEntity, OrganisationEntity } from '../entities';
import type { NewIssuer } from '../domain/issuers';

/** Every statement about trusted token issuers (issue 15: repositories hold the SQL). */
export function createIssuersRepository(ds: DataSource) {
  const db = ds.manager;
  return {
    all(): Promise<IssuerEntity[]> {
      return db.find(IssuerEntity, { order: { issuer: 'ASC' } });
    },

    find(id: string): Promise<IssuerEntity | null> {
      return db.findOneBy(IssuerEntity, { id });
    },

    byIssuer(issuer: string): Promise<IssuerEntity | null> {
      return db.findOneBy(IssuerEntity, { issuer });
    },

    activeByIssuer(issuer: string): Promise<IssuerEntity | null> {
      return db.findOneBy(IssuerEntity, { issuer, status: 'active' });
    },

    /** How many of these (unique) organisation ids are registered. */
    countOrganisations(ids: string[], manager: EntityManager = db): Promise<number> {
      return manager.countBy(OrganisationEntity, { id: In([...new Set(ids)]) });
    },

    // --- inside a write's transaction ---------------------------------------------------------

    lock(tx: EntityManager, id: string): Promise<IssuerEntity | null> {
      return tx.findOne(IssuerEntity, { where: { id }, lock: { mode: 'pessimistic_write' } });
    },

    async insert(tx: EntityManager, row: NewIssuer): Promise<IssuerEntity> {
      await tx.insert(IssuerEntity, tx.create(IssuerEntity, row));
      return tx.findOneByOrFail(IssuerEntity, { id: row.id });
    },

    async save(tx: EntityManager, row: IssuerEntity): Promise<IssuerEntity> {
      await tx.save(IssuerEntity, row);
      return tx.findOneByOrFail(IssuerEntity, { id: row.id });
    },

    async delete(tx: EntityManager, id: string): Promise<void> {
      await tx.delete(IssuerEntity, { id });
    },
  };
}

export type IssuersRepository = ReturnType<typeof createIssuersRepository>;
