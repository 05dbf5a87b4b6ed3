#!/usr/bin/env node
'use strict';
// Runs the TypeScript sources directly through tsx, so `npx samverkan` works in this repository
// without a build step.
require('tsx/cjs');
require('../src/cli/main.ts')
  .run(process.argv)
  .then((code) => {
    process.exitCode = code;
  });
