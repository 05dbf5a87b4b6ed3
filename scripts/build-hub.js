// The embedded hub (hub/src/main.ts) compiled to one JavaScript file with esbuild, so that
// `npm start` does not transpile and resolve hundreds of TypeScript modules through tsx's loader
// at every start (about 3 s of CPU). Built by `npm install`'s prepare step and again by
// `npm start` whenever a source it was built from changed: the build records a hash of every
// file of ours it bundled, and a start compares them first, so an edit is never run stale.
// Packages from node_modules are not bundled; they load as they would under tsx.
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');

/** bumped when the build below changes in a way the inputs do not show */
const BUILD_FORMAT = 1;

function sha256(data) {
  return crypto.createHash('sha256').update(data).digest('hex');
}

function hashFile(file) {
  return sha256(fs.readFileSync(file));
}

/** `to` relative to `from` with forward slashes, as paths written into the bundle are on any OS */
function posixRelative(from, to) {
  return path.relative(from, to).split(path.sep).join('/');
}

function esbuildVersion() {
  try {
    return require('esbuild/package.json').version;
  } catch {
    return undefined;
  }
}

/**
 * The build of `entry` (a TypeScript file under `root`) into `outDir`/main.js. The hub's is
 * `compiledEntry()` below; tests build small projects of their own.
 */
function compiledEntry({
  root = path.resolve(__dirname, '..'),
  entry = path.join(root, 'hub', 'src', 'main.ts'),
  outDir = path.join(root, 'node_modules', '.cache', 'samverkan', 'hub'),
} = {}) {
  const ROOT = root;
  const ENTRY = entry;
  const OUT_DIR = outDir;
  const OUT_FILE = path.join(OUT_DIR, 'main.js');
  const STAMP_FILE = path.join(OUT_DIR, 'main.inputs.json');

  /** Whether the built file exists and every input it was built from is unchanged. */
  function upToDate() {
    let stamp;
    try {
      stamp = JSON.parse(fs.readFileSync(STAMP_FILE, 'utf8'));
    } catch {
      return false;
    }
    if (
      stamp.format !== BUILD_FORMAT ||
      stamp.root !== ROOT ||
      stamp.esbuild !== esbuildVersion() ||
      !fs.existsSync(OUT_FILE)
    ) {
      return false;
    }
    for (const [file, hash] of Object.entries(stamp.inputs)) {
      try {
        if (hashFile(path.join(ROOT, file)) !== hash) {
          return false;
        }
      } catch {
        return false;
      }
    }
    return true;
  }

  /**
   * Packages stay outside the bundle. A package a workspace has its own copy of (e.g.
   * shared/node_modules/ajv) is required by its path, so the bundle loads the same copy as the
   * sources do; every other package by its name.
   */
  const externalPackages = {
    name: 'external-packages',
    setup(build) {
      build.onResolve({ filter: /^[^./]/ }, (args) => {
        if (args.path.startsWith('@samverkan/')) {
          return undefined;
        }
        let own;
        let hoisted;
        try {
          own = require.resolve(args.path, { paths: [args.resolveDir] });
          hoisted = require.resolve(args.path, { paths: [ROOT] });
        } catch {
          return { path: args.path, external: true };
        }
        if (own === hoisted || path.isAbsolute(own) === false) {
          return { path: args.path, external: true };
        }
        const relative = posixRelative(OUT_DIR, own);
        return { path: relative.startsWith('.') ? relative : `./${relative}`, external: true };
      });
    },
  };

  /**
   * `__dirname` in our sources means the folder of the source file (paths to openapi/, web/dist,
   * the migrations): the bundle gives each file its own, from where the bundle is.
   */
  /** our TypeScript files compiled by the last build, with the hash of their text */
  const loaded = new Map();
  const sourceDirname = {
    name: 'source-dirname',
    setup(build) {
      build.onLoad({ filter: /\.ts$/ }, (args) => {
        if (args.path.includes(`${path.sep}node_modules${path.sep}`)) {
          return undefined;
        }
        const text = fs.readFileSync(args.path, 'utf8');
        // The hash of exactly the text compiled (a file saved during the build is then stale).
        loaded.set(fs.realpathSync(args.path), sha256(text));
        if (!/\b__dirname\b/.test(text)) {
          return { contents: text, loader: 'ts' };
        }
        const dir = posixRelative(ROOT, path.dirname(args.path));
        return {
          contents: text.replace(/\b__dirname\b/g, `__samverkanSourceDir(${JSON.stringify(dir)})`),
          loader: 'ts',
        };
      });
    },
  };

  /** Builds the hub; resolves to the built file. Fails when esbuild is not installed. */
  async function build() {
    const esbuild = require('esbuild');
    fs.mkdirSync(OUT_DIR, { recursive: true });
    loaded.clear();
    const partial = `${OUT_FILE}.${process.pid}.partial`;
    const result = await esbuild.build({
      entryPoints: [ENTRY],
      outfile: partial,
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      sourcemap: 'linked',
      sourcesContent: false,
      metafile: true,
      logLevel: 'error',
      absWorkingDir: ROOT,
      plugins: [externalPackages, sourceDirname],
      banner: {
        js:
          `const __samverkanRoot = require('node:path').resolve(__dirname, ${JSON.stringify(posixRelative(OUT_DIR, ROOT))});\n` +
          `const __samverkanSourceDir = (dir) => require('node:path').join(__samverkanRoot, dir);`,
      },
    });
    const inputs = {};
    for (const input of Object.keys(result.metafile.inputs)) {
      const file = path.resolve(ROOT, input);
      const real = fs.realpathSync(file);
      // Ours: outside node_modules, or a workspace package linked into it.
      if (!file.includes(`${path.sep}node_modules${path.sep}`) || real !== file) {
        inputs[path.relative(ROOT, real)] = loaded.get(real) ?? hashFile(file);
      }
    }
    // The tsconfig files shape the output too (decorators, class fields).
    for (const config of ['tsconfig.json', 'tsconfig.base.json']) {
      if (fs.existsSync(path.join(ROOT, config))) {
        inputs[config] = hashFile(path.join(ROOT, config));
      }
    }
    const map = `${partial}.map`;
    fs.writeFileSync(
      partial,
      fs
        .readFileSync(partial, 'utf8')
        .replace(
          /\/\/# sourceMappingURL=.*$/m,
          `//# sourceMappingURL=${path.basename(OUT_FILE)}.map`,
        ),
    );
    fs.renameSync(map, `${OUT_FILE}.map`);
    fs.renameSync(partial, OUT_FILE);
    const stamp = { format: BUILD_FORMAT, root: ROOT, esbuild: esbuildVersion(), inputs };
    fs.writeFileSync(`${STAMP_FILE}.${process.pid}.partial`, JSON.stringify(stamp, null, 1));
    fs.renameSync(`${STAMP_FILE}.${process.pid}.partial`, STAMP_FILE);
    return OUT_FILE;
  }

  /**
   * The built hub, rebuilt first when a source changed; undefined when it cannot be built here
   * (esbuild not installed, node_modules not writable): then the caller runs the sources.
   */
  async function builtHub() {
    if (upToDate()) {
      return OUT_FILE;
    }
    try {
      return await build();
    } catch (err) {
      process.stderr.write(
        `samverkan: could not compile the hub (${String(err)}); running the sources\n`,
      );
      return undefined;
    }
  }

  return { builtHub, build, upToDate, outFile: OUT_FILE };
}

module.exports = { compiledEntry };

if (require.main === module) {
  compiledEntry()
    .build()
    .catch((err) => {
      process.stderr.write(`${String(err)}\n`);
      process.exit(1);
    });
}
