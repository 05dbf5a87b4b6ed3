/**
 * `npm start` runs the hub compiled to JavaScript (scripts/build-hub.js). A developer who edits a
 * source must never get the old code: a start compares the hash of every source the build
 * compiled and rebuilds first. Checked on a small project of its own (editing the hub's sources
 * here would race other tests), built the same way as the hub.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { compiledEntry } = require('../../scripts/build-hub.js') as {
  compiledEntry(options: { root: string; entry: string; outDir: string }): {
    builtHub(): Promise<string | undefined>;
    upToDate(): boolean;
    outFile: string;
  };
};

let root: string;

beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'samverkan-build-hub-'));
  fs.mkdirSync(path.join(root, 'src', 'lib'), { recursive: true });
  fs.writeFileSync(
    path.join(root, 'src', 'main.ts'),
    [
      "import { value, folder } from './lib/value';",
      'process.stdout.write(JSON.stringify({ value, folder, main: __dirname }));',
    ].join('\n'),
  );
  fs.writeFileSync(
    path.join(root, 'src', 'lib', 'value.ts'),
    "export const value: string = 'first';\nexport const folder = __dirname;\n",
  );
});

afterEach(() => {
  fs.rmSync(root, { recursive: true, force: true });
});

function run(file: string): { value: string; folder: string; main: string } {
  return JSON.parse(execFileSync(process.execPath, [file], { encoding: 'utf8' })) as {
    value: string;
    folder: string;
    main: string;
  };
}

it('rebuilds when a source changed since the build, and keeps each file its own __dirname', async () => {
  const build = compiledEntry({
    root,
    entry: path.join(root, 'src', 'main.ts'),
    outDir: path.join(root, 'out'),
  });
  expect(build.upToDate()).toBe(false);
  const file = await build.builtHub();
  expect(file).toBe(build.outFile);
  expect(build.upToDate()).toBe(true);
  expect(run(file!)).toEqual({
    value: 'first',
    folder: path.join(root, 'src', 'lib'),
    main: path.join(root, 'src'),
  });

  // An edit of an imported file (not the entry), even one that keeps the file's size.
  fs.writeFileSync(
    path.join(root, 'src', 'lib', 'value.ts'),
    "export const value: string = 'other';\nexport const folder = __dirname;\n",
  );
  expect(build.upToDate()).toBe(false);
  expect(run((await build.builtHub())!).value).toBe('other');
  expect(build.upToDate()).toBe(true);

  // A deleted source: rebuilt too (here: the build fails, and the caller runs the sources).
  fs.rmSync(path.join(root, 'src', 'lib', 'value.ts'));
  expect(build.upToDate()).toBe(false);
});
