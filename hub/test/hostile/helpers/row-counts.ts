import type { DataSource } from 'typeorm';

/** Row counts of every table of the services' schemas that a request writes to. */
export type RowCounts = Record<string, number>;

/**
 * Tables left out: the audit log and its unchained entries (refusals are audited on purpose), stored idempotency
 * responses, and what event consumers write in the background (read models, processed events,
 * dead letters), which a later request cannot be blamed for.
 */
const NOT_COMPARED = new Set([
  'audit_log',
  'audit_pending',
  'idempotency_keys',
  'processed_events',
  'dead_letters',
  'trusted_issuers',
  // read models fed by other services' events: the directory's on-call rosters (referrals) and
  // the parties of each referral and field request (notifications)
  'on_call_shifts',
  'object_parties',
  'migrations',
  'typeorm_metadata',
]);
const SCHEMAS = ['directory', 'referrals', 'notifications'];

/**
 * Tables of append-only counters that a compactor folds in the background (several +n/−n rows of
 * one key become one row): their row count changes without any request, so they are compared by
 * what they hold, the sum of their counts, which folding keeps.
 */
const FOLDED: Record<string, string> = {
  referral_box_counts: 'n',
  referral_statistics_months: 'n',
  referral_statistics_acknowledgements: 'n',
};

const queries = new WeakMap<DataSource, string>();

async function countQuery(dataSource: DataSource): Promise<string> {
  const cached = queries.get(dataSource);
  if (cached) {
    return cached;
  }
  const tables = (await dataSource.query(
    `SELECT table_schema AS s, table_name AS t FROM information_schema.tables
      WHERE table_schema = ANY($1) AND table_type = 'BASE TABLE' ORDER BY 1, 2`,
    [SCHEMAS],
  )) as Array<{ s: string; t: string }>;
  const sql = tables
    // `directory_*` tables of other services are read models of the directory's events.
    .filter(
      ({ s, t }) => !NOT_COMPARED.has(t) && !(s !== 'directory' && t.startsWith('directory_')),
    )
    .map(({ s, t }) => {
      const counted = FOLDED[t] ? `coalesce(sum("${FOLDED[t]}"), 0)::int` : 'count(*)::int';
      return `SELECT '${s}.${t}' AS t, ${counted} AS n FROM "${s}"."${t}"`;
    })
    .join(' UNION ALL ');
  queries.set(dataSource, sql);
  return sql;
}

/**
 * Tables that event consumers write in the background, after an earlier request's change: they
 * can change between any two requests, so a refusal is not judged by them.
 */
const CONSUMER_WRITTEN: Record<string, readonly string[]> = {
  notifications: [
    'notifications',
    'outbox',
    'escalation_timers',
    'webhook_deliveries',
    'webhook_attempts',
  ],
};

/** The counts of one service's own tables, less what its consumers write in the background. */
export function ownRows(counts: RowCounts, service: string): RowCounts {
  const skip = new Set(CONSUMER_WRITTEN[service] ?? []);
  return Object.fromEntries(
    Object.entries(counts).filter(([table]) => {
      const [schema, name] = table.split('.');
      return schema === service && !skip.has(name!);
    }),
  );
}

export async function countRows(dataSource: DataSource): Promise<RowCounts> {
  const rows = (await dataSource.query(await countQuery(dataSource))) as Array<{
    t: string;
    n: number;
  }>;
  return Object.fromEntries(rows.map((r) => [r.t, r.n]));
}

/** `table: before → after` for every table whose count changed. */
export function diffRows(before: RowCounts, after: RowCounts): string[] {
  return Object.keys({ ...before, ...after })
    .filter((t) => before[t] !== after[t])
    .map((t) => `${t}: ${before[t] ?? 0} → ${after[t] ?? 0}`);
}
