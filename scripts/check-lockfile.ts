/**
 * Fails when package-lock.json leaves out an optional dependency that a locked package declares,
 * such as the platform builds of a native package (`@swc/core-darwin-arm64`, …).
 *
 * Why: npm records only the optional builds its registry could resolve when the lockfile was
 * written. A lockfile written against a registry that lacked some of them is incomplete: the next
 * `npm install` anywhere adds them back (a modified lockfile after every install), and `npm ci`
 * refuses it as out of sync ("Missing: @swc/core-darwin-arm64 from lock file") — or, on macOS,
 * Windows or ARM, installs without the native binary that platform needs. A complete lockfile
 * lists every platform's build (npm installs only the one that fits) and stays unchanged by
 * `npm install` on any platform.
 *
 * Fix a failure with `npm install` against a registry that has the builds, and commit the
 * lockfile.
 */
import fs from 'node:fs';
import path from 'node:path';

interface LockedPackage {
  optionalDependencies?: Record<string, string>;
}

const root = path.resolve(__dirname, '..');
const lock = JSON.parse(fs.readFileSync(path.join(root, 'package-lock.json'), 'utf8')) as {
  packages: Record<string, LockedPackage>;
};

/** Where Node would find `name` from the package at `from`: its own node_modules, then upwards. */
function resolves(from: string, name: string): boolean {
  let dir = from;
  for (;;) {
    if (lock.packages[`${dir ? `${dir}/` : ''}node_modules/${name}`]) {
      return true;
    }
    if (!dir) {
      return false;
    }
    const at = dir.lastIndexOf('node_modules/');
    dir = at <= 0 ? '' : dir.slice(0, at - 1);
  }
}

const missing: string[] = [];
for (const [location, pkg] of Object.entries(lock.packages)) {
  for (const name of Object.keys(pkg.optionalDependencies ?? {})) {
    if (!resolves(location, name)) {
      missing.push(`${name} (optional dependency of ${location || 'the root package'})`);
    }
  }
}

if (missing.length > 0) {
  process.stderr.write(
    `package-lock.json is incomplete: it leaves out ${missing.length} optional dependencies, so ` +
      '`npm ci` refuses it and `npm install` rewrites it:\n' +
      missing.map((m) => `  ${m}`).join('\n') +
      '\nRun `npm install` (against a registry that has them) and commit package-lock.json.\n',
  );
  process.exit(1);
}
process.stdout.write('check:lockfile: package-lock.json lists every optional platform build\n');
