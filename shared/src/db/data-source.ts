import 'reflect-metadata';
import { DataSource, type EntityManager, type MixedList, type EntitySchema } from 'typeorm';

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
  const sql = await dataSource.driver.createSchemaBuilder().log();
  return sql.upQueries.map((q) => q.query);
}

export type Tx = EntityManager;

interface PgPool {
  query(text: string, values?: unknown[]): Promise<{ rows: unknown[] }>;
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
): Promise<T[]> {
  const pool = (dataSource.driver as unknown as { master?: PgPool }).master;
  if (!pool) {
    return (await dataSource.query(sql, params)) as T[];
  }
  return (await pool.query(sql, params)).rows as T[];
}
