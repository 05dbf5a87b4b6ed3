/**
 * The migrated database template a fresh `npm start` data folder is copied from
 * (hub/src/embedded-template.ts): every service's migrations have run in it, and it holds no
 * rows — above all no key material, which every data folder must make for itself.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { DIRECTORY_MIGRATIONS } from '@samverkan/directory/src/migrations';
import { NOTIFICATIONS_MIGRATIONS } from '@samverkan/notifications/src/migrations';
import { REFERRALS_MIGRATIONS } from '@samverkan/referrals/src/migrations';

const root = path.resolve(__dirname, '../..');

it('is migrated, holds no rows, and a fresh data folder starts as a copy of it', async () => {
  const { stdout } = await promisify(execFile)(
    path.join(root, 'node_modules', '.bin', 'tsx'),
    ['hub/test/fixtures/embedded-template.ts'],
    { cwd: root, encoding: 'utf8' },
  );
  const result = JSON.parse(stdout) as {
    template: string;
    expectedTemplate: string;
    templateInitialised: boolean;
    copied: boolean;
    halfCopyLeft: boolean;
    migrations: Record<string, number>;
    tables: string[];
    withRows: string[];
  };
  expect(result.template).toBe(result.expectedTemplate);
  expect(result.templateInitialised).toBe(true);
  expect(result.copied).toBe(true);
  expect(result.halfCopyLeft).toBe(false);
  expect(result.migrations).toEqual({
    directory: DIRECTORY_MIGRATIONS.length,
    notifications: NOTIFICATIONS_MIGRATIONS.length,
    referrals: REFERRALS_MIGRATIONS.length,
  });
  expect(result.tables).toEqual(
    expect.arrayContaining(['directory.root_keys', 'directory.unit_keys', 'directory.audit_log']),
  );
  // No table of any service has a row besides the migrations' own bookkeeping: no keys.
  expect(result.withRows).toEqual([]);
});
