/**
 * The embedded Postgres (PGlite behind pglite-socket) under concurrent use by many connections,
 * as the embedded hub's three services use it: parameterised queries (the extended protocol:
 * Parse, Bind, Execute, Sync as separate messages) from many connections at once, with
 * transactions on others, must each get their own answer — never a "bind message supplies N
 * parameters" error caused by another connection's Parse, never another connection's rows.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';

const root = path.resolve(__dirname, '../..');

test('many connections with parameterised queries and transactions each get their own rows', async () => {
  const { stdout } = await promisify(execFile)(
    path.join(root, 'node_modules', '.bin', 'tsx'),
    ['hub/test/fixtures/pglite-concurrency.ts'],
    { cwd: root, encoding: 'utf8' },
  );
  const result = JSON.parse(stdout) as {
    errors: string[];
    errorCount: number;
    wrongRows: number;
    inserted: number;
  };
  expect(result).toEqual({ errors: [], errorCount: 0, wrongRows: 0, inserted: 80 });
});

test('only its own operating-system user can reach the embedded database: a Unix socket in a 0700 folder, no TCP', async () => {
  const { stdout } = await promisify(execFile)(
    path.join(root, 'node_modules', '.bin', 'tsx'),
    ['hub/test/fixtures/pglite-lockdown.ts'],
    { cwd: root, encoding: 'utf8' },
  );
  const result = JSON.parse(stdout) as {
    url: string;
    socketInsideDataDir: boolean;
    socketDirMode: string;
    socketFileMode: string;
    ownerQuery: number;
    otherUser: string;
  };
  // Before: postgres://postgres@127.0.0.1:<port>/postgres, superuser, no password, any process.
  expect(result.url).not.toMatch(/127\.0\.0\.1|localhost|:\d+\//);
  expect(result.socketInsideDataDir).toBe(true);
  expect(result.socketDirMode).toBe('700');
  expect(result.socketFileMode).toBe('600');
  expect(result.ownerQuery).toBe(1);
  if (process.getuid?.() === 0) {
    expect(result.otherUser).toBe('EACCES');
  }
});
