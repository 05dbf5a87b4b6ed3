import type { DataSource, EntitySchema, MixedList } from 'typeorm';
import { openServiceDatabase } from '../db/data-source';
import { createTestDatabase, type TestDatabase } from './test-infra';

/**
 * Keeps a service's hand-written SQL in step with its TypeORM entities and its migrations
 * (issue 15: "repositories are the only place SQL lives, with a test that keeps it in step").
 *
 * On a schema built by the migrations alone:
 * 1. every column of every entity exists in the migrated table, with the entity's type;
 * 2. every hand-written statement a repository declares is prepared by Postgres (so every table,
 *    column and cast it names resolves), and every column it names — read in the plan Postgres
 *    makes of it, and in its INSERT column lists and UPDATE SET lists — is a column of the entity
 *    that maps that table (so that the entity, hence check 1, vouches for its type).
 *
 * `describeRepositorySync` wraps this as jest tests; `repositorySyncProblems` answers a list of
 * problems for other uses. Each service passes its entities, migrations and statements.
 */

/** One hand-written statement, with `$n` placeholders; built for the schema the check uses. */
export interface RepositoryStatement {
  name: string;
  sql: string;
}

type EntityList = MixedList<
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  Function | string | EntitySchema
>;

export interface RepositorySyncOptions {
  schema: string;
  entities: EntityList;
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  migrations: Array<Function>;
  /** hand-written statements the repositories declare, for `schema` */
  statements?: (schema: string) => RepositoryStatement[];
  /**
   * Calls the repositories' functions on the migrated (empty) schema; every statement they make
   * is recorded (`recordStatements`) and checked — hand-written and TypeORM-built alike.
   */
  exercise?: (ds: DataSource) => Promise<void>;
}

/**
 * Every statement `work` makes through `ds` (its query runners: `ds.query`, managers,
 * repositories, query builders, transactions), named by `name` and a number.
 */
export async function recordStatements(
  ds: DataSource,
  name: string,
  work: () => Promise<void>,
): Promise<RepositoryStatement[]> {
  const recorded: RepositoryStatement[] = [];
  const original = ds.createQueryRunner.bind(ds);
  ds.createQueryRunner = (...args: Parameters<DataSource['createQueryRunner']>) => {
    const runner = original(...args);
    const query = runner.query.bind(runner);
    runner.query = ((sql: string, ...rest: unknown[]) => {
      // LOCK TABLE cannot be prepared (nor does it name columns).
      if (
        !/^\s*(START TRANSACTION|BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE|SET\b|LOCK\b)/i.test(sql)
      ) {
        recorded.push({ name: `${name} #${recorded.length + 1}`, sql });
      }
      return (query as (...a: unknown[]) => Promise<unknown>)(sql, ...rest);
    }) as typeof runner.query;
    return runner;
  };
  try {
    await work();
  } finally {
    ds.createQueryRunner = original;
  }
  return recorded;
}

interface TableColumns {
  /** column name → type as Postgres prints it (`uuid`, `text[]`, `timestamp with time zone`) */
  columns: Map<string, string>;
}

const key = (schema: string, table: string) => `${schema}.${table}`;

/** Postgres's own columns of every table, which no entity maps. */
const SYSTEM_COLUMNS = new Set(['ctid', 'xmin', 'xmax', 'cmin', 'cmax', 'tableoid']);

/** The migrated schema's tables and columns, from the catalog. */
async function migratedColumns(ds: DataSource, schema: string): Promise<Map<string, TableColumns>> {
  const rows = (await ds.query(
    `SELECT c.relname AS table, a.attname AS column, format_type(a.atttypid, NULL) AS type,
            t.typtype = 'e' AS is_enum, a.attndims > 0 OR t.typcategory = 'A' AS is_array
       FROM pg_attribute a
       JOIN pg_class c ON c.oid = a.attrelid
       JOIN pg_namespace n ON n.oid = c.relnamespace
       JOIN pg_type t ON t.oid = a.atttypid
      WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped`,
    [schema],
  )) as Array<{ table: string; column: string; type: string; is_enum: boolean }>;
  const tables = new Map<string, TableColumns>();
  for (const r of rows) {
    const t = tables.get(key(schema, r.table)) ?? { columns: new Map<string, string>() };
    t.columns.set(r.column, r.is_enum ? 'enum' : r.type);
    tables.set(key(schema, r.table), t);
  }
  return tables;
}

/** Postgres' spelling of an entity column's type (`varchar` → `character varying`, arrays `[]`). */
function entityType(
  ds: DataSource,
  column: Parameters<DataSource['driver']['normalizeType']>[0] & {
    isArray?: boolean;
    enum?: unknown[];
  },
): string {
  if (column.enum || column.type === 'enum' || column.type === 'simple-enum') {
    return 'enum';
  }
  const base = ds.driver.normalizeType(column);
  const spelled: Record<string, string> = {
    timestamptz: 'timestamp with time zone',
    timestamp: 'timestamp without time zone',
    'timestamp with time zone': 'timestamp with time zone',
    int: 'integer',
    int4: 'integer',
    int8: 'bigint',
    int2: 'smallint',
    bool: 'boolean',
    varchar: 'character varying',
    char: 'character',
    float8: 'double precision',
    float4: 'real',
  };
  const type = spelled[base] ?? base;
  return column.isArray ? `${type}[]` : type;
}

/** Every `alias.column` a plan refers to, with the relations behind the aliases. */
function planReferences(plan: unknown): {
  aliases: Map<string, { schema: string; table: string }>;
  refs: Array<{ alias: string; column: string }>;
  /** identifiers without an alias (a plan on one relation prints its columns bare) */
  bare: Set<string>;
} {
  const aliases = new Map<string, { schema: string; table: string }>();
  const refs: Array<{ alias: string; column: string }> = [];
  const texts: string[] = [];
  const bare = new Set<string>();
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) {
      node.forEach(walk);
      return;
    }
    if (node && typeof node === 'object') {
      const n = node as Record<string, unknown>;
      if (typeof n['Relation Name'] === 'string' && typeof n.Alias === 'string') {
        aliases.set(n.Alias, {
          schema: typeof n.Schema === 'string' ? n.Schema : '',
          table: n['Relation Name'],
        });
      }
      for (const [k, v] of Object.entries(n)) {
        if (
          typeof v === 'string' &&
          !['Relation Name', 'Alias', 'Schema', 'Node Type'].includes(k)
        ) {
          texts.push(v);
        } else {
          walk(v);
        }
      }
    } else if (typeof node === 'string') {
      texts.push(node);
    }
  };
  walk(plan);
  for (const text of texts) {
    // Literals ('referral.read'::text) are not references.
    const code = text.replace(/'(?:[^']|'')*'/g, "''");
    for (const m of code.matchAll(/\b([a-z_][a-z0-9_]*)\.("?)([a-z_][a-z0-9_]*)\2/g)) {
      refs.push({ alias: m[1]!, column: m[3]! });
    }
    const unqualified = code
      .replace(/::[a-z ]+(\[\])?/g, '')
      .replace(/\b[a-z_][a-z0-9_]*\.("?)[a-z_][a-z0-9_]*\1/g, '');
    for (const m of unqualified.matchAll(/(?<![.$\w])("?)([a-z_][a-z0-9_]*)\1(?!\s*\()/g)) {
      bare.add(m[2]!);
    }
  }
  return { aliases, refs, bare };
}

const unquote = (name: string) => name.trim().replace(/^"|"$/g, '');

/** `schema.table` as written in SQL (`"referrals"."referrals"`, `referrals.referrals`). */
function tableOf(written: string, schema: string): string {
  const parts = written.split('.').map(unquote);
  return parts.length === 2 ? key(parts[0]!, parts[1]!) : key(schema, parts[0]!);
}

/** Splits at top-level commas (not inside parentheses). */
function topLevel(list: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of list) {
    if (ch === '(') {
      depth += 1;
    }
    if (ch === ')') {
      depth -= 1;
    }
    if (ch === ',' && depth === 0) {
      out.push(current);
      current = '';
    } else {
      current += ch;
    }
  }
  if (current.trim()) {
    out.push(current);
  }
  return out;
}

/** The columns an INSERT lists and an UPDATE sets, by table (what a plan does not name). */
function writtenColumns(sql: string, schema: string): Array<{ table: string; column: string }> {
  const out: Array<{ table: string; column: string }> = [];
  const ident = '(?:"[^"]+"|[a-z_][a-z0-9_]*)';
  const table = `${ident}(?:\\.${ident})?`;
  for (const m of sql.matchAll(
    new RegExp(`INSERT\\s+INTO\\s+(${table})\\s*(?:AS\\s+\\w+\\s*)?\\(([^)]*)\\)`, 'gi'),
  )) {
    for (const c of m[2]!.split(',')) {
      out.push({ table: tableOf(m[1]!, schema), column: unquote(c) });
    }
  }
  for (const m of sql.matchAll(
    new RegExp(
      `UPDATE\\s+(${table})(?:\\s+(?:AS\\s+)?(?!SET\\b)\\w+)?\\s+SET\\s+([\\s\\S]*?)(?=\\bFROM\\b|\\bWHERE\\b|\\bRETURNING\\b|\\)\\s*,|\\)\\s*SELECT|$)`,
      'gi',
    ),
  )) {
    for (const assignment of topLevel(m[2]!)) {
      const target = /^\s*("?[a-z_][a-z0-9_]*"?)\s*=/i.exec(assignment);
      if (target) {
        out.push({ table: tableOf(m[1]!, schema), column: unquote(target[1]!) });
      }
    }
  }
  return out;
}

/**
 * What is out of step, as sentences (empty when all is well). `ds` is a data source on a schema
 * the migrations built, with the service's entities.
 */
export async function repositorySyncProblems(
  ds: DataSource,
  schema: string,
  statements: RepositoryStatement[],
): Promise<string[]> {
  const problems: string[] = [];
  const migrated = await migratedColumns(ds, schema);
  // table → column → the entity's type
  const entityTables = new Map<string, { entity: string; columns: Map<string, string> }>();
  for (const meta of ds.entityMetadatas) {
    const tableKey = key(meta.schema ?? schema, meta.tableName);
    const columns = new Map<string, string>();
    for (const c of meta.columns) {
      columns.set(c.databaseName, entityType(ds, c as never));
    }
    entityTables.set(tableKey, { entity: meta.name, columns });
    const table = migrated.get(tableKey);
    if (!table) {
      problems.push(`entity ${meta.name}: table ${tableKey} is not in the migrated schema`);
      continue;
    }
    for (const [column, type] of columns) {
      const actual = table.columns.get(column);
      if (actual === undefined) {
        problems.push(
          `entity ${meta.name}: column ${tableKey}.${column} is not in the migrated schema`,
        );
      } else if (actual !== type) {
        problems.push(
          `entity ${meta.name}: column ${tableKey}.${column} is ${type} in the entity but ${actual} in the migrated schema`,
        );
      }
    }
  }

  const named = (statement: string, table: string, column: string) => {
    if (SYSTEM_COLUMNS.has(column)) {
      // A plan under FOR UPDATE carries the rows' ctid (and the joined rows' for rechecks).
      return;
    }
    const entity = entityTables.get(table);
    if (!entity) {
      problems.push(`${statement}: table ${table} is not mapped by any entity`);
    } else if (!entity.columns.has(column)) {
      problems.push(`${statement}: ${table}.${column} is not a column of entity ${entity.entity}`);
    }
  };

  for (const statement of statements) {
    const runner = ds.createQueryRunner();
    try {
      await runner.connect();
      await runner.startTransaction();
      await runner.query(`SET LOCAL plan_cache_mode = force_generic_plan`);
      try {
        await runner.query(`PREPARE repository_sync_check AS ${statement.sql}`);
      } catch (err) {
        problems.push(`${statement.name}: Postgres refuses it: ${(err as Error).message}`);
        continue;
      }
      const [prepared] = (await runner.query(
        `SELECT cardinality(parameter_types) AS n FROM pg_prepared_statements WHERE name = 'repository_sync_check'`,
      )) as Array<{ n: number }>;
      const args = Array.from({ length: prepared?.n ?? 0 }, () => 'NULL').join(', ');
      const rows = (await runner.query(
        `EXPLAIN (VERBOSE, FORMAT JSON) EXECUTE repository_sync_check${args ? `(${args})` : ''}`,
      )) as Array<{ 'QUERY PLAN': unknown }>;
      const { aliases, refs, bare } = planReferences(rows[0]?.['QUERY PLAN']);
      for (const ref of refs) {
        const relation = aliases.get(ref.alias);
        if (relation && relation.schema === schema) {
          named(statement.name, key(relation.schema, relation.table), ref.column);
        }
      }
      const relations = [...new Set([...aliases.values()].map((r) => key(r.schema, r.table)))];
      if (relations.length === 1 && relations[0]!.startsWith(`${schema}.`)) {
        // One relation: the plan names its columns without an alias; a word that is a column
        // of the migrated table is one.
        const table = migrated.get(relations[0]!);
        for (const word of bare) {
          if (table?.columns.has(word)) {
            named(statement.name, relations[0]!, word);
          }
        }
      }
      for (const w of writtenColumns(statement.sql, schema)) {
        if (w.table.startsWith(`${schema}.`)) {
          named(statement.name, w.table, w.column);
        }
      }
    } finally {
      if (runner.isTransactionActive) {
        await runner.rollbackTransaction();
      }
      // A prepared statement belongs to the session, not to the transaction.
      await runner.query(`DEALLOCATE ALL`);
      await runner.release();
    }
  }
  return [...new Set(problems)];
}

/** The jest tests of a service's repositories against its entities and migrations. */
export function describeRepositorySync(options: RepositorySyncOptions): void {
  describe(`${options.schema} repositories, entities and migrations`, () => {
    let db: TestDatabase;
    let ds: DataSource;
    beforeAll(async () => {
      db = await createTestDatabase('sync');
      ds = await openServiceDatabase({
        url: db.url,
        schema: options.schema,
        entities: options.entities,
        migrations: options.migrations,
        poolSize: 2,
      });
    });
    afterAll(async () => {
      await ds?.destroy();
      await db?.drop();
    });

    it('name only columns the entities map, and every entity column is migrated with its type', async () => {
      const statements = [
        ...(options.statements?.(options.schema) ?? []),
        ...(options.exercise
          ? await recordStatements(ds, 'recorded', () => options.exercise!(ds))
          : []),
      ];
      expect(statements.length).toBeGreaterThan(0);
      expect(await repositorySyncProblems(ds, options.schema, statements)).toEqual([]);
    });
  });
}
