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
