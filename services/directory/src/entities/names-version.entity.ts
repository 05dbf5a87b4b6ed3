import { Check, Column, Entity, PrimaryColumn } from 'typeorm';

const bigintAsNumber = { to: (v: number) => v, from: (v: string) => Number(v) };

/**
 * The version of every organisation and unit name, one row: triggers on `organisations` and
 * `units` add one to it in the transaction of any change to a name (or a unit's organisation),
 * whoever makes it — a command, another replica, a statement typed into psql (migration
 * 1797061000000-NamesVersion). A unit read selects it beside the unit, so the look-alike index
 * (units/name-index.ts) knows from a one-row lookup whether it must read the names again.
 */
@Entity({ name: 'names_version' })
@Check('names_version_one_row', `"id" = 1`)
export class NamesVersionEntity {
  @PrimaryColumn({ type: 'smallint' })
  id: number;

  @Column({ type: 'bigint', transformer: bigintAsNumber })
  version: number;
}
