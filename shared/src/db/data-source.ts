import 'reflect-metadata';
import {
  DataSource,
  type EntityManager,
  type MixedList,
  type EntitySchema,
  type QueryRunner,
  type ReplicationMode,
} from 'typeorm';
import { RdbmsSchemaBuilder } from 'typeorm/schema-builder/RdbmsSchemaBuilder';

export interface ServiceDatabaseOptions {
  /** postgres:// URL (real Postgres, or the embedded PGlite socket) */
  url: string;
  /** the service's own Postgres schema; no service reads another's */
  schema: string;
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  entities: MixedList<Function | string | EntitySchema>;
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  migrations: MixedList<Function | string>;
  poolSize?: number;
  applicationName?: string;
}

export function createServiceDataSource(options: ServiceDatabaseOptions): DataSource {
  return new DataSource({
    type: 'postgres',
    url: options.url,
    schema: options.schema,
    entities: options.entities,
    migrations: options.migrations,
    migrationsTableName: 'migrations',
    synchronize: false,
    migrationsRun: false,
    installExtensions: false,
    uuidExtension: 'pgcrypto',
    applicationName: options.applicationName ?? `samverkan-${options.schema}`,
    extra: {
      max: options.poolSize ?? 10,
      // Fail fast while Postgres is down instead of queueing requests for minutes.
      connectionTimeoutMillis: 5000,
      idleTimeoutMillis: 30000,
      statement_timeout: 30000,
    },
  });
}

/** Opens the service's DataSource, creates its schema and runs its committed migrations. */
export async function openServiceDatabase(options: ServiceDatabaseOptions): Promise<DataSource> {
  const dataSource = createServiceDataSource(options);
  await dataSource.initialize();
  // Replicas starting together would race to create the schema and run the same migrations;
  // a session advisory lock lets one migrate while the others wait, then find nothing to do.
  const lock = dataSource.createQueryRunner();
  const lockKey = `samverkan:migrations:${options.schema}`;
  try {
    await lock.connect();
    await lock.query('SELECT pg_advisory_lock(hashtext($1))', [lockKey]);
    await dataSource.query(`CREATE SCHEMA IF NOT EXISTS "${options.schema}"`);
    await dataSource.runMigrations({ transaction: 'each' });
  } catch (err) {
    await lock.release().catch(() => undefined);
    await dataSource.destroy();
    throw err;
  }
  await lock.query('SELECT pg_advisory_unlock(hashtext($1))', [lockKey]).catch(() => undefined);
  await lock.release();
  return dataSource;
}

/** SQL that would bring the schema in line with the entities; empty when migrations are complete. */
export async function pendingSchemaChanges(dataSource: DataSource): Promise<string[]> {
  // TypeORM's schema builder reads the tables, columns, indices and constraints with several
  // queries at once on its one query runner, i.e. one pg client. pg queues them, but deprecates
  // that (a DeprecationWarning now; pg 9 will refuse it). The builder gets a view of the
  // DataSource whose query runners send one query at a time; the DataSource itself is untouched.
  const view = Object.create(dataSource, {
    createQueryRunner: {
      value: (mode?: ReplicationMode) => oneQueryAtATime(dataSource.createQueryRunner(mode)),
    },
  }) as DataSource;
  const sql = await new RdbmsSchemaBuilder(view).log();
  return sql.upQueries.map((q) => q.query);
}

/** The runner's queries, each sent when the one before has finished. */
function oneQueryAtATime(runner: QueryRunner): QueryRunner {
  const query = runner.query.bind(runner) as (...args: unknown[]) => Promise<unknown>;
  let previous: Promise<unknown> = Promise.resolve();
  runner.query = ((...args: unknown[]) => {
    const next = previous.then(() => query(...args));
    // the next waits for this one however it ends; its caller sees its failure
    previous = next.catch(() => undefined);
    return next;
  }) as QueryRunner['query'];
  return runner;
}

export type Tx = EntityManager;

interface PgPoolClient {
  query(query: string | { text: string; values: unknown[] }): Promise<{ rows: unknown[] }>;
  release(destroy?: boolean): void;
}

interface PgPool {
  query(query: { text: string; values: unknown[]; name?: string }): Promise<{ rows: unknown[] }>;
  connect?(): Promise<PgPoolClient>;
}

/**
 * Names of prepared statements, by their text: each connection parses and plans a named
 * statement once, and later runs send only its parameters. Bounded, in case a caller built texts
 * without end (those beyond the bound run unnamed, as before).
 */
const preparedNames = new Map<string, string>();
const MAX_PREPARED = 200;

function preparedName(sql: string): string | undefined {
  let name = preparedNames.get(sql);
  if (name === undefined && preparedNames.size < MAX_PREPARED) {
    name = `samverkan_${preparedNames.size + 1}`;
    preparedNames.set(sql, name);
  }
  return name;
}

const tcp = new WeakMap<DataSource, boolean>();

/**
 * Whether the DataSource reaches Postgres over TCP. The embedded database (PGlite behind a Unix
 * socket, embedded-postgres.ts) runs every connection in one session, where a statement one
 * connection prepared collides with the same name prepared by another: over a Unix socket,
 * statements run unnamed.
 */
function overTcp(dataSource: DataSource): boolean {
  let known = tcp.get(dataSource);
  if (known === undefined) {
    const { url, host } = dataSource.options as { url?: string; host?: string };
    let target = host ?? '';
    if (url) {
      try {
        const parsed = new URL(url);
        target = parsed.searchParams.get('host') ?? decodeURIComponent(parsed.hostname);
      } catch {
        target = '/';
      }
    }
    known = target !== '' && !target.startsWith('/');
    tcp.set(dataSource, known);
  }
  return known;
}

/**
 * One statement on the DataSource's own pg pool (the same connections TypeORM uses), without
 * TypeORM's query runner around it: for the hand-written statements of hot paths (a send's
 * write pipeline, the Idempotency-Key), where the runner's bookkeeping costs more CPU than the
 * statement. Returns the rows. Never inside a transaction: it takes a connection of its own.
 */
export async function poolQuery<T>(
  dataSource: DataSource,
  sql: string,
  params: unknown[] = [],
  /** a statement of a few fixed texts, run often: prepared once per connection */
  options: { prepare?: boolean } = {},
): Promise<T[]> {
  const pool = (dataSource.driver as unknown as { master?: PgPool }).master;
  if (!pool) {
    return (await dataSource.query(sql, params)) as T[];
  }
  const name = options.prepare && overTcp(dataSource) ? preparedName(sql) : undefined;
  return (await pool.query({ text: sql, values: params, ...(name ? { name } : {}) })).rows as T[];
}

/** A query in a `poolTransaction`: its rows. */
export type PoolTxQuery = <T = Record<string, unknown>>(
  sql: string,
  params?: unknown[],
) => Promise<T[]>;

/**
 * A transaction on one connection of the DataSource's own pg pool, without TypeORM's query runner
 * around each statement: for background passes that run after every write (the audit chainer).
 * `begin` is run as the transaction's first statement(s), in the same round trip as BEGIN (simple
 * query protocol: no parameters). Commits when `work` resolves, rolls back when it throws.
 */
export async function poolTransaction<T>(
  dataSource: DataSource,
  begin: string,
  work: (query: PoolTxQuery, begun: Array<Record<string, unknown>>) => Promise<T>,
): Promise<T> {
  const pool = (dataSource.driver as unknown as { master?: PgPool }).master;
  if (!pool?.connect) {
    return dataSource.transaction(async (tx) => {
      const runner = tx.queryRunner!;
      const begun = begin
        ? ((await runner.query(begin, [], true)) as { records: Array<Record<string, unknown>> })
            .records
        : [];
      return work(
        async <R>(sql: string, params: unknown[] = []) =>
          ((await runner.query(sql, params, true)) as { records: R[] }).records,
        begun,
      );
    });
  }
  const client = await pool.connect();
  let broken = false;
  try {
    const results = (await client.query(`BEGIN;${begin ? ` ${begin}` : ''}`)) as unknown as
      { rows: Array<Record<string, unknown>> } | Array<{ rows: Array<Record<string, unknown>> }>;
    const begun = Array.isArray(results) ? (results[results.length - 1]?.rows ?? []) : [];
    const result = await work(
      async <R>(sql: string, params: unknown[] = []) =>
        (await client.query({ text: sql, values: params })).rows as R[],
      begun,
    );
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {
      broken = true;
    });
    throw err;
  } finally {
    client.release(broken);
  }
}
