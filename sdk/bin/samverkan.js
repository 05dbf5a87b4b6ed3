#!/usr/bin/env node
'use strict';
// An installed package runs its compiled JavaScript (dist/, built by `npm pack`); inside this
// repository, where the TypeScript sources sit beside this file, they run through tsx so that
// there is no build step while developing.
const fs = require('node:fs');
const path = require('node:path');

const sources = path.join(__dirname, '..', 'src', 'cli', 'main.ts');
let cli;
if (fs.existsSync(sources)) {
  require('tsx/cjs');
  cli = require(sources);
} else {
  cli = require('../dist/cli/main.js');
}
cli.run(process.argv).then((code) => {
  process.exitCode = code;
});
