/**
 * The `samverkan` CLI compiled once per test file into one JavaScript file (esbuild, the same
 * compiler tsx uses), so that the tests that run the CLI dozens of times as a child process pay
 * for node's start only, not for tsx compiling the sources again in every process (about a
 * second each, four on a busy machine). The sources and `bin/samverkan.js`'s `run(argv)` are the
 * same; `bin/samverkan.js` itself (through tsx) is still spawned by cli.test.ts, and the installed
 * binary by packed.test.ts.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';

const sources = path.resolve(__dirname, '..', '..', 'src', 'cli', 'main.ts');

export interface CliBundle {
  /** The compiled CLI: `node <file> …args` behaves as `node sdk/bin/samverkan.js …args`. */
  file: string;
  remove(): void;
}

export async function buildCliBundle(): Promise<CliBundle> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'samverkan-cli-bundle-'));
  const file = path.join(dir, 'samverkan.js');
  await build({
    // What bin/samverkan.js does with the sources.
    stdin: {
      contents: [
        `const cli = require(${JSON.stringify(sources)});`,
        'cli.run(process.argv).then((code) => { process.exitCode = code; });',
      ].join('\n'),
      resolveDir: dir,
      loader: 'js',
    },
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    outfile: file,
    logLevel: 'error',
  });
  return { file, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}
