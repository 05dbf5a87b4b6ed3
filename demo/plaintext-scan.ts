/**
 * The no-plaintext proof: every row of every table in every schema of the hub's database, read
 * directly (the embedded hub's PGlite folder, or a Postgres URL), searched for the demo's secret
 * phrases. Each row is read whole as text (`t::text`), so every text, json and bytea column is in
 * it; bytea shows as hex, so the phrases are searched for as hex too.
 */

export interface ScanResult {
  tables: number;
  /** text, varchar, json, jsonb and bytea columns (arrays of them included). */
  columns: number;
  rows: number;
  /** `schema.table` where a phrase was found, with the number of rows. */
  hits: Array<{ table: string; rows: number }>;
  /** Rows holding the control phrase: a value known to be stored in clear, so the scan can see. */
  controlRows: number;
}

type Query = <R>(sql: string, params?: unknown[]) => Promise<R[]>;

const TEXTUAL = new Set(['text', 'character varying', 'character', 'json', 'jsonb', 'bytea']);

async function scan(query: Query, phrases: string[], control: string): Promise<ScanResult> {
  const columns = await query<{ schema: string; table: string; type: string; udt: string }>(
    `SELECT c.table_schema AS schema, c.table_name AS table, c.data_type AS type, c.udt_name AS udt
       FROM information_schema.columns c
       JOIN information_schema.tables t
         ON t.table_schema = c.table_schema AND t.table_name = c.table_name
      WHERE t.table_type = 'BASE TABLE'
        AND c.table_schema NOT IN ('pg_catalog', 'information_schema')
        AND c.table_schema NOT LIKE 'pg_toast%'`,
  );
  const tables = [...new Set(columns.map((c) => `${c.schema}\u0000${c.table}`))];
  const needles = phrases.flatMap((p) => [p, Buffer.from(p, 'utf8').toString('hex')]);
  const result: ScanResult = {
    tables: tables.length,
    columns: columns.filter(
      (c) =>
        TEXTUAL.has(c.type) ||
        (c.type === 'ARRAY' && ['_text', '_varchar', '_json', '_jsonb'].includes(c.udt)),
    ).length,
    rows: 0,
    hits: [],
    controlRows: 0,
  };
  for (const key of tables) {
    const [schema, table] = key.split('\u0000') as [string, string];
    const name = `"${schema.replace(/"/g, '""')}"."${table.replace(/"/g, '""')}"`;
    const conditions = needles.map((_, i) => `position($${i + 1} in t::text) > 0`).join(' OR ');
    const controlParam = `$${needles.length + 1}`;
    const [counts] = await query<{
      total: string | number;
      hits: string | number;
      control: string | number;
    }>(
      `SELECT count(*) AS total, count(*) FILTER (WHERE ${conditions}) AS hits,
              count(*) FILTER (WHERE position(${controlParam} in t::text) > 0) AS control
         FROM ${name} t`,
      [...needles, control],
    );
    result.rows += Number(counts?.total ?? 0);
    result.controlRows += Number(counts?.control ?? 0);
    if (Number(counts?.hits ?? 0) > 0) {
      result.hits.push({ table: `${schema}.${table}`, rows: Number(counts!.hits) });
    }
  }
  return result;
}

/** Opens the embedded hub's database folder (`<dataDir>/pgdata`) directly; the hub must be stopped. */
export async function scanPglite(
  pgdata: string,
  phrases: string[],
  control: string,
): Promise<ScanResult> {
  const { PGlite } = await import('@electric-sql/pglite');
  const db = await PGlite.create(pgdata);
  try {
    return await scan(
      async (sql, params) => (await db.query(sql, params)).rows as never,
      phrases,
      control,
    );
  } finally {
    await db.close();
  }
}

/** Scans a Postgres database (the `--database-url` of a hub run elsewhere). */
export async function scanPostgres(
  url: string,
  phrases: string[],
  control: string,
): Promise<ScanResult> {
  const { Client } = await import('pg');
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await scan(
      async (sql, params) => (await client.query(sql, params)).rows,
      phrases,
      control,
    );
  } finally {
    await client.end();
  }
}
