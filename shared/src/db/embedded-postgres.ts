import fs from 'node:fs';
import path from 'node:path';

export interface EmbeddedPostgres {
  url: string;
  stop(): Promise<void>;
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
  const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections });
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
