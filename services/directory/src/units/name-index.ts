import type { DataSource } from 'typeorm';
import { cleanName, nameSkeleton } from '../domain/names';

/** At most this many look-alikes are named per unit (openapi `Unit.mistakableFor`). */
const MAX_MISTAKABLE = 20;

export interface NamedByOrganisation {
  organisationId: string;
  name: string;
}

/**
 * The names of every organisation and unit, grouped by skeleton (what a name reads as), for the
 * look-alike check on every read (`Unit.mistakableFor`; see distinct-names.ts for why reads check
 * again). Building it means reading every name and computing its skeleton, so it is built once and
 * kept while the names stay the same: each read statement selects the names' version (one row,
 * `directory.names_version`, which triggers move on any change to a name — by any replica or
 * even straight in SQL; migration 1797061000000), and the index is rebuilt only when a read has
 * seen a newer version than the one it was built from.
 */
export class NameIndex {
  /** the names' version the index was built from (−1: never built) */
  private version = -1;
  private bySkeleton = new Map<string, NamedByOrganisation[]>();
  /** each stored name's skeleton, so that reads do not compute it again */
  private skeletons = new Map<string, string>();
  private loading: Promise<void> | undefined;

  constructor(
    private readonly dataSource: DataSource,
    private readonly tables: { organisations: string; units: string; namesVersion: string },
  ) {}

  /**
   * A SQL expression for the names' version, to select beside a read (`AS names_version`): 0
   * until the first change to a name makes the row.
   */
  versionSql(): string {
    return `coalesce((SELECT nv.version FROM ${this.tables.namesVersion} nv WHERE nv.id = 1), 0)`;
  }

  /** The look-alikes of each unit: other organisations' names that read as its own or its organisation's. */
  async mistakable(
    version: number | string,
    units: ReadonlyArray<{ id: string; name: string; organisationId: string; orgName: string }>,
  ): Promise<Map<string, NamedByOrganisation[]>> {
    const out = new Map<string, NamedByOrganisation[]>();
    if (units.length === 0) {
      return out;
    }
    // A read that saw an older version than the index's is shown the newer names: fine. A
    // reload this read joins may have started before the read's statement; the one after it
    // starts later, so it finds at least the read's version.
    for (let reloads = 0; Number(version) > this.version && reloads < 2; reloads++) {
      await this.reload();
    }
    for (const unit of units) {
      const found = new Map<string, NamedByOrganisation>();
      for (const own of [unit.name, unit.orgName]) {
        const skeleton = this.skeletons.get(own) ?? nameSkeleton(own);
        for (const other of skeleton === '' ? [] : (this.bySkeleton.get(skeleton) ?? [])) {
          if (other.organisationId !== unit.organisationId) {
            found.set(`${other.organisationId}\n${other.name}`, other);
          }
        }
      }
      out.set(unit.id, [...found.values()].slice(0, MAX_MISTAKABLE));
    }
    return out;
  }

  private async reload(): Promise<void> {
    // Concurrent reads that find the names changed share one reload; a read whose version is
    // newer than what a shared reload found asks again (mistakable's loop).
    this.loading ??= (async () => {
      const { organisations, units } = this.tables;
      // The version and the names from one snapshot: the index is exactly that version's.
      const rows = (await this.dataSource.query(
        `SELECT ${this.versionSql()} AS version,
                coalesce((SELECT json_agg(json_build_array(n.o, n.name))
                   FROM (SELECT id AS o, name FROM ${organisations}
                         UNION ALL SELECT organisation_id, name FROM ${units}) n), '[]') AS names`,
      )) as Array<{ version: string; names: Array<[string, string]> }>;
      const bySkeleton = new Map<string, NamedByOrganisation[]>();
      const skeletons = new Map<string, string>();
      for (const [organisationId, name] of rows[0]!.names) {
        const skeleton = skeletons.get(name) ?? nameSkeleton(name);
        skeletons.set(name, skeleton);
        if (skeleton !== '') {
          const entry = { organisationId, name: cleanName(name) };
          const list = bySkeleton.get(skeleton);
          if (list) {
            list.push(entry);
          } else {
            bySkeleton.set(skeleton, [entry]);
          }
        }
      }
      this.bySkeleton = bySkeleton;
      this.skeletons = skeletons;
      this.version = Number(rows[0]!.version);
    })().finally(() => {
      this.loading = undefined;
    });
    await this.loading;
  }
}
