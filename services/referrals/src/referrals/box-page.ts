import type { ReferralListQuery } from './model';

/** The tables a box's page reads, as written in SQL (`"referrals"."referrals"`). */
export interface BoxPageTables {
  referrals: string;
  copyEntries: string;
}

/** A column a page lists: its name in the table and the referral's property it fills. */
export interface ListedColumn {
  column: string;
  property: string;
}

export interface BoxPageStatement {
  sql: string;
  params: unknown[];
  /**
   * Whether to prepare it (poolQuery): the pages without status, urgency or category — a person
   * scrolling a box — have a few texts, each planned once per connection. Pages with those
   * filters are planned for their values, so that "acute and open" uses the open part's index.
   */
  prepare: boolean;
}

/**
 * One page of a box (newest first, ties by id), `limit + 1` rows so that the caller knows if more
 * follow, in one statement whose cost does not grow with the box (bench/referrals-scale: an inbox
 * of 83,000 among 1,000,000 referrals):
 *
 * - the page's ids first, per unit, from the box's index in page order (`referrals_inbox_page_idx`,
 *   `referrals_outbox_page_idx`; copies from `referral_copy_entries`), each range cut at
 *   `limit + 1` — for one unit straight, for several by a lateral join over the units;
 * - an inbox is the referrals to the units and the copies to them whose recipient is not one of
 *   them; a referral that reaches several of the units is listed once;
 * - then those rows, every listed column named as the referral's property, so that the rows are
 *   the referral as the entity maps it with no mapping in between.
 *
 * The period and the cursor are written on each range's own page-order columns, so that they
 * narrow the index range itself.
 */
export function boxPageStatement(
  tables: BoxPageTables,
  columns: ListedColumn[],
  units: string[],
  query: ReferralListQuery,
  after?: { c: string; i: string },
): BoxPageStatement {
  // One unit (a person in one unit, or a box that names its unit) is `$1::uuid`; several are a
  // lateral join over `$1::uuid[]`. The limit is written into the text, an integer of the
  // contract's range: with both, Postgres's generic plan of the prepared statement is costed as
  // low as a custom one and is chosen after five runs, so that a page is no longer planned on
  // every run (planning took 0.3–1 ms, longer than running it: bench/referrals-scale, 1,000,000
  // referrals).
  const one = units.length === 1;
  const params: unknown[] = [one ? units[0] : units];
  const rows = query.limit + 1;
  if (!Number.isInteger(rows) || rows < 1) {
    throw new Error(`a page's limit must be a positive integer (${String(query.limit)})`);
  }
  const p = (value: unknown, type: string) => {
    params.push(value);
    return `$${params.length}::${type}`;
  };
  const filters: string[] = [];
  if (query.status?.length) {
    filters.push(`s.status = ANY(${p(query.status, 'text[]')})`);
  }
  if (query.urgency) {
    filters.push(`s.urgency = ${p(query.urgency, 'text')}`);
  }
  if (query.category) {
    filters.push(`s.category = ${p(query.category, 'text')}`);
  }
  const from = query.from ? p(query.from, 'timestamptz') : undefined;
  const to = query.to ? p(query.to, 'timestamptz') : undefined;
  const cursor = after ? [p(after.c, 'timestamptz'), p(after.i, 'uuid')] : undefined;
  /** The period and the cursor, on a range's own page-order columns. */
  const ordered = (at: string, id: string): string[] => [
    ...(from ? [`${at} >= ${from}`] : []),
    ...(to ? [`${at} < ${to}`] : []),
    ...(cursor ? [`(${at}, ${id}) < (${cursor[0]}, ${cursor[1]})`] : []),
  ];
  const { referrals, copyEntries } = tables;
  const unit = one ? '$1::uuid' : 'u.unit_id';
  const perUnit = (range: string) =>
    one
      ? `(${range})`
      : `SELECT p.id FROM unnest($1::uuid[]) AS u(unit_id) CROSS JOIN LATERAL (${range}) p`;
  const own = (side: 'recipient_unit_id' | 'sender_unit_id') =>
    perUnit(`SELECT s.id FROM ${referrals} s
       WHERE ${[`s.${side} = ${unit}`, ...filters, ...ordered('s.created_at', 's.id')].join(' AND ')}
       ORDER BY s.created_at DESC, s.id DESC LIMIT ${rows}`);
  // The copies to the units: their entries in page order (kept by the triggers of migration
  // 1797053000000), each joined to its referral for the filters.
  const copies =
    perUnit(`SELECT s.id FROM ${copyEntries} e JOIN ${referrals} s ON s.id = e.referral_id
       WHERE ${[
         `e.unit_id = ${unit}`,
         one ? 's.recipient_unit_id <> $1::uuid' : 's.recipient_unit_id <> ALL($1::uuid[])',
         ...filters,
         ...ordered('e.created_at', 'e.referral_id'),
       ].join(' AND ')}
       ORDER BY e.created_at DESC, e.referral_id DESC LIMIT ${rows}`);
  const ids =
    query.box === 'inbox'
      ? `${own('recipient_unit_id')} UNION ALL ${copies}`
      : own('sender_unit_id');
  const listed = columns.map((c) => `r."${c.column}" AS "${c.property}"`).join(', ');
  return {
    sql: `SELECT ${listed} FROM ${referrals} r WHERE r.id IN (${ids})
           ORDER BY r.created_at DESC, r.id DESC LIMIT ${rows}`,
    params,
    prepare: filters.length === 0,
  };
}

/**
 * A box's referrals by status and how many acute ones wait (`$1` the unit, `$2` the box), from
 * the counters the triggers of migration 1797053000000-ReferralRollups keep in the transaction of
 * each change: a handful of rows per unit, however full the box.
 */
export function boxCountsStatement(counts: string): string {
  return `SELECT c.status, sum(c.n)::int AS n,
                COALESCE(sum(c.n) FILTER (WHERE c.urgency = 'acute' AND c.status IN ('sent', 'received')), 0)::int AS acute
           FROM ${counts} c
          WHERE c.unit_id = $1 AND c.box = $2
          GROUP BY c.status
         HAVING sum(c.n) <> 0`;
}
