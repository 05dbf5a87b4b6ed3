import { COUNTIES, policeRegionOfCounty, poolQuery, StatementBuilder } from '@samverkan/shared';
import type { DataSource, EntityManager } from 'typeorm';
import { NamesVersionEntity, OrganisationEntity, UnitEntity } from '../entities';
import type { ContactRoute, WeeklyOpening } from '../entities/unit.entity';
import { openAtSql } from '../domain/opening-hours';
import { NameIndex, type NamedByOrganisation } from './name-index';

export interface UnitQuery {
  /** `service` (default) or `audit`: audit units are listed only when asked for */
  purpose?: 'service' | 'audit';
  q?: string;
  capability?: string[];
  municipality?: string;
  county?: string;
  policeRegion?: string;
  organisationKind?: string;
  organisationId?: string;
  ageBand?: string;
  gender?: string;
  language?: string;
  openNow?: boolean;
  open247?: boolean;
  status?: 'active' | 'inactive' | 'any';
  limit: number;
}

/** A unit row joined with what its view shows of its organisation, as Postgres returns it. */
interface UnitRow {
  id: string;
  organisation_id: string;
  name: string;
  description: string;
  capabilities: string[];
  coverage: string[];
  counties: string[];
  age_bands: string[];
  genders: string[];
  languages: string[];
  time_zone: string;
  open_247: boolean;
  weekly_hours: WeeklyOpening[];
  contacts: ContactRoute[];
  status: 'active' | 'inactive';
  purpose: 'service' | 'audit';
  on_call_unit_id: string | null;
  created_at: Date;
  updated_at: Date;
  org_name: string;
  org_number: string;
  org_verified_at: Date | null;
  org_kind: string;
  org_police_region: string | null;
  org_county_code: string;
  org_audit_unit_id: string | null;
  /** the names' version (bigint, as text) */
  names_version: string;
}

/** What unit reads select: the unit and its organisation's shown fields. */
const UNIT_SELECT = `u.id, u.organisation_id, u.name, u.description, u.capabilities, u.coverage,
  u.counties, u.age_bands, u.genders, u.languages, u.time_zone, u.open_247, u.weekly_hours,
  u.contacts, u.status, u.purpose, u.on_call_unit_id, u.created_at, u.updated_at,
  o.name AS org_name, o.organisation_number AS org_number, o.number_verified_at AS org_verified_at,
  o.kind AS org_kind, o.police_region AS org_police_region, o.county_code AS org_county_code`;

/** Each organisation's audit unit, which a client seals a sent justification for as well. */
const auditUnitSelect = (units: string) =>
  `(SELECT a.id FROM ${units} a WHERE a.organisation_id = u.organisation_id AND a.purpose = 'audit'
     ORDER BY a.created_at LIMIT 1) AS org_audit_unit_id`;

/**
 * A unit as people see it in search (openapi `Unit`): with its organisation's name and number
 * (and whether a hub admin verified that number), and any other organisation whose names read the
 * same. Built straight from the row: no entity in between.
 */
export function unitViewOf(r: UnitRow, mistakableFor: NamedByOrganisation[]) {
  return {
    id: r.id,
    organisationId: r.organisation_id,
    purpose: r.purpose,
    organisation: {
      id: r.organisation_id,
      name: r.org_name,
      organisationNumber: r.org_number,
      organisationNumberVerified: r.org_verified_at !== null,
      organisationNumberVerifiedAt: r.org_verified_at ? r.org_verified_at.toISOString() : null,
      kind: r.org_kind,
      policeRegion: r.org_police_region,
      countyCode: r.org_county_code,
      auditUnitId: r.org_audit_unit_id,
    },
    name: r.name,
    mistakableFor,
    description: r.description,
    capabilities: r.capabilities,
    coverage: r.coverage,
    counties: r.counties,
    ageBands: r.age_bands,
    genders: r.genders,
    languages: r.languages,
    openingHours: { timeZone: r.time_zone, open247: r.open_247, weekly: r.weekly_hours },
    contacts: r.contacts,
    status: r.status,
    onCallUnitId: r.on_call_unit_id,
    createdAt: r.created_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
  };
}

export type UnitView = ReturnType<typeof unitViewOf>;

/**
 * The directory's unit reads, each one statement (docs/architecture.md, "Repositories"): the
 * unit with its organisation, and the names' version for the look-alike check, which reads the
 * names again only when they changed.
 */
export function createUnitsRepository(dataSource: DataSource) {
  const units = dataSource.getMetadata(UnitEntity).tablePath;
  const organisations = dataSource.getMetadata(OrganisationEntity).tablePath;
  const namesVersion = dataSource.getMetadata(NamesVersionEntity).tablePath;
  const names = new NameIndex(dataSource, { organisations, units, namesVersion });
  const from = `${units} u JOIN ${organisations} o ON o.id = u.organisation_id`;
  const version = names.versionSql();
  const auditUnit = auditUnitSelect(units);

  async function views(rows: UnitRow[]): Promise<UnitView[]> {
    if (rows.length === 0) {
      return [];
    }
    const mistakable = await names.mistakable(
      rows[0]!.names_version,
      rows.map((r) => ({
        id: r.id,
        name: r.name,
        organisationId: r.organisation_id,
        orgName: r.org_name,
      })),
    );
    return rows.map((r) => unitViewOf(r, mistakable.get(r.id) ?? []));
  }

  /**
   * Units matching every filter (AND; every capability asked for), by name then id, after the
   * cursor's (name, id); at most `limit + 1` so the caller knows whether a page follows.
   */
  function searchStatement(
    query: UnitQuery,
    after?: { n: string; i: string },
  ): { sql: string; params: unknown[] } {
    const sql = new StatementBuilder();
    const where: string[] = [`u.purpose = ${sql.p(query.purpose ?? 'service')}`];
    const status = query.status ?? 'active';
    if (status !== 'any') {
      where.push(`u.status = ${sql.p(status)}`);
    }
    if (query.capability?.length) {
      where.push(`u.capabilities @> ${sql.p([...new Set(query.capability)].sort(), 'text[]')}`);
    }
    if (query.municipality) {
      where.push(`${sql.p(query.municipality, 'text')} = ANY(u.coverage)`);
    }
    if (query.county) {
      where.push(`${sql.p(query.county, 'text')} = ANY(u.counties)`);
    }
    if (query.policeRegion) {
      // Units working in the region: covering one of its counties, or run by that police region.
      const counties = COUNTIES.filter(
        (c) => policeRegionOfCounty(c.code) === query.policeRegion,
      ).map((c) => c.code);
      where.push(
        `(u.counties && ${sql.p(counties, 'text[]')} OR o.police_region = ${sql.p(query.policeRegion)})`,
      );
    }
    if (query.organisationKind) {
      where.push(`o.kind = ${sql.p(query.organisationKind)}`);
    }
    if (query.organisationId) {
      where.push(`u.organisation_id = ${sql.p(query.organisationId, 'uuid')}`);
    }
    if (query.ageBand) {
      where.push(`${sql.p(query.ageBand, 'text')} = ANY(u.age_bands)`);
    }
    if (query.gender) {
      where.push(`${sql.p(query.gender, 'text')} = ANY(u.genders)`);
    }
    if (query.language) {
      where.push(`${sql.p(query.language, 'text')} = ANY(u.languages)`);
    }
    if (query.open247 !== undefined) {
      where.push(`u.open_247 = ${sql.p(query.open247)}`);
    }
    if (query.openNow !== undefined) {
      const open = openAtSql('u', sql.p(new Date().toISOString()));
      where.push(query.openNow ? open : `NOT ${open}`);
    }
    if (query.q) {
      where.push(
        `to_tsvector('swedish', u.search_text) @@ websearch_to_tsquery('swedish', ${sql.p(query.q)})`,
      );
    }
    if (after) {
      where.push(`(u.name, u.id) > (${sql.p(after.n)}, ${sql.p(after.i, 'uuid')})`);
    }
    return {
      sql: sql.sql(
        `SELECT ${UNIT_SELECT}, ${auditUnit}, ${version} AS names_version FROM ${from}
          ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
          ORDER BY u.name, u.id LIMIT ${sql.p(query.limit + 1, 'int')}`,
      ),
      params: sql.params,
    };
  }

  /** One unit: one text, prepared once per connection. */
  const viewSql = `SELECT ${UNIT_SELECT}, ${auditUnit}, ${version} AS names_version FROM ${from}
     WHERE u.id = $1::uuid`;

  return {
    /**
     * The reads' statements: they run straight on the pool (poolQuery, without TypeORM's query
     * runner), where the repository-sync test does not see them, so it runs these through the
     * data source (services/directory/test/migrations.test.ts).
     */
    statements: { view: viewSql, search: searchStatement },

    /** One unit as people see it, or undefined. */
    async view(id: string): Promise<UnitView | undefined> {
      const rows = await poolQuery<UnitRow>(dataSource, viewSql, [id], { prepare: true });
      return (await views(rows))[0];
    },

    /** A page of units matching every filter (searchStatement), and whether a page follows. */
    async search(query: UnitQuery, after?: { n: string; i: string }): Promise<UnitView[]> {
      const statement = searchStatement(query, after);
      return views(await poolQuery<UnitRow>(dataSource, statement.sql, statement.params));
    },

    unit(id: string): Promise<UnitEntity | null> {
      return dataSource.manager.findOneBy(UnitEntity, { id });
    },

    organisation(id: string, db: EntityManager = dataSource.manager) {
      return db.findOneBy(OrganisationEntity, { id });
    },

    // --- inside a write's transaction ---------------------------------------------------------

    lockUnit(tx: EntityManager, id: string): Promise<UnitEntity> {
      return tx.findOneOrFail(UnitEntity, { where: { id }, lock: { mode: 'pessimistic_write' } });
    },

    /** The unit named as on-call unit, as its check needs it. */
    onCallCandidate(tx: EntityManager, id: string) {
      return tx.findOne(UnitEntity, {
        select: { id: true, status: true, organisationId: true, purpose: true },
        where: { id },
      });
    },

    /** The organisation's audit unit's id, or null. */
    async auditUnitIdOf(tx: EntityManager, organisationId: string): Promise<string | null> {
      const unit = await tx.findOne(UnitEntity, {
        select: { id: true },
        where: { organisationId, purpose: 'audit' },
      });
      return unit?.id ?? null;
    },

    /** Inserts the unit and reads it back (its timestamps are the database's). */
    async insert(tx: EntityManager, unit: UnitEntity): Promise<UnitEntity> {
      await tx.insert(UnitEntity, tx.create(UnitEntity, unit));
      return tx.findOneByOrFail(UnitEntity, { id: unit.id });
    },

    /** Saves the unit and reads it back (its timestamps are the database's). */
    async save(tx: EntityManager, unit: UnitEntity): Promise<UnitEntity> {
      await tx.save(UnitEntity, unit);
      return tx.findOneByOrFail(UnitEntity, { id: unit.id });
    },
  };
}

export type UnitsRepository = ReturnType<typeof createUnitsRepository>;
