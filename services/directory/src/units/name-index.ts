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
 * kept while the names stay the same: each read statement carries a fingerprint of all names
 * (`NAMES_FINGERPRINT`, computed by Postgres, a few bytes on the wire), and the index is rebuilt
 * only when the fingerprint differs — after any change, by any replica or even straight in SQL.
 */
export class NameIndex {
  private fingerprint: string | undefined;
  private bySkeleton = new Map<string, NamedByOrganisation[]>();
  /** each stored name's skeleton, so that reads do not compute it again */
  private skeletons = new Map<string, string>();
  private loading: Promise<void> | undefined;

  constructor(
    private readonly dataSource: DataSource,
    private readonly tables: { organisations: string; units: string },
  ) {}

  /**
   * A SQL expression for the fingerprint of all names, to select beside a read (`AS
   * names_fingerprint`): the count and a sum of hashes of every (organisation, name) pair.
   */
  fingerprintSql(): string {
    const { organisations, units } = this.tables;
    return `(SELECT count(*)::text || ':' || coalesce(sum(hashtext(n.o::text || '/' || n.name)::bigint), 0)::text
               FROM (SELECT id AS o, name FROM ${organisations}
                     UNION ALL SELECT organisation_id, name FROM ${units}) n)`;
  }

  /** The look-alikes of each unit: other organisations' names that read as its own or its organisation's. */
  async mistakable(
    fingerprint: string,
    units: ReadonlyArray<{ id: string; name: string; organisationId: string; orgName: string }>,
  ): Promise<Map<string, NamedByOrganisation[]>> {
    const out = new Map<string, NamedByOrganisation[]>();
    if (units.length === 0) {
      return out;
    }
    if (fingerprint !== this.fingerprint) {
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
    // Concurrent reads that find the names changed share one reload.
    this.loading ??= (async () => {
      const { organisations, units } = this.tables;
      const rows = (await this.dataSource.query(
        `SELECT ${this.fingerprintSql()} AS fingerprint,
                coalesce((SELECT json_agg(json_build_array(n.o, n.name))
                   FROM (SELECT id AS o, name FROM ${organisations}
                         UNION ALL SELECT organisation_id, name FROM ${units}) n), '[]') AS names`,
      )) as Array<{ fingerprint: string; names: Array<[string, string]> }>;
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
      this.fingerprint = rows[0]!.fingerprint;
    })().finally(() => {
      this.loading = undefined;
    });
    // Were the names changed again meanwhile, the index is as new as the reload, which is at least
    // as new as the read that asked for it.
    await this.loading;
  }
}
