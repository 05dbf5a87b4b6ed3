import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { ConfigError } from '../config/config';

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

/** The file name `pg` (and libpq) look for in a socket directory: `.s.PGSQL.<port>`. */
const SOCKET_NAME = '.s.PGSQL.5432';
/** A Unix socket path must fit in sockaddr_un (108 bytes on Linux, 104 on macOS). */
const MAX_SOCKET_PATH = 100;

/** Makes `dir` (0700) and checks that nobody but this user can enter it. */
function privateDirectory(dir: string): string {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  fs.chmodSync(dir, 0o700);
  return dir;
}

/**
 * Runs the first write into the data folder; a folder that cannot be written (a file in its
 * path, no permission, a read-only disk) is a setting to change, said as such: not a stack trace.
 */
function usableDataFolder(dataDir: string, write: () => void): void {
  try {
    write();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const reason =
      code === 'ENOTDIR' || code === 'EEXIST'
        ? 'a file is in the way (part of the path is not a folder)'
        : code === 'EACCES' || code === 'EPERM'
          ? 'no permission to write there'
          : code === 'EROFS'
            ? 'the disk is read-only'
            : code === 'ENOSPC'
              ? 'the disk is full'
              : undefined;
    if (!reason) {
      throw err;
    }
    throw new ConfigError(
      `SAMVERKAN_DATA_DIR=${dataDir} cannot be used as the data folder: ${reason} (${code}). ` +
        'Set SAMVERKAN_DATA_DIR to a folder you can write, e.g. SAMVERKAN_DATA_DIR=./data',
    );
  }
}

/** Whether something answers on the Unix socket `file` (another hub on the same data folder). */
function socketAnswers(file: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(file);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * Where the initialised-cluster template of this PGlite version is kept:
 * `node_modules/.cache/samverkan/pglite-<version>-cluster.tar`, beside the package it belongs to
 * (a new PGlite version gets a new template; `npm ci` starts without one).
 */
function clusterTemplateFile(): string | undefined {
  const cache = pgliteCache();
  return cache && path.join(cache.dir, `pglite-${cache.version}-cluster.tar`);
}

/**
 * `node_modules/.cache/samverkan`, beside the PGlite package, and that package's version (a
 * template belongs to one PGlite version); undefined when PGlite is not installed.
 */
export function pgliteCache(): { dir: string; version: string } | undefined {
  try {
    // …/node_modules/@electric-sql/pglite/dist/index.cjs
    const packageDir = path.resolve(require.resolve('@electric-sql/pglite'), '..', '..');
    const { version } = JSON.parse(
      fs.readFileSync(path.join(packageDir, 'package.json'), 'utf8'),
    ) as { version: string };
    const nodeModules = path.resolve(packageDir, '..', '..');
    return { dir: path.join(nodeModules, '.cache', 'samverkan'), version };
  } catch {
    return undefined;
  }
}

/**
 * Makes `target`: a stopped PGlite cluster on disk in which `migrate` has run (the embedded
 * hub's schemas and migrations, no rows, no keys), for `startEmbeddedPostgres`'s
 * `migratedTemplate`. Built beside `target` and renamed into place, so a start never copies
 * half a template.
 */
export async function makeMigratedTemplate(
  target: string,
  migrate: (databaseUrl: string) => Promise<void>,
): Promise<void> {
  fs.mkdirSync(path.dirname(target), { recursive: true });
  const work = fs.mkdtempSync(`${target}.partial-`);
  try {
    const embedded = await startEmbeddedPostgres(work);
    try {
      await migrate(embedded.url);
    } finally {
      await embedded.stop();
    }
    fs.rmSync(target, { recursive: true, force: true });
    fs.renameSync(path.join(work, 'pgdata'), target);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

/**
 * A freshly initialised database cluster (initdb's output: no tables of ours, no data), as a
 * tar for PGlite's `loadDataDir`. Running initdb straight into a data folder on disk is the
 * slowest part of a first start (many small file writes through PGlite's file system layer);
 * unpacking a template is several times faster. The template is made once in memory and kept
 * in node_modules/.cache; when that folder cannot be written, the in-memory cluster is still
 * used for this start. Every hub's cluster then shares initdb's system identifier, which
 * nothing of an embedded, single-process Postgres depends on.
 */
export async function freshClusterTemplate(): Promise<Blob> {
  const file = clusterTemplateFile();
  if (file && fs.existsSync(file)) {
    return new Blob([fs.readFileSync(file)]);
  }
  const { PGlite } = await import('@electric-sql/pglite');
  const memory = await PGlite.create();
  let template: Blob;
  try {
    template = await memory.dumpDataDir('none');
  } finally {
    await memory.close();
  }
  if (file) {
    try {
      fs.mkdirSync(path.dirname(file), { recursive: true });
      // Written under another name first: a concurrent start never reads half a template.
      const partial = `${file}.${process.pid}.partial`;
      fs.writeFileSync(partial, Buffer.from(await template.arrayBuffer()));
      fs.renameSync(partial, file);
    } catch {
      // A read-only node_modules: this start goes on with the template in memory.
    }
  }
  return template;
}

/**
 * Embedded Postgres for the all-in-one start: PGlite kept in `<dataDir>/pgdata`, served over the
 * Postgres wire protocol so that the services use the ordinary `pg` driver and one code path.
 *
 * PGlite has no roles or passwords: whoever reaches the socket is superuser, may read every table
 * and drop the append-only triggers. So it is served on a Unix socket inside `<dataDir>/run`
 * (mode 0700), never on TCP: only this operating-system user (who owns the data files anyway)
 * can connect. When that path would be too long for a Unix socket, a private temporary
 * directory (0700) is used instead and removed on stop.
 *
 * PGlite runs one transaction at a time: callers must never query on another connection while
 * holding a transaction open.
 */
export async function startEmbeddedPostgres(
  dataDir: string,
  maxConnections = 64,
  options: {
    /**
     * A stopped cluster (`makeMigratedTemplate`) that a fresh data folder starts as a copy of,
     * when it exists: its schemas are then already migrated. Without it, a fresh folder starts
     * from the initialised-cluster template and the services run every migration. A function is
     * asked only when the folder is fresh (finding the template hashes every migration file).
     */
    migratedTemplate?: string | (() => string | undefined);
  } = {},
): Promise<EmbeddedPostgres> {
  const { PGlite } = await import('@electric-sql/pglite');
  const { PGLiteSocketServer } = await import('@electric-sql/pglite-socket');
  const dir = path.join(dataDir, 'pgdata');
  usableDataFolder(dataDir, () => fs.mkdirSync(dir, { recursive: true, mode: 0o700 }));
  let socketDir = path.resolve(dataDir, 'run');
  let temporary = false;
  if (Buffer.byteLength(path.join(socketDir, SOCKET_NAME)) > MAX_SOCKET_PATH) {
    socketDir = fs.mkdtempSync(path.join(os.tmpdir(), 'samverkan-pg-'));
    temporary = true;
  }
  privateDirectory(socketDir);
  const socketFile = path.join(socketDir, SOCKET_NAME);
  if (fs.existsSync(socketFile)) {
    if (await socketAnswers(socketFile)) {
      throw new ConfigError(
        `another process serves the embedded database of ${dataDir} (${socketFile}): is the hub already running? Stop it, or set SAMVERKAN_DATA_DIR to another folder`,
      );
    }
    // Left behind by a hub that did not stop cleanly.
    fs.rmSync(socketFile, { force: true });
  }
  // A data folder without PG_VERSION has never been initialised: start it from the template.
  let fresh = !fs.existsSync(path.join(dir, 'PG_VERSION'));
  const template =
    fresh && typeof options.migratedTemplate === 'function'
      ? options.migratedTemplate()
      : options.migratedTemplate;
  if (fresh && typeof template === 'string' && fs.existsSync(path.join(template, 'PG_VERSION'))) {
    // Plain file copies: several times cheaper than unpacking the tar through PGlite's file
    // system layer and then running every migration.
    // Copied beside the folder and renamed into place: a start stopped mid-copy leaves no
    // half a cluster that the next start would take for an initialised one.
    const copying = `${dir}.copying`;
    fs.rmSync(copying, { recursive: true, force: true });
    // A copy-on-write clone where the file system offers one (btrfs, XFS, APFS), else a copy.
    fs.cpSync(template, copying, { recursive: true, mode: fs.constants.COPYFILE_FICLONE });
    fs.rmSync(dir, { recursive: true, force: true });
    fs.renameSync(copying, dir);
    fs.chmodSync(dir, 0o700);
    fresh = false;
  }
  const db = fresh
    ? await PGlite.create(dir, { loadDataDir: await freshClusterTemplate() })
    : await PGlite.create(dir);
  const server = new PGLiteSocketServer({
    db: keepExtendedQueriesTogether(db),
    path: socketFile,
    maxConnections,
  });
  await server.start();
  fs.chmodSync(socketFile, 0o600);
  // pg reads a host starting with "/" as the directory of `.s.PGSQL.<port>`.
  const url = `postgres://postgres@${encodeURIComponent(socketDir)}/postgres`;
  return {
    url,
    async stop() {
      await server.stop();
      await db.close();
      fs.rmSync(temporary ? socketDir : socketFile, { recursive: true, force: true });
    },
  };
}
