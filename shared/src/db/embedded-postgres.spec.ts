import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError } from '../config/config';
import { startEmbeddedPostgres } from './embedded-postgres';

/**
 * A data folder that cannot be written is a setting to change: `npm start` prints a ConfigError's
 * message alone (hub/src/main.ts), any other error with its stack trace.
 */
describe('startEmbeddedPostgres on a data folder it cannot use', () => {
  let work: string;
  beforeEach(() => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'samverkan-datadir-'));
  });
  afterEach(() => fs.rmSync(work, { recursive: true, force: true }));

  it('a file in the path: names SAMVERKAN_DATA_DIR and what to do, as a ConfigError', async () => {
    const file = path.join(work, 'not-a-folder');
    fs.writeFileSync(file, '');
    const dataDir = path.join(file, 'data');
    const started = startEmbeddedPostgres(dataDir);
    await expect(started).rejects.toBeInstanceOf(ConfigError);
    await expect(started).rejects.toThrow(
      `SAMVERKAN_DATA_DIR=${dataDir} cannot be used as the data folder: a file is in the way`,
    );
    await expect(started).rejects.toThrow(/Set SAMVERKAN_DATA_DIR to a folder you can write/);
  });
});
