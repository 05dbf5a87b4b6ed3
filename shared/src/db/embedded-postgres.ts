import fs from 'node:fs';
import path from 'node:path';

export interface EmbeddedPostgres {
  url: string;
  stop(): Promise<void>;
}

/** Extended-protocol messages after which the same connection must go on until its Sync. */
const EXTENDED_QUERY_MESSAGES = new Set(['P', 'B', 'D', 'E', 'C', 'H']);

interface SocketServedDb {
  isInTransaction(): boolean;
  execProtocolRawStream(message: Uint8Array, options: unknown): Promise<unknown>;
}

/**
 * pglite-socket runs the protocol messages of all connections through one queue and keeps a
 * connection's turn only while PGlite is inside a transaction. A query on the extended protocol
 * is several messages (Parse, Bind, Describe, Execute … Sync), so another connection's messages
 * could run between its Parse and its Bind — failing with "bind message supplies N parameters,
 * but prepared statement requires M", or worse, answering one connection with another's rows.
 * This view of the database reports "in a transaction" from a Parse until the Sync that ends
 * it, so the queue keeps serving the same connection until its query is whole.
 */
function keepExtendedQueriesTogether<T extends object>(db: T): T {
  let midQuery = false;
  return new Proxy(db, {
    get(target, prop) {
      const served = target as unknown as SocketServedDb;
      if (prop === 'isInTransaction') {
        return () => midQuery || served.isInTransaction();
      }
      if (prop === 'execProtocolRawStream') {
        return async (message: Uint8Array, options: unknown) => {
          const type = String.fromCharCode(message[0] ?? 0);
          try {
            return await served.execProtocolRawStream(message, options);
          } finally {
            midQuery = EXTENDED_QUERY_MESSAGES.has(type);
          }
        };
      }
      const value = Reflect.get(target, prop) as unknown;
      return typeof value === 'function'
        ? (value as (...args: unknown[]) => unknown).bind(target)
        : value;
    },
  });
}

/**
 * Embedded Postgres for the all-in-one start: PGlite kept in `<dataDir>/pgdata`, served over the
 * Postgres wire protocol on loopback so that the services use the ordinary `pg` driver and one
 * code path. PGlite runs one transaction at a time: callers must never query on another
 * connection while holding a transaction open.
 */
export async function startEmbeddedPostgres(
  dataDir: string,
  maxConnections = 64,
): Promise<EmbeddedPostgres> {
  const { PGlite } = await import('@electric-sql/pglite');
  const { PGLiteSocketServer } = await import('@electric-sql/pglite-socket');
  const dir = path.join(dataDir, 'pgdata');
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const db = await PGlite.create(dir);
  const server = new PGLiteSocketServer({
    db: keepExtendedQueriesTogether(db),
    host: '127.0.0.1',
    port: 0,
    maxConnections,
  });
  await server.start();
  const url = `postgres://postgres@${server.getServerConn()}/postgres`;
  return {
    url,
    async stop() {
      await server.stop();
      await db.close();
    },
  };
}
